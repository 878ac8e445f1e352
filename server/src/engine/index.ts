/**
 * The ThreatLens engine: parse Python, resolve names, run the rules. No editor or LSP import here.
 */
import { analyzeTree, EMPTY_RESULT, enabledRules, triggeredRules } from './analyze';
import { getParser, type ParserAssets, type PythonParser, type Tree } from './parser';
import { mapNotebookFindings, notebookProgram, type NotebookProgram } from './notebook';
import type { AnalysisResult, Finding } from './types';
import { analyzeManifest, type ManifestOptions } from './deps/analyze';
import { manifestKindOf, parseManifest } from './deps/parse';
import { getRule } from './registry';
import type { Manifest } from './deps/types';
import { pipCommandsInCell, pipCommandsInPython } from './deps/pipcommands';

export * from './types';
export { NotebookError, cellOfLine, mapNotebookFindings, notebookProgram, stripMagics, type NotebookCell, type NotebookProgram } from './notebook';
export { applyEdits, lineStarts } from './edits';
export { RULES, getRule } from './registry';
export type { Rule } from './rule';
export { analyzeTree, enabledRules, triggeredRules } from './analyze';
export type { Edit, Tree } from './parser';
export { manifestKindOf } from './deps/parse';
export { bundledAdvisories, lockFileFor, type ManifestOptions } from './deps/analyze';
export { AdvisoryDb, type Advisory } from './deps/advisories';
export type { Manifest, ManifestKind, Requirement } from './deps/types';

/** Cheap test: could `text` hold a `pip install` command? */
function mayInstall(text: string): boolean {
  return text.includes('install') && /\bpip3?\b|\bconda\b/.test(text);
}

/** `result` with the install findings merged in, in position order. */
function withInstalls(result: AnalysisResult, deps: { findings: Finding[]; suppressed: number }): AnalysisResult {
  if (deps.findings.length === 0 && deps.suppressed === 0) return result;
  return { ...result, findings: [...result.findings, ...deps.findings].sort(byPosition), suppressed: result.suppressed + deps.suppressed };
}

function byPosition(a: Finding, b: Finding): number {
  return (a.cell ?? 0) - (b.cell ?? 0) || a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

export class Engine {
  private constructor(readonly parser: PythonParser) {}

  /** Creates an engine; the parser and grammar are loaded once per process and shared. */
  static async create(assets?: ParserAssets): Promise<Engine> {
    return new Engine(await getParser(assets));
  }

  parse(text: string, oldTree?: Tree | null): Tree {
    return this.parser.parse(text, oldTree);
  }

  /**
   * Analyses a source text. Files that mention nothing any enabled rule looks at are not parsed
   * (pass `parseAlways` to get syntax errors for them too).
   */
  analyze(text: string, options: ManifestOptions = {}, parseAlways = false): AnalysisResult {
    const enabled = enabledRules(options);
    const rules = triggeredRules(text, enabled);
    const pip = mayInstall(text) && enabled.some((r) => r.manifest);
    if (rules.length === 0 && !pip && !parseAlways) return { ...EMPTY_RESULT };
    const tree = this.parse(text);
    try {
      const result = analyzeTree(tree, text, options, rules);
      return pip ? withInstalls(result, this.analyzeInstalls(text, tree, options)) : result;
    } finally {
      tree.delete();
    }
  }

  /**
   * Dependency findings of the `pip install` commands written in Python source parsed as `tree`
   * (Colab-style `!pip` lines, `os.system("pip install ...")`, `subprocess` argument lists).
   */
  analyzeInstalls(text: string, tree: Tree, options: ManifestOptions = {}): { findings: Finding[]; suppressed: number } {
    if (!mayInstall(text) || !enabledRules(options).some((r) => r.manifest)) return { findings: [], suppressed: 0 };
    const deps = analyzeManifest(pipCommandsInPython(text, tree), text, options);
    return { findings: deps.findings, suppressed: deps.suppressed };
  }

  /** Dependency findings of the `!pip install` lines of one notebook cell (ranges relative to the cell). */
  analyzeCellInstalls(cellSource: string, options: ManifestOptions = {}): { findings: Finding[]; suppressed: number } {
    if (!mayInstall(cellSource) || !enabledRules(options).some((r) => r.manifest)) return { findings: [], suppressed: 0 };
    const deps = analyzeManifest(pipCommandsInCell(cellSource), cellSource, options);
    return { findings: deps.findings, suppressed: deps.suppressed };
  }

  /** Parses a dependency manifest named `fileName` (its base name decides the format), or undefined for other files. */
  parseManifest(fileName: string, text: string): Manifest | undefined {
    const base = fileName.split(/[\\/]/).pop() ?? fileName;
    const kind = manifestKindOf(base);
    return kind ? parseManifest(kind, text, (t) => this.parse(t), base) : undefined;
  }

  /**
   * Analyses a dependency manifest (requirements file, pyproject.toml, setup.cfg, setup.py, Pipfile,
   * conda environment) named `fileName`. Malformed lines come back as `problems`; the rest of the
   * file is still checked. Throws for a file that is not a manifest (check with `manifestKindOf`).
   */
  analyzeManifest(fileName: string, text: string, options: ManifestOptions = {}): AnalysisResult & { manifest: Manifest } {
    const manifest = this.parseManifest(fileName, text);
    if (!manifest) throw new Error(`not a dependency manifest: ${fileName}`);
    const deps = analyzeManifest(manifest, text, { path: fileName, ...options });
    return { ...EMPTY_RESULT, findings: deps.findings, suppressed: deps.suppressed, problems: deps.problems, hasSyntaxErrors: deps.problems.length > 0, manifest };
  }

  /**
   * Analyses a Jupyter notebook (.ipynb JSON) as one program made of its code cells in order.
   * Findings carry their cell and cell-relative ranges. Throws NotebookError for invalid notebooks.
   */
  analyzeNotebook(json: string, options: ManifestOptions = {}): AnalysisResult & { program: NotebookProgram } {
    const program = notebookProgram(json);
    const result = this.analyze(program.text, options);
    // Magic lines (`!pip install ...`) are read from the cells themselves below, where their fixes
    // keep working; the program's rewritten form of them would report the same thing again.
    const findings = mapNotebookFindings(program, result.findings).filter((f) => {
      if (!getRule(f.ruleId)?.manifest) return true;
      const cell = program.cells.find((c) => c.number === f.cell);
      return !cell?.magics.some((m) => m.line === f.range.start.line);
    });
    let suppressed = result.suppressed;
    for (const cell of program.cells) {
      const deps = this.analyzeCellInstalls(cell.source, options);
      suppressed += deps.suppressed;
      for (const f of deps.findings) findings.push({ ...f, cell: cell.number });
    }
    return { ...result, findings: findings.sort(byPosition), suppressed, program };
  }
}
export { findingHover, linkLine, ruleMarkdown, stagesOf, techniquesOf, threatsOf } from './describe';
export { getGraph, STAGES, ThreatGraph, type EdgeKind, type GraphEdge, type GraphNode, type NodeKind } from './graph';
