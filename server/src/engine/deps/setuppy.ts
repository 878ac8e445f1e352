/**
 * setup.py: literal `install_requires`, `extras_require`, `setup_requires` and `tests_require`
 * arguments of `setup(...)` / `setuptools.setup(...)`, read from the tree-sitter tree. The file is
 * never run; values that are not literals are ignored.
 */
import type { Node, Tree } from '../parser';
import { isProblem, mapSpans, parseRequirementString, span } from './pep508';
import type { Manifest, Span } from './types';

/** A Python string literal's value and the file offset of each of its characters. */
export interface PyString {
  value: string;
  pos: number[];
  /** The whole literal, prefix and quotes included. */
  span: Span;
  /** True when every character sits verbatim in the file (no escapes), so sub-spans are exact. */
  verbatim: boolean;
  /** True for an f-string with interpolations (their text is kept as written, `{…}`). */
  interpolated: boolean;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };

function decodeEscape(raw: string): string {
  const c = raw[1];
  if (c in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[c];
  if (c === 'x' || c === 'u' || c === 'U') {
    const code = parseInt(raw.slice(2), 16);
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : raw;
  }
  if (c === '\n') return '';
  return raw;
}

/**
 * Reads a string literal node (`string`), or undefined for byte strings and anything else.
 * Interpolations of f-strings are kept as their source text.
 */
export function pyString(node: Node | null | undefined, text: string): PyString | undefined {
  if (!node || node.type !== 'string') return undefined;
  const startNode = node.children.find((c) => c?.type === 'string_start');
  const prefix = startNode ? text.slice(startNode.startIndex, startNode.endIndex).replace(/['"]+$/, '').toLowerCase() : '';
  if (prefix.includes('b')) return undefined;
  const raw = prefix.includes('r');
  let value = '';
  const pos: number[] = [];
  let verbatim = true;
  let interpolated = false;
  for (const part of node.children) {
    if (!part || part.type !== 'string_content') {
      if (part?.type === 'interpolation') {
        interpolated = true;
        for (let i = part.startIndex; i < part.endIndex; i++) {
          value += text[i];
          pos.push(i);
        }
      }
      continue;
    }
    let at = part.startIndex;
    const children = part.children.filter((c): c is Node => !!c);
    for (const child of [...children, null]) {
      const until = child ? child.startIndex : part.endIndex;
      for (; at < until; at++) {
        value += text[at];
        pos.push(at);
      }
      if (!child) break;
      if (child.type === 'escape_sequence' && !raw) {
        const decoded = decodeEscape(text.slice(child.startIndex, child.endIndex));
        for (const ch of decoded) {
          value += ch;
          pos.push(child.startIndex);
        }
        verbatim = false;
      } else {
        for (let i = child.startIndex; i < child.endIndex; i++) {
          value += text[i];
          pos.push(i);
        }
        if (child.type === 'interpolation') interpolated = true;
      }
      at = child.endIndex;
    }
  }
  pos.push(node.endIndex - 1);
  return { value, pos, span: span(node.startIndex, node.endIndex), verbatim, interpolated };
}

/** Maps a span of `s.value` to the file (the whole literal when the text is not verbatim). */
export function pyStringSpan(s: PyString, sub: Span): Span {
  if (!s.verbatim) return { ...s.span };
  if (sub.end <= sub.start) return span(s.pos[sub.start] ?? s.span.end, s.pos[sub.start] ?? s.span.end);
  return span(s.pos[sub.start], s.pos[sub.end - 1] + 1);
}

const KEYS = new Set(['install_requires', 'setup_requires', 'tests_require', 'extras_require']);

function namedChildren(n: Node): Node[] {
  return n.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
}

/** Module-level `NAME = <literal>` bindings (the last one wins). */
function moduleBindings(root: Node): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const stmt of namedChildren(root)) {
    if (stmt.type !== 'expression_statement') continue;
    const a = stmt.namedChildren[0];
    if (!a || a.type !== 'assignment') continue;
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (left?.type === 'identifier' && right) out.set(left.text, right);
  }
  return out;
}

function isSetupCall(call: Node): boolean {
  const fn = call.childForFieldName('function');
  if (!fn) return false;
  if (fn.type === 'identifier') return fn.text === 'setup';
  if (fn.type === 'attribute') return fn.childForFieldName('attribute')?.text === 'setup';
  return false;
}

function calls(root: Node): Node[] {
  const out: Node[] = [];
  const stack: Node[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'call') out.push(n);
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  return out.reverse();
}

/** Reads the literal requirements of a setup.py. Never throws. */
export function parseSetupPy(text: string, tree: Tree): Manifest {
  const manifest: Manifest = { kind: 'setup-py', requirements: [], indexes: [], includes: [], abstract: true, problems: [] };
  try {
    const root = tree.rootNode;
    const bindings = moduleBindings(root);
    const resolve = (n: Node | null): Node | null => (n?.type === 'identifier' ? (bindings.get(n.text) ?? null) : n);
    const addList = (n: Node | null, section: string): void => {
      const list = resolve(n);
      if (!list || (list.type !== 'list' && list.type !== 'tuple')) return;
      for (const el of namedChildren(list)) {
        const s = pyString(el, text);
        if (!s || s.interpolated) continue;
        // One string may hold several lines (setuptools accepts a multi-line string as well).
        let at = 0;
        for (const line of s.value.split('\n')) {
          const lineAt = at;
          at += line.length + 1;
          const body = line.replace(/(^|\s)#.*$/, '');
          if (!body.trim()) continue;
          const r = parseRequirementString(body, 0, section);
          const f = (x: Span): Span => pyStringSpan(s, span(x.start + lineAt, x.end + lineAt));
          if (isProblem(r)) manifest.problems.push({ span: f(r.span), message: r.message });
          else manifest.requirements.push(mapSpans(r, f));
        }
      }
    };
    for (const call of calls(root)) {
      if (!isSetupCall(call)) continue;
      const args = call.childForFieldName('arguments');
      if (!args) continue;
      for (const arg of namedChildren(args)) {
        if (arg.type !== 'keyword_argument') continue;
        const key = arg.childForFieldName('name')?.text ?? '';
        if (!KEYS.has(key)) continue;
        const value = arg.childForFieldName('value');
        if (key !== 'extras_require') {
          addList(value, key);
          continue;
        }
        const dict = resolve(value);
        if (!dict || dict.type !== 'dictionary') continue;
        for (const pair of namedChildren(dict)) {
          if (pair.type !== 'pair') continue;
          const k = pyString(pair.childForFieldName('key'), text);
          if (!k || k.interpolated) continue;
          addList(pair.childForFieldName('value'), `extras_require.${k.value}`);
        }
      }
    }
  } catch (e) {
    manifest.problems.push({ span: span(0, 0), message: `Could not read setup.py: ${(e as Error).message}` });
  }
  return manifest;
}
