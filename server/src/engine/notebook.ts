/**
 * Jupyter notebooks (.ipynb) as one Python program: the code cells in order, so that a name
 * imported in one cell resolves in later cells. Outputs are never read. IPython magics (`!pip`,
 * `%matplotlib`, cell magics such as `%%bash`) are blanked out line for line, so line numbers stay
 * those of the cell; findings are mapped back to (cell, line).
 */
import type { Finding, Range, TextEdit } from './types';

export interface NotebookCell {
  /** 1-based position of the cell among all cells of the notebook (markdown included). */
  number: number;
  /** Lines rewritten from IPython magics, whose columns differ from the cell's text. */
  magics: MagicLine[];
  /** First line of the cell in the combined program (0-based). */
  startLine: number;
  /** Lines the cell occupies in the combined program. */
  lineCount: number;
  /** 1-based line of each source line in the .ipynb file, when the file lays them out one per line. */
  fileLines?: number[];
  /** The cell's own text, magics included. */
  source: string;
}

export interface NotebookProgram {
  text: string;
  cells: NotebookCell[];
}

export class NotebookError extends Error {}

/** Cell magics whose body is still Python. */
const PYTHON_CELL_MAGICS = /^%%(time|timeit|capture|prun|memit|debug)\b/;

/**
 * How a magic line was rewritten: the content after `!`/`%` now starts `shift` columns further
 * right, inside `get_ipython().system("...")` / `get_ipython().magic("...")`.
 */
export interface MagicLine {
  /** 0-based line within the cell. */
  line: number;
  shift: number;
}

const SHELL_CALL = 'get_ipython().system(';
const MAGIC_CALL = 'get_ipython().magic(';

/** A Python string literal holding `text` (JSON string syntax is valid Python here). */
function pyString(text: string): string {
  return JSON.stringify(text);
}

/**
 * Rewrites IPython syntax that is not Python, keeping the line count: `!cmd` and `%magic args`
 * become `get_ipython().system("cmd")` / `get_ipython().magic("magic args")` (as nbconvert does, so
 * a token typed into `!huggingface-cli login --token ...` or `%env KEY=...` is still seen as a
 * string), continuation lines of a magic and non-Python cell magics (`%%bash`) become blank, and
 * `%%time`-style cell magics keep their Python body.
 */
export function rewriteMagics(cellSource: string): { text: string; magics: MagicLine[] } {
  const lines = cellSource.split('\n');
  const first = lines[0]?.trimStart() ?? '';
  const magics: MagicLine[] = [];
  if (first.startsWith('%%') && !PYTHON_CELL_MAGICS.test(first)) return { text: lines.map(() => '').join('\n'), magics };
  let continued = false;
  const out = lines.map((line, i) => {
    const trimmed = line.trimStart();
    const indent = line.slice(0, line.length - trimmed.length);
    const cellMagic = i === 0 && first.startsWith('%%');
    const shell = trimmed.startsWith('!');
    const magic = shell || trimmed.startsWith('%');
    const help = /^[\w.]+\?{1,2}\s*$/.test(trimmed);
    const continuation = continued;
    continued = (continuation || magic) && line.trimEnd().endsWith('\\');
    if (continuation || cellMagic || help) return '';
    if (!magic) return line;
    const body = trimmed.slice(1).replace(/\\\s*$/, '');
    const call = shell ? SHELL_CALL : MAGIC_CALL;
    magics.push({ line: i, shift: call.length });
    return `${indent}${call}${pyString(body)})`;
  });
  return { text: out.join('\n'), magics };
}

/** The Python text of a cell (see rewriteMagics). */
export function stripMagics(cellSource: string): string {
  return rewriteMagics(cellSource).text;
}

function cellText(source: unknown): string {
  if (typeof source === 'string') return source;
  if (Array.isArray(source)) return source.filter((s): s is string => typeof s === 'string').join('');
  return '';
}

/** Parses .ipynb JSON into one Python program; throws NotebookError with a clear message on bad input. */
export function notebookProgram(json: string): NotebookProgram {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (err) {
    throw new NotebookError(`not a valid notebook (JSON error: ${err instanceof Error ? err.message : String(err)})`);
  }
  const cells = (data as { cells?: unknown })?.cells;
  if (!Array.isArray(cells)) throw new NotebookError('not a valid notebook (no "cells" list; nbformat 4 is supported)');
  const language = (data as { metadata?: { kernelspec?: { language?: string }; language_info?: { name?: string } } }).metadata;
  const lang = language?.language_info?.name ?? language?.kernelspec?.language;
  if (lang && lang.toLowerCase() !== 'python') throw new NotebookError(`not a Python notebook (language: ${lang})`);
  const fileLines = sourceLinePositions(json);
  const parts: string[] = [];
  const out: NotebookCell[] = [];
  let line = 0;
  cells.forEach((cell, i) => {
    const c = cell as { cell_type?: unknown; source?: unknown };
    if (c?.cell_type !== 'code') return;
    const source = cellText(c.source);
    const rewritten = rewriteMagics(source);
    let text = rewritten.text;
    if (!text.endsWith('\n')) text += '\n';
    const lineCount = text.split('\n').length - 1;
    out.push({ number: i + 1, magics: rewritten.magics, startLine: line, lineCount, fileLines: fileLines?.[i], source });
    parts.push(text);
    line += lineCount;
  });
  return { text: parts.join(''), cells: out };
}

/**
 * One Python program from code cells given one by one (as an editor syncs them), in order: the same
 * layout as `notebookProgram` builds from .ipynb JSON (magics rewritten line for line, every cell
 * ending with a line break), so `mapNotebookFindings` maps findings back to the cells. `number` is
 * the cell's 1-based position among all cells of the notebook; `fileLines` stays unset.
 */
export function notebookProgramFromCells(cells: readonly { text: string; number: number }[]): NotebookProgram {
  const parts: string[] = [];
  const out: NotebookCell[] = [];
  let line = 0;
  for (const cell of cells) {
    // Editors may hand cells over with Windows line breaks; the program is split at `\n` only.
    const source = cell.text.replace(/\r\n?/g, '\n');
    const rewritten = rewriteMagics(source);
    let text = rewritten.text;
    if (!text.endsWith('\n')) text += '\n';
    const lineCount = text.split('\n').length - 1;
    out.push({ number: cell.number, magics: rewritten.magics, startLine: line, lineCount, source });
    parts.push(text);
    line += lineCount;
  }
  return { text: parts.join(''), cells: out };
}

/** The cell holding a line of the combined program. */
export function cellOfLine(nb: NotebookProgram, line: number): NotebookCell | undefined {
  return nb.cells.find((c) => line >= c.startLine && line < c.startLine + c.lineCount);
}

/** A program range made relative to `cell`: lines from the cell's start, magic-line columns shifted back. */
function toCell(range: Range, cell: NotebookCell): Range {
  const point = (p: Range['start']) => {
    const line = p.line - cell.startLine;
    const magic = cell.magics.find((m) => m.line === line);
    return { line, character: magic ? Math.max(0, p.character - magic.shift) : p.character };
  };
  return { start: point(range.start), end: point(range.end) };
}

/** `import x` / `from x import y` inserted as a new line: a fix may carry it into its own cell. */
const IMPORT_LINE = /^(?:import [\w.]+(?: as \w+)?|from [\w.]+ import [\w, ]+)\n$/;

/** Where an import goes inside a cell: after a leading `%%time`-style line (which must stay first). */
function cellImportLine(nb: NotebookProgram, cell: NotebookCell): number {
  const firstLine = nb.text.split('\n')[cell.startLine] ?? '';
  return firstLine === '' && cell.lineCount > 1 ? 1 : 0;
}

/**
 * Maps findings of the combined program to their cells: ranges become cell-relative (magic lines
 * keep their original columns), `cell` is set, related information in other cells notes its cell,
 * an import a fix adds in another cell moves to the top of the finding's cell, and fixes that would
 * otherwise touch another cell (or a rewritten magic line) are dropped.
 */
export function mapNotebookFindings(nb: NotebookProgram, findings: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const cell = cellOfLine(nb, f.range.start.line);
    if (!cell) continue;
    const inCell = (r: Range) =>
      r.start.line >= cell.startLine &&
      r.end.line < cell.startLine + cell.lineCount &&
      !cell.magics.some((m) => m.line === r.start.line - cell.startLine || m.line === r.end.line - cell.startLine);
    const fixes: Finding['fixes'] = [];
    for (const fix of f.fixes) {
      const edits: TextEdit[] = [];
      let ok = true;
      for (const e of fix.edits) {
        if (inCell(e.range)) edits.push({ ...e, range: toCell(e.range, cell) });
        else if (IMPORT_LINE.test(e.newText) && e.range.start.line === e.range.end.line && e.range.start.character === e.range.end.character) {
          const at = { line: cellImportLine(nb, cell), character: 0 };
          edits.push({ range: { start: at, end: at }, newText: e.newText });
        } else ok = false;
      }
      if (ok) fixes.push({ ...fix, edits });
    }
    out.push({
      ...f,
      cell: cell.number,
      range: toCell(f.range, cell),
      fixes,
      related: f.related.map((r) => {
        const rc = cellOfLine(nb, r.range.start.line);
        return rc && rc !== cell
          ? { range: toCell(r.range, rc), message: `${r.message} (cell ${rc.number})`, cell: rc.number }
          : { ...r, range: toCell(r.range, cell), cell: cell.number };
      }),
    });
  }
  return out;
}

/**
 * For each cell index, the 1-based file line of each element of its `source` array, when the
 * notebook is laid out as Jupyter writes it (one source line per JSON line). Returns undefined
 * when the layout is not recognised; callers then report positions relative to the cell only.
 */
export function sourceLinePositions(json: string): (number[] | undefined)[] | undefined {
  const result: (number[] | undefined)[] = [];
  const lines = json.split('\n');
  let cellIndex = -1;
  let inCells = false;
  let depth = 0;
  let cellsDepth = -1;
  let current: number[] | undefined;
  let inSource = false;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (!inCells) {
      depth += count(t, '{[') - count(t, '}]');
      if (/^"cells"\s*:\s*\[/.test(t)) {
        inCells = true;
        cellsDepth = depth;
      }
      continue;
    }
    if (inSource) {
      if (t.startsWith('"')) {
        current!.push(i + 1);
        continue;
      }
      if (!t.startsWith(']')) return undefined;
      inSource = false;
    }
    const m = /^"source"\s*:\s*(\[|")/.exec(t);
    if (m && current === undefined) {
      current = [];
      result[cellIndex] = current;
      if (m[1] === '"') current.push(i + 1); // a single-string source
      else if (!/\]\s*,?$/.test(t)) inSource = true;
    }
    const before = depth;
    depth += count(t, '{[') - count(t, '}]');
    if (before === cellsDepth && t.startsWith('{')) {
      cellIndex++;
      current = undefined;
    }
    if (depth < cellsDepth) break;
  }
  return result;
}

function count(text: string, chars: string): number {
  // Brackets inside strings would confuse this; notebook layout keeps them on source lines, which
  // are handled before counting.
  let n = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '"') inString = !inString;
    else if (!inString && chars.includes(ch)) n++;
  }
  return n;
}
