/**
 * `pip install` (and `conda install`) commands written into notebook cells (`!pip`, `%pip`,
 * `%%bash` cells) and Python scripts (Colab `!pip` lines, `os.system(...)`, `subprocess` calls).
 * Each command becomes requirements and index declarations of a `Manifest` whose spans are offsets
 * into the cell or the script.
 */
import type { Node, Tree } from '../parser';
import { parseCondaSpec } from './conda';
import { isProblem, mapSpans, span } from './pep508';
import { readArguments, shellTokens, tokenSpan, type Token } from './requirements';
import { pyString, type PyString } from './setuppy';
import type { Manifest, Span } from './types';

type Out = Pick<Manifest, 'requirements' | 'indexes' | 'problems' | 'includes' | 'requireHashes'>;

const PIP = /^(?:.*[/\\])?pip(?:\d+(?:\.\d+)*)?(?:\.exe)?$/i;
const PYTHON = /^(?:.*[/\\])?python(?:\d+(?:\.\d+)*)?(?:\.exe)?$|^py$|^\{sys\.executable\}$|^\$\{?\w+\}?$/i;
const CONDA = /^(?:.*[/\\])?(?:conda|mamba|micromamba)(?:\.exe)?$/i;
const ENV_ASSIGN = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Where the arguments of an install command start in `tokens`, and which installer it is; undefined
 * when the words are not `pip install`, `python -m pip install`, `uv pip install` or `conda install`.
 */
export function installCommand(tokens: Token[]): { tool: 'pip' | 'conda'; args: number } | undefined {
  let k = 0;
  while (k < tokens.length && (tokens[k].value === 'sudo' || tokens[k].value === 'env' || ENV_ASSIGN.test(tokens[k].value))) k++;
  const word = (i: number): string => tokens[i]?.value ?? '';
  let tool: 'pip' | 'conda' | undefined;
  if (PIP.test(word(k))) {
    tool = 'pip';
    k++;
  } else if (PYTHON.test(word(k)) && word(k + 1) === '-m' && PIP.test(word(k + 2))) {
    tool = 'pip';
    k += 3;
  } else if (PYTHON.test(word(k)) && word(k + 1).startsWith('-') && word(k + 2) === '-m' && PIP.test(word(k + 3))) {
    tool = 'pip';
    k += 4;
  } else if (word(k) === 'uv' && word(k + 1) === 'pip') {
    tool = 'pip';
    k += 2;
  } else if (CONDA.test(word(k))) {
    tool = 'conda';
    k++;
  }
  if (!tool) return undefined;
  // Global options before the subcommand (`pip -q install`, `conda -y install`).
  while (k < tokens.length && tokens[k].value.startsWith('-')) k++;
  if (word(k) !== 'install') return undefined;
  return { tool, args: k + 1 };
}

/** Maps token-coordinate spans of `out` with `f` and appends them to `into`. */
function merge(into: Out, part: Out, f: (s: Span) => Span): void {
  for (const r of part.requirements) into.requirements.push(mapSpans(r, f));
  for (const x of part.indexes) {
    x.span = f(x.span);
    if (x.optionSpan) x.optionSpan = f(x.optionSpan);
    into.indexes.push(x);
  }
  for (const p of part.problems) into.problems.push({ span: f(p.span), message: p.message });
  for (const i of part.includes) into.includes.push({ ...i, span: f(i.span) });
  if (part.requireHashes) into.requireHashes = f(part.requireHashes);
}

const CONDA_VALUE_OPTIONS = new Set(['-n', '--name', '-p', '--prefix', '--file', '--repodata-fn', '--solver', '--experimental-solver']);

/** `conda install` arguments: channels and match specs. Spans stay in token coordinates. */
function readCondaArguments(tokens: Token[], k: number, out: Out): void {
  while (k < tokens.length) {
    const t = tokens[k];
    const v = t.value;
    if (v === '-c' || v === '--channel') {
      const c = tokens[k + 1];
      if (c) out.indexes.push({ kind: 'source', tool: 'conda', url: c.value, span: tokenSpan(c), optionSpan: tokenSpan(t), mixesWithDefault: false });
      k += 2;
      continue;
    }
    if (v.startsWith('--channel=')) {
      const a = '--channel='.length;
      out.indexes.push({ kind: 'source', tool: 'conda', url: v.slice(a), span: tokenSpan(t, a), optionSpan: tokenSpan(t, 0, a - 1), mixesWithDefault: false });
      k++;
      continue;
    }
    if (v.startsWith('-')) {
      k += CONDA_VALUE_OPTIONS.has(v) ? 2 : 1;
      continue;
    }
    k++;
    if (!v || v.startsWith('$') || v.startsWith('{') || v.includes('{')) continue;
    const r = parseCondaSpec(v, 0, 'conda');
    const f = (s: Span): Span => tokenSpan(t, s.start, s.end);
    if (isProblem(r)) out.problems.push({ span: f(r.span), message: r.message });
    else if (r.normalized !== 'python' && r.normalized !== 'pip') out.requirements.push(mapSpans(r, f));
  }
}

/**
 * Reads every install command in shell text `text[from, to)` (several commands may be joined with
 * `&&`, `;`, `|`). Spans of the result are mapped with `f` (identity for offsets into `text`).
 */
function shellCommands(text: string, from: number, to: number, out: Out, f: (s: Span) => Span): void {
  let i = from;
  let guard = 0;
  while (i < to && guard++ < 10000) {
    const { tokens, stop } = shellTokens(text, i, to);
    const cmd = installCommand(tokens);
    if (cmd) {
      const part: Out = { requirements: [], indexes: [], problems: [], includes: [] };
      if (cmd.tool === 'pip') readArguments(tokens, cmd.args, part, 'install');
      else readCondaArguments(tokens, cmd.args, part);
      merge(out, part, f);
    }
    if (stop >= to) break;
    // Skip the operator (or the comment up to the end of the line).
    if (text[stop] === '#') {
      const nl = text.indexOf('\n', stop);
      i = nl < 0 || nl >= to ? to : nl + 1;
    } else i = stop + 1;
    while (i < to && /[&|;><]/.test(text[i])) i++;
    if (i <= stop) i = stop + 1;
  }
}

interface Line {
  start: number;
  end: number; // before the newline
}

function lines(text: string): Line[] {
  const out: Line[] = [];
  let at = 0;
  for (;;) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) {
      out.push({ start: at, end: text.length });
      return out;
    }
    out.push({ start: at, end: nl });
    at = nl + 1;
  }
}

/** The end of a shell command starting at `from`: the line end, following `\` continuations. */
function commandEnd(text: string, from: number): number {
  let i = from;
  for (;;) {
    const nl = text.indexOf('\n', i);
    if (nl < 0) return text.length;
    const before = text[nl - 1] === '\r' ? nl - 2 : nl - 1;
    if (text[before] !== '\\') return nl;
    i = nl + 1;
  }
}

/** IPython `!cmd` / `%pip …` / `%conda …` lines of `text`, read into `out`. */
function ipythonLines(text: string, out: Out, shellCell: boolean): void {
  const identity = (s: Span): Span => s;
  const all = lines(text);
  for (let n = 0; n < all.length; n++) {
    const line = all[n];
    const body = text.slice(line.start, line.end);
    const lead = body.length - body.trimStart().length;
    const at = line.start + lead;
    let from: number | undefined;
    if (shellCell) from = at;
    else if (text[at] === '!') from = at + (text[at + 1] === '!' ? 2 : 1);
    else if (/^%(pip|conda|mamba|uv)\b/.test(text.slice(at, at + 6))) from = at + 1;
    if (from === undefined) continue;
    const end = commandEnd(text, from);
    shellCommands(text, from, end, out, identity);
    while (n + 1 < all.length && all[n + 1].start <= end) n++;
  }
}

function emptyManifest(kind: 'notebook' | 'python'): Manifest {
  return { kind, requirements: [], indexes: [], includes: [], abstract: false, problems: [] };
}

/** The install commands of one notebook code cell. Never throws. */
export function pipCommandsInCell(source: string): Manifest {
  const manifest = emptyManifest('notebook');
  try {
    const first = /^\s*%%(\w+)[^\n]*\n?/.exec(source);
    if (first) {
      const magic = first[1];
      const rest = first[0].length;
      const shell = magic === 'bash' || magic === 'sh' || (magic === 'script' && /\b(ba)?sh\b/.test(first[0]));
      if (shell) {
        shellCommandsFrom(source, rest, manifest);
        return manifest;
      }
      if (magic !== 'capture' && magic !== 'time' && magic !== 'timeit') return manifest;
      ipythonLines(source.slice(0, rest).replace(/[^\n]/g, ' ') + source.slice(rest), manifest, false);
      return manifest;
    }
    ipythonLines(source, manifest, false);
  } catch (e) {
    manifest.problems.push({ span: span(0, 0), message: `Could not read the cell: ${(e as Error).message}` });
  }
  return manifest;
}

function shellCommandsFrom(text: string, from: number, out: Out): void {
  const blanked = text.slice(0, from).replace(/[^\n]/g, ' ') + text.slice(from);
  ipythonLines(blanked, out, true);
}

const RUNNERS = /^(?:get_ipython\(\)\.run_line_magic|os\.system|os\.popen|subprocess\.(?:run|call|check_call|check_output|Popen|getoutput|getstatusoutput)|(?:run|call|check_call|check_output|Popen|getoutput|getstatusoutput|system|popen)|get_ipython\(\)\.(?:system|getoutput)|[A-Za-z_][\w.]*\.(?:system|getoutput))$/;

/** Tokens from the string elements of a list literal (other elements become `{…}` placeholders). */
function listTokens(list: Node, text: string): Token[] | undefined {
  const tokens: Token[] = [];
  for (const el of list.namedChildren) {
    if (!el || el.type === 'comment') continue;
    const s = pyString(el, text);
    if (s && !s.interpolated) {
      tokens.push(stringToken(s));
    } else {
      const src = el.text === 'sys.executable' ? '{sys.executable}' : `{${el.type}}`;
      tokens.push({ value: src, pos: [...src].map(() => el.startIndex).concat(el.endIndex), start: el.startIndex, end: el.endIndex });
    }
  }
  return tokens;
}

function stringToken(s: PyString): Token {
  if (s.verbatim) return { value: s.value, pos: s.pos.slice(0, s.value.length).concat(s.pos[s.value.length - 1] + 1 || s.span.end), start: s.span.start, end: s.span.end };
  // With escapes, every character maps to the whole literal.
  const value = s.value;
  return { value, pos: [...value].map(() => s.span.start).concat(s.span.end), start: s.span.start, end: s.span.end };
}

function walk(root: Node, visit: (n: Node) => void): void {
  const stack: Node[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    visit(n);
    for (let i = n.namedChildCount - 1; i >= 0; i--) {
      const c = n.namedChild(i);
      if (c) stack.push(c);
    }
  }
}

/** The install commands of a Python script. Never throws. */
export function pipCommandsInPython(text: string, tree: Tree): Manifest {
  const manifest = emptyManifest('python');
  try {
    // (1) Colab-style `!pip install` lines, which are not Python.
    ipythonLines(text, manifest, false);
    // (2) and (3): commands handed to os.system / subprocess.
    walk(tree.rootNode, (n) => {
      if (n.type !== 'call') return;
      const fn = n.childForFieldName('function');
      if (!fn || !RUNNERS.test(fn.text.replace(/\s+/g, ''))) return;
      const args = n.childForFieldName('arguments');
      const first = args?.namedChildren.find((c) => c && c.type !== 'comment' && c.type !== 'keyword_argument');
      if (!first) return;
      if (first.type === 'list' || first.type === 'tuple') {
        const tokens = listTokens(first, text);
        const cmd = tokens && installCommand(tokens);
        if (!tokens || !cmd) return;
        const part: Out = { requirements: [], indexes: [], problems: [], includes: [] };
        if (cmd.tool === 'pip') readArguments(tokens, cmd.args, part, 'install');
        else readCondaArguments(tokens, cmd.args, part);
        merge(manifest, part, (s) => s);
        return;
      }
      let s = pyString(first, text);
      let prefix = 0;
      if (/\.run_line_magic$/.test(fn.text) && s && /^(pip|conda|mamba)$/.test(s.value)) {
        // get_ipython().run_line_magic("pip", "install torch"): the command is the magic's name + line.
        const magic = s.value;
        const line = pyString(args?.namedChildren.filter((c) => c && c.type !== 'comment')[1], text);
        if (!line) return;
        s = { ...line, value: `${magic} ${line.value}`, pos: [...Array(magic.length + 1).fill(line.span.start), ...line.pos] };
        prefix = magic.length + 1;
      }
      if (!s || !/\binstall\b/.test(s.value)) return;
      const str = s;
      const f = (x: Span): Span => {
        if (!str.verbatim || x.start < prefix) return { ...str.span };
        if (x.end <= x.start) return span(str.pos[x.start] ?? str.span.end, str.pos[x.start] ?? str.span.end);
        return span(str.pos[x.start], str.pos[x.end - 1] + 1);
      };
      // Tokenise the string's value; offsets are then mapped through the literal.
      const part: Out = { requirements: [], indexes: [], problems: [], includes: [] };
      shellCommands(str.value, 0, str.value.length, part, (x) => x);
      merge(manifest, part, f);
    });
  } catch (e) {
    manifest.problems.push({ span: span(0, 0), message: `Could not read the script: ${(e as Error).message}` });
  }
  return manifest;
}
