/**
 * What an expression stands for: a qualified name (`torch.load`), a literal value, a class of this
 * file, or unknown. Names bound to literals in the same or an enclosing scope are followed.
 */
import type { Node } from './parser';
import { BUILTINS, canonicalName } from './modules';
import type { Scope } from './scope';

export type Value =
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  /** A literal dict; `complete` is false when it also unpacks something unknown. */
  | { kind: 'dict'; entries: Map<string, { node: Node; scope: Scope }>; complete: boolean }
  | { kind: 'sequence'; items: { node: Node; scope: Scope }[] }
  /** A module, function or attribute of a module, by canonical qualified name. */
  | { kind: 'ref'; qname: string }
  /** A class defined in the analysed file. */
  | { kind: 'class'; node: Node; scope: Scope }
  | { kind: 'unknown' };

const UNKNOWN: Value = { kind: 'unknown' };
const MAX_DEPTH = 12;

/** The expression inside any number of parentheses. */
export function unwrap(node: Node): Node {
  let n = node;
  while (n.type === 'parenthesized_expression' && n.namedChildCount === 1) {
    const inner = n.namedChild(0);
    if (!inner) break;
    n = inner;
  }
  return n;
}

/** The canonical qualified name an expression refers to (`T.serialization.load` → `torch.load`). */
export function qualifiedName(node: Node, scope: Scope, depth = 0): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const n = unwrap(node);
  if (n.type === 'identifier') {
    const binding = scope.lookup(n.text, n.startIndex);
    if (!binding) return BUILTINS.has(n.text) ? `builtins.${n.text}` : undefined;
    if (binding.kind === 'import') return binding.qname;
    if (binding.kind === 'assign') return qualifiedName(binding.value, binding.scope, depth + 1);
    return undefined;
  }
  if (n.type === 'attribute') {
    const object = n.childForFieldName('object');
    const attribute = n.childForFieldName('attribute');
    if (!object || !attribute) return undefined;
    const base = qualifiedName(object, scope, depth + 1);
    return base === undefined ? undefined : canonicalName(`${base}.${attribute.text}`);
  }
  return undefined;
}

/** The literal content of a string node without interpolation, or undefined. */
function stringContent(n: Node): string | undefined {
  let out = '';
  for (const child of n.namedChildren) {
    if (!child) continue;
    if (child.type === 'interpolation') return undefined;
    if (child.type === 'string_content' || child.type === 'escape_sequence') out += child.text;
  }
  return out;
}

export function valueOf(node: Node, scope: Scope, depth = 0): Value {
  if (depth > MAX_DEPTH) return UNKNOWN;
  const n = unwrap(node);
  switch (n.type) {
    case 'true':
      return { kind: 'bool', value: true };
    case 'false':
      return { kind: 'bool', value: false };
    case 'none':
      return { kind: 'none' };
    case 'integer':
    case 'float': {
      const v = Number(n.text.replace(/_/g, ''));
      return Number.isNaN(v) ? UNKNOWN : { kind: 'number', value: v };
    }
    case 'string': {
      const s = stringContent(n);
      return s === undefined ? UNKNOWN : { kind: 'string', value: s };
    }
    case 'concatenated_string': {
      let out = '';
      for (const part of n.namedChildren) {
        if (!part) continue;
        const v = valueOf(part, scope, depth + 1);
        if (v.kind !== 'string') return UNKNOWN;
        out += v.value;
      }
      return { kind: 'string', value: out };
    }
    case 'binary_operator': {
      const op = n.childForFieldName('operator')?.type;
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (!left || !right) return UNKNOWN;
      const l = valueOf(left, scope, depth + 1);
      const r = valueOf(right, scope, depth + 1);
      if (op === '+' && l.kind === 'string' && r.kind === 'string') return { kind: 'string', value: l.value + r.value };
      if (op === '+' && l.kind === 'number' && r.kind === 'number') return { kind: 'number', value: l.value + r.value };
      if (op === '%' && l.kind === 'string' && isConstant(r)) return { kind: 'string', value: l.value };
      return UNKNOWN;
    }
    case 'not_operator': {
      const arg = n.childForFieldName('argument');
      const v = arg ? valueOf(arg, scope, depth + 1) : UNKNOWN;
      const truth = truthiness(v);
      return truth === undefined ? UNKNOWN : { kind: 'bool', value: !truth };
    }
    case 'dictionary':
      return dictionaryValue(n, scope);
    case 'list':
    case 'tuple':
      return {
        kind: 'sequence',
        items: n.namedChildren.filter((c): c is Node => c !== null).map((c) => ({ node: c, scope })),
      };
    case 'call': {
      // dict(key=value, ...) with keywords only
      const fn = n.childForFieldName('function');
      const args = n.childForFieldName('arguments');
      if (fn && args && qualifiedName(fn, scope, depth + 1) === 'builtins.dict') {
        const entries = new Map<string, { node: Node; scope: Scope }>();
        let complete = true;
        for (const arg of args.namedChildren) {
          if (arg?.type === 'keyword_argument') {
            const name = arg.childForFieldName('name');
            const value = arg.childForFieldName('value');
            if (name && value) entries.set(name.text, { node: value, scope });
          } else complete = false;
        }
        return { kind: 'dict', entries, complete };
      }
      return UNKNOWN;
    }
    case 'identifier': {
      const binding = scope.lookup(n.text, n.startIndex);
      if (!binding) return BUILTINS.has(n.text) ? { kind: 'ref', qname: `builtins.${n.text}` } : UNKNOWN;
      switch (binding.kind) {
        case 'import':
          return { kind: 'ref', qname: binding.qname };
        case 'assign':
          return valueOf(binding.value, binding.scope, depth + 1);
        case 'class':
          return { kind: 'class', node: binding.node, scope: binding.scope };
        default:
          return UNKNOWN;
      }
    }
    case 'attribute': {
      const q = qualifiedName(n, scope, depth + 1);
      return q === undefined ? UNKNOWN : { kind: 'ref', qname: q };
    }
    default:
      return UNKNOWN;
  }
}

function dictionaryValue(n: Node, scope: Scope): Value {
  const entries = new Map<string, { node: Node; scope: Scope }>();
  let complete = true;
  for (const item of n.namedChildren) {
    if (!item) continue;
    if (item.type === 'pair') {
      const key = item.childForFieldName('key');
      const value = item.childForFieldName('value');
      const k = key ? valueOf(key, scope) : UNKNOWN;
      if (k.kind === 'string' && value) entries.set(k.value, { node: value, scope });
      else complete = false;
    } else if (item.type !== 'comment') {
      complete = false;
    }
  }
  return { kind: 'dict', entries, complete };
}

/** Python truthiness of a known value; undefined when unknown. */
export function truthiness(v: Value): boolean | undefined {
  switch (v.kind) {
    case 'bool':
      return v.value;
    case 'none':
      return false;
    case 'number':
      return v.value !== 0;
    case 'string':
      return v.value.length > 0;
    default:
      return undefined;
  }
}

/** A value fixed in the source text (no input can change it). */
export function isConstant(v: Value): boolean {
  return v.kind === 'bool' || v.kind === 'none' || v.kind === 'number' || v.kind === 'string';
}

/** For a name bound by `with <value> as <name>`, the `<value>` expression (parenthesised targets too). */
export function withItemValue(name: Node): Node | undefined {
  let target = name.parent;
  while (target?.type === 'parenthesized_expression') target = target.parent;
  if (target?.type !== 'as_pattern_target') return undefined;
  const pattern = target.parent;
  if (pattern?.type !== 'as_pattern' || pattern.parent?.type !== 'with_item') return undefined;
  return pattern.namedChild(0) ?? undefined;
}
