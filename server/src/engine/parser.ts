/**
 * Loads web-tree-sitter and the tree-sitter-python grammar once per process.
 *
 * The two .wasm files are found next to the running bundle (`dist/web-tree-sitter.wasm`,
 * `grammars/tree-sitter-python.wasm` one folder up) or, when running from sources (tests, tsx),
 * by walking up to the project root. Callers may also pass explicit paths.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type Edit, type Node, type Tree } from 'web-tree-sitter';

export type { Edit, Node, Tree };

export interface ParserAssets {
  runtimeWasm: string;
  grammarWasm: string;
}

function findUp(start: string, relative: string): string | undefined {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, relative);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Locates the runtime and grammar wasm files for the current process. */
export function locateAssets(from: string = __dirname): ParserAssets {
  const runtimeWasm =
    [path.join(from, 'web-tree-sitter.wasm')].find((p) => fs.existsSync(p)) ??
    findUp(from, 'dist/web-tree-sitter.wasm') ??
    findUp(from, 'node_modules/web-tree-sitter/web-tree-sitter.wasm');
  const grammarWasm = findUp(from, 'grammars/tree-sitter-python.wasm');
  if (!runtimeWasm || !grammarWasm) {
    throw new Error(
      `ThreatLens cannot find its parser files (web-tree-sitter.wasm: ${runtimeWasm ?? 'missing'}, ` +
        `tree-sitter-python.wasm: ${grammarWasm ?? 'missing'}). Reinstall the extension or run \`npm run build\`.`,
    );
  }
  return { runtimeWasm, grammarWasm };
}

/** A parser bound to the Python grammar. Not safe to share between concurrent parses (JS is single-threaded). */
export class PythonParser {
  private constructor(
    private readonly parser: Parser,
    readonly language: Language,
  ) {}

  static async create(assets: ParserAssets): Promise<PythonParser> {
    await Parser.init({ locateFile: () => assets.runtimeWasm });
    const language = await Language.load(fs.readFileSync(assets.grammarWasm));
    const parser = new Parser();
    parser.setLanguage(language);
    return new PythonParser(parser, language);
  }

  /** Parses `text`; pass the previous tree (already `edit`ed) for an incremental re-parse. */
  parse(text: string, oldTree?: Tree | null): Tree {
    const tree = this.parser.parse(text, oldTree ?? null);
    if (!tree) throw new Error('tree-sitter returned no tree');
    return tree;
  }
}

let shared: Promise<PythonParser> | undefined;

/** The process-wide parser, created on first use. */
export function getParser(assets?: ParserAssets): Promise<PythonParser> {
  if (!shared) {
    shared = PythonParser.create(assets ?? locateAssets());
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}
