/**
 * Jupyter notebooks (.ipynb) as one Python program: the code cells in order, so that a name
 * imported in one cell resolves in later cells. Outputs are never read. IPython magics (`!pip`,
 * `%matplotlib`, cell magics such as `%%bash`) are blanked out line for line, so line numbers stay
 * those of the cell; findings are mapped back to (cell, line).
 */
import type { Finding, Range } from './types';

export interface NotebookCell {
  /** 1-based position of the cell among all cells of the notebook (markdown included). */
  number: number;
  /** First line of the cell in the combined program (0-based). */
  startLine: number;
  /** Lines the cell occupies in the combined program. */
  lineCount: number;
  /** 1-based line of each source line in the .ipynb file, when the file lays them out one per line. */
  fileLines?: number[];
}

export interface NotebookProgram {
  text: string;
  cells: NotebookCell[];
}

export class NotebookError extends Error {}

/** Cell magics whose body is still Python. */
const PYTHON_CELL_MAGICS = /^%%(time|timeit|capture|prun|memit|debug)\b/;

/** Replaces IPython syntax that is not Python with blank (or `pass`) lines of the same count. */
export function stripMagics(cellSource: string): string {
  const lines = cellSource.split('\n');
  const first = lines[0]?.trimStart() ?? '';
  if (first.startsWith('%%') && !PYTHON_CELL_MAGICS.test(first)) return lines.map(() => '').join('\n');
  let continued = false;
  return lines
    .map((line, i) => {
      const trimmed = line.trimStart();
      const magic = continued || (i === 0 && first.startsWith('%%')) || trimmed.startsWith('!') || trimmed.startsWith('%') || /^[\w.]+\?{1,2}\s*$/.test(trimmed);
      const continuation = continued;
      continued = magic && line.trimEnd().endsWith('\\');
      if (!magic) return line;
      if (continuation) return '';
      // Keep the block structure valid when a magic sits inside an indented block.
      const indent = line.slice(0, line.length - trimmed.length);
      return indent ? `${indent}pass` : '';
    })
    .join('\n');
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
    let text = stripMagics(cellText(c.source));
    if (!text.endsWith('\n')) text += '\n';
    const lineCount = text.split('\n').length - 1;
    out.push({ number: i + 1, startLine: line, lineCount, fileLines: fileLines?.[i] });
    parts.push(text);
    line += lineCount;
  });
  return { text: parts.join(''), cells: out };
}

/** The cell holding a line of the combined program. */
export function cellOfLine(nb: NotebookProgram, line: number): NotebookCell | undefined {
  return nb.cells.find((c) => line >= c.startLine && line < c.startLine + c.lineCount);
}

function shift(range: Range, lines: number): Range {
  return {
    start: { line: range.start.line - lines, character: range.start.character },
    end: { line: range.end.line - lines, character: range.end.character },
  };
}

/**
 * Maps findings of the combined program to their cells: ranges become cell-relative, `cell` is set,
 * related information in other cells is kept with its own cell noted, and fixes that would touch
 * another cell are dropped (a fix never edits a cell the finding is not in).
 */
export function mapNotebookFindings(nb: NotebookProgram, findings: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const cell = cellOfLine(nb, f.range.start.line);
    if (!cell) continue;
    const inCell = (r: Range) => r.start.line >= cell.startLine && r.end.line < cell.startLine + cell.lineCount;
    out.push({
      ...f,
      cell: cell.number,
      range: shift(f.range, cell.startLine),
      fixes: f.fixes
        .filter((fix) => fix.edits.every((e) => inCell(e.range)))
        .map((fix) => ({ ...fix, edits: fix.edits.map((e) => ({ ...e, range: shift(e.range, cell.startLine) })) })),
      related: f.related.map((r) => {
        const rc = cellOfLine(nb, r.range.start.line);
        return rc && rc !== cell
          ? { range: shift(r.range, rc.startLine), message: `${r.message} (cell ${rc.number})`, cell: rc.number }
          : { ...r, range: shift(r.range, cell.startLine), cell: cell.number };
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
