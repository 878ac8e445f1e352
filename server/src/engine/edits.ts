/**
 * Building blocks for fixes: text edits on call arguments that keep the user's formatting.
 */
import type { CallSite } from './call';
import type { Node } from './parser';
import { rangeOf } from './rule';
import type { Position, Range, TextEdit } from './types';

function point(node: Node, end: boolean): Position {
  const p = end ? node.endPosition : node.startPosition;
  return { line: p.row, character: p.column };
}

function span(from: Position, to: Position): Range {
  return { start: from, end: to };
}

export function replaceNode(node: Node, newText: string): TextEdit {
  return { range: rangeOf(node), newText };
}

/** Leading whitespace of the line that holds `index` in `text`. */
function indentAt(text: string, index: number): string {
  let start = index;
  while (start > 0 && text[start - 1] !== '\n') start--;
  let end = start;
  while (end < text.length && (text[end] === ' ' || text[end] === '\t')) end++;
  return text.slice(start, end);
}

function tokens(args: Node): Node[] {
  return args.children.filter((c): c is Node => c !== null && c.type !== 'comment');
}

/** Adds `keyword=value` text as the last argument of a call. */
export function addArgument(call: CallSite, text: string, source: string): TextEdit | undefined {
  const args = call.args;
  if (!args) return undefined;
  const parts = tokens(args);
  const close = parts[parts.length - 1];
  if (!close || close.type !== ')') return undefined;
  const named = parts.filter((c) => c.isNamed);
  const last = named[named.length - 1];
  if (!last) {
    const open = parts[0];
    return { range: span(point(open, true), point(open, true)), newText: text };
  }
  const afterLast = parts[parts.indexOf(last) + 1];
  const multiline = close.startPosition.row !== last.endPosition.row;
  const indent = indentAt(source, last.startIndex);
  if (afterLast && afterLast.type === ',') {
    const at = point(afterLast, true);
    return { range: span(at, at), newText: multiline ? `\n${indent}${text},` : ` ${text}` };
  }
  const at = point(last, true);
  return { range: span(at, at), newText: multiline ? `,\n${indent}${text}` : `, ${text}` };
}

/** Removes one argument (positional or keyword) and the comma that separates it. */
export function removeArgument(call: CallSite, arg: Node): TextEdit | undefined {
  const args = call.args;
  if (!args) return undefined;
  const parts = tokens(args);
  const i = parts.findIndex((p) => p.startIndex === arg.startIndex && p.endIndex === arg.endIndex);
  if (i < 0) return undefined;
  const next = parts[i + 1];
  const afterNext = parts[i + 2];
  if (next?.type === ',' && afterNext && afterNext.type !== ')') {
    return { range: span(point(arg, false), point(afterNext, false)), newText: '' };
  }
  const prev = parts[i - 1];
  const beforePrev = parts[i - 2];
  if (prev?.type === ',' && beforePrev) {
    const end = next?.type === ',' ? point(next, true) : point(arg, true);
    return { range: span(point(beforePrev, true), end), newText: '' };
  }
  const end = next?.type === ',' ? point(next, true) : point(arg, true);
  return { range: span(point(arg, false), end), newText: '' };
}

/** Offsets at which each line of `text` starts (lines end at `\n`, as tree-sitter counts them). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** Applies edits to a text (edits must not overlap). Used by tests, the CLI and fix-all. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = lineStarts(text);
  const offset = (p: Position): number => {
    const start = starts[Math.min(p.line, starts.length - 1)] ?? text.length;
    return Math.min(start + p.character, text.length);
  };
  const sorted = [...edits]
    .map((e) => ({ start: offset(e.range.start), end: offset(e.range.end), text: e.newText }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let limit = Infinity;
  for (const e of sorted) {
    if (e.end > limit) continue; // overlapping edit: skip it, the rest still apply
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    limit = e.start;
  }
  return out;
}
