/**
 * Position arithmetic between the two coordinate systems the server juggles:
 *
 * - LSP positions: 0-based line + UTF-16 column, where `\n`, `\r\n` and a lone `\r` all end a line
 *   (what `TextDocument.offsetAt` implements);
 * - tree-sitter points and indexes: web-tree-sitter parses the JS string, so indexes and columns
 *   are UTF-16 code units too, but only `\n` starts a new row.
 *
 * The two agree on every file that does not use lone `\r` line breaks. Tree edits are computed
 * from offsets with tree-sitter's own rule, so the tree stays consistent even when they do not.
 */
import type { Range as LspRange } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { Edit } from 'web-tree-sitter';
import type { Position, Range } from '../engine';

export interface Point {
  row: number;
  column: number;
}

/** How many `\n` occur in `text` between `from` (inclusive) and `to` (exclusive). */
function countNewlines(text: string, from = 0, to = text.length): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The tree-sitter point of a UTF-16 offset in `text`. */
export function pointAt(text: string, offset: number): Point {
  const row = countNewlines(text, 0, offset);
  const lineStart = offset === 0 ? 0 : text.lastIndexOf('\n', offset - 1) + 1;
  return { row, column: offset - lineStart };
}

/** The point reached after inserting `inserted` at `start`. */
export function advance(start: Point, inserted: string): Point {
  const last = inserted.lastIndexOf('\n');
  if (last < 0) return { row: start.row, column: start.column + inserted.length };
  return { row: start.row + countNewlines(inserted), column: inserted.length - last - 1 };
}

/**
 * The tree-sitter edit for replacing `range` of `doc` (its text before the change) with `newText`.
 * LSP ranges are clamped the way `TextDocument` clamps them, so the tree and the text never drift.
 */
export function treeEditFor(doc: TextDocument, range: LspRange, newText: string): Edit {
  const old = doc.getText();
  let startIndex = doc.offsetAt(range.start);
  let oldEndIndex = doc.offsetAt(range.end);
  if (oldEndIndex < startIndex) [startIndex, oldEndIndex] = [oldEndIndex, startIndex];
  const startPosition = pointAt(old, startIndex);
  const removed = old.slice(startIndex, oldEndIndex);
  return new Edit({
    startIndex,
    oldEndIndex,
    newEndIndex: startIndex + newText.length,
    startPosition,
    oldEndPosition: advance(startPosition, removed),
    newEndPosition: advance(startPosition, newText),
  });
}

export function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

export function sameRange(a: Range, b: Range): boolean {
  return comparePositions(a.start, b.start) === 0 && comparePositions(a.end, b.end) === 0;
}

/** True when `p` lies in `r` (start inclusive, end inclusive so the hover also works at the end). */
export function rangeContains(r: Range, p: Position): boolean {
  return comparePositions(r.start, p) <= 0 && comparePositions(p, r.end) <= 0;
}
