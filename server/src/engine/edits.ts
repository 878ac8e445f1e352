/**
 * Building blocks for fixes: text edits on call arguments that keep the user's formatting.
 */
import type { CallSite } from './call';
import type { Node } from './parser';
import { rangeOf } from './rule';
import type { Scope } from './scope';
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

/**
 * An edit that adds `import <module>` so that code at `at` (evaluated in `scope`) can use the
 * module: `null` when the name is already bound to that module there, `undefined` when the name
 * means something else (a parameter, a variable: no import can fix that). The import goes before
 * the first top-level import (after any `from __future__` import) when that import comes before the
 * statement holding `at`; otherwise at the top, after a shebang or encoding line and the module
 * docstring.
 */
export function ensureImport(at: Node, scope: Scope, module: string): TextEdit | null | undefined {
  const name = module.split('.')[0];
  const bound = scope.lookup(name, at.startIndex);
  if (bound?.kind === 'import' && bound.qname === name) return null;
  if (bound) return undefined;
  const root = at.tree.rootNode;
  const stmts = root.namedChildren.filter((c): c is Node => c !== null);
  let line = 0;
  let i = 0;
  for (; i < stmts.length && stmts[i].type === 'comment'; i++) {
    const c = stmts[i];
    if (c.startPosition.row !== line || !(/^#!/.test(c.text) || /coding[:=]/.test(c.text))) break;
    line = c.startPosition.row + 1;
  }
  while (i < stmts.length && stmts[i].type === 'comment') i++;
  const first = stmts[i];
  if (first?.type === 'expression_statement' && first.namedChildCount === 1 && first.namedChild(0)?.type === 'string') {
    line = first.endPosition.row + 1;
  }
  let at0: number | undefined;
  for (const stmt of stmts) {
    if (stmt.type === 'import_from_statement' && stmt.childForFieldName('module_name')?.text === '__future__') {
      line = Math.max(line, stmt.endPosition.row + 1);
    } else if (at0 === undefined && (stmt.type === 'import_statement' || stmt.type === 'import_from_statement')) {
      at0 = stmt.startPosition.row;
    }
  }
  // Module-level code runs in order: an import below the statement that needs it comes too late.
  let top: Node = at;
  while (top.parent && top.parent.id !== root.id) top = top.parent;
  const row = at0 !== undefined && at0 <= top.startPosition.row ? Math.max(line, at0) : line;
  if (row > root.endPosition.row) {
    // The line after the docstring does not exist (no final newline): append one.
    const end = point(root, true);
    return { range: span(end, end), newText: `\nimport ${module}\n` };
  }
  const pos = { line: row, character: 0 };
  return { range: span(pos, pos), newText: `import ${module}\n` };
}
