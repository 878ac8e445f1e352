/**
 * Helpers of the untrusted-input family (TL9xx): which taint counts, how a finding names its
 * source, what object a method is called on, and the checks that keep a value in bounds.
 */
import type { Argument } from '../call';
import type { Node } from '../parser';
import { rangeOf, type RuleContext } from '../rule';
import type { Scope } from '../scope';
import { exits, type Taint, type TaintKind } from '../taint';
import type { Fix, Severity } from '../types';
import { qualifiedName, withItemValue } from '../values';

/**
 * Untrusted data reaching `node`, from a client, an upload, a UI widget or the console. LLM output
 * is left out: model text reaching paths, URLs and SQL is reported by the LLM-application rules.
 */
export function untrusted(ctx: RuleContext, node: Node, scope: Scope): Taint | undefined {
  const taint = ctx.taint(node, scope);
  return taint && taint.kind !== 'llm-output' ? taint : undefined;
}

export function untrustedArg(ctx: RuleContext, arg: Argument | undefined): Taint | undefined {
  return arg ? untrusted(ctx, arg.value, arg.scope) : undefined;
}

const WORDS: Record<TaintKind, string> = {
  request: 'request data',
  upload: 'an upload',
  'ui-input': 'user input',
  'user-input': 'console input',
  'llm-output': 'LLM output',
};

export interface TaintedReport {
  /** The node to underline. */
  node: Node;
  taint: Taint;
  /** Start of the message, completed by the source: "`open` gets a path built from". */
  lead: string;
  /** What the data lets an attacker do and what to write instead (one or two sentences). */
  advice: string;
  /** Overrides the rule's severity (console input is always reported as low). */
  severity?: Severity;
  fixes?: Fix[];
}

/**
 * Reports a finding that exists only because untrusted data arrives: the message names the source
 * and its line, and the related information points at it. Console input (`input()`) is reported
 * as low: it matters only when someone other than the person running the script types it.
 */
export function reportTainted(ctx: RuleContext, r: TaintedReport): void {
  const words = WORDS[r.taint.kind];
  const line = r.taint.source.startPosition.row + 1;
  const consoleNote =
    r.taint.kind === 'user-input' ? ' This matters when someone other than the person running the script types the input (a bot, a shared terminal, a wrapper service).' : '';
  const severity: Severity | undefined = r.taint.kind === 'user-input' ? 'low' : r.severity;
  ctx.report({
    node: r.node,
    message: `${r.lead} ${words} (${r.taint.label}, line ${line}); ${r.advice}${consoleNote}`,
    severity,
    fixes: r.fixes,
    related: [{ range: rangeOf(r.taint.source), message: `${words} enters here` }],
  });
}

function unwrap(node: Node): Node {
  let n = node;
  while ((n.type === 'parenthesized_expression' || n.type === 'await') && n.namedChild(0)) n = n.namedChild(0)!;
  return n;
}

/**
 * The library an object comes from: the canonical name of the call at the root of the chain that
 * built it (`sqlite3.connect(db).cursor()` → `sqlite3.connect`, `requests.Session()` →
 * `requests.Session`, `async with aiohttp.ClientSession() as s` → `aiohttp.ClientSession`),
 * following names bound in the same or enclosing scopes. Undefined when it cannot be told.
 */
export function originOf(node: Node, scope: Scope, depth = 0): string | undefined {
  if (depth > 10) return undefined;
  const n = unwrap(node);
  switch (n.type) {
    case 'identifier': {
      const binding = scope.lookup(n.text, n.startIndex);
      if (binding?.kind === 'assign') return originOf(binding.value, binding.scope, depth + 1);
      if (binding?.kind === 'opaque' && binding.node) {
        const value = withItemValue(binding.node);
        return value ? originOf(value, scope, depth + 1) : undefined;
      }
      if (binding?.kind === 'import') return binding.qname;
      return undefined;
    }
    case 'attribute':
    case 'call': {
      const fn = n.type === 'call' ? n.childForFieldName('function') : n;
      if (!fn) return undefined;
      const q = qualifiedName(fn, scope);
      if (q) return q;
      if (fn.type === 'attribute') {
        const object = fn.childForFieldName('object');
        return object ? originOf(object, scope, depth + 1) : undefined;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

export function fromLibrary(origin: string | undefined, libraries: readonly string[]): boolean {
  return !!origin && libraries.some((l) => origin === l || origin.startsWith(l + '.'));
}

/**
 * The names a sink argument flows through: the identifier passed and the names it was copied
 * from (`path = full; open(path)` → path, full). A check on any of them protects the use.
 */
export function namesOf(node: Node, scope: Scope): Set<string> {
  const names = new Set<string>();
  let n = unwrap(node);
  let s = scope;
  for (let i = 0; i < 6 && n.type === 'identifier'; i++) {
    names.add(n.text);
    const binding = s.lookup(n.text, n.startIndex);
    if (binding?.kind !== 'assign') break;
    n = unwrap(binding.value);
    s = binding.scope;
  }
  return names;
}

/** A condition found in an `if`/`assert` guarding a use, with whether it sits under `not`. */
export type CheckMatcher = (node: Node, negated: boolean, mentions: (subject: Node) => boolean) => boolean;

/**
 * True when the use of `names` at `use` is protected by a check before it: the use sits inside
 * `if <check>:`, or an earlier `if not <check>: return/raise/abort()` or `assert <check>` in the
 * same or an enclosing block. `matcher` recognises the check (a `startswith` on the path, a host
 * allow-list membership) and is told whether it appears under `not`. A check may name the
 * variable itself or a name derived from it (`host = urlparse(url).hostname`).
 */
export function isCheckedBefore(use: Node, scope: Scope, names: ReadonlySet<string>, matcher: CheckMatcher): boolean {
  if (names.size === 0) return false;
  const mentions = (subject: Node): boolean => {
    for (const id of [subject, ...subject.descendantsOfType('identifier')]) {
      if (!id || id.type !== 'identifier') continue;
      if (names.has(id.text)) return true;
      const binding = scope.lookup(id.text, id.startIndex);
      if (binding?.kind === 'assign' && binding.value.descendantsOfType('identifier').some((x) => x !== null && names.has(x.text))) return true;
    }
    return false;
  };
  const holds = (cond: Node, wantNegated: boolean): boolean => find(cond, false, (n, neg) => neg === wantNegated && matcher(n, neg, mentions));
  let child: Node = use;
  for (let node = use.parent; node; child = node, node = node.parent) {
    if (node.type === 'function_definition' || node.type === 'lambda') break;
    if (node.type === 'if_statement') {
      const cond = node.childForFieldName('condition');
      const body = node.childForFieldName('consequence');
      if (cond && body && body.startIndex <= child.startIndex && child.endIndex <= body.endIndex && holds(cond, false)) return true;
    }
    if (node.type === 'block' || node.type === 'module') {
      for (const stmt of node.namedChildren) {
        if (!stmt || stmt.startIndex >= child.startIndex) break;
        if (stmt.type === 'if_statement') {
          const cond = stmt.childForFieldName('condition');
          const body = stmt.childForFieldName('consequence');
          if (cond && body && exits(body) && holds(cond, true)) return true;
        } else if (stmt.type === 'assert_statement') {
          const cond = stmt.namedChild(0);
          if (cond && holds(cond, false)) return true;
        }
      }
    }
    if (node.type === 'module') break;
  }
  return false;
}

/** Visits `cond` and its boolean parts, telling the visitor whether each sits under `not`. */
function find(cond: Node, negated: boolean, visit: (n: Node, negated: boolean) => boolean): boolean {
  const n = cond.type === 'parenthesized_expression' && cond.namedChild(0) ? cond.namedChild(0)! : cond;
  if (n.type === 'not_operator') {
    const arg = n.childForFieldName('argument');
    return !!arg && find(arg, !negated, visit);
  }
  if (n.type === 'boolean_operator') {
    const left = n.childForFieldName('left');
    const right = n.childForFieldName('right');
    return (!!left && find(left, negated, visit)) || (!!right && find(right, negated, visit));
  }
  if (n.type === 'comparison_operator') {
    // `x not in ALLOWED` reads as a negated `x in ALLOWED`, `a != b` as a negated `a == b`.
    const ops = n.children.filter((c) => c && !c.isNamed).map((c) => c!.type);
    if (ops.includes('not in') || ops.includes('!=')) return visit(n, !negated);
  }
  return visit(n, negated);
}

/**
 * `obj.method(...)` → [obj, method], else undefined. With `only`, calls of other methods are
 * rejected before the object node is fetched (node hooks see every call of a file).
 */
export function methodCall(node: Node, only?: (method: string) => boolean): [Node, string] | undefined {
  const fn = node.childForFieldName('function');
  if (fn?.type !== 'attribute') return undefined;
  const text = fn.text;
  const method = text.slice(text.lastIndexOf('.') + 1).trim();
  if (!method || (only && !only(method))) return undefined;
  const object = fn.childForFieldName('object');
  return object ? [object, method] : undefined;
}
