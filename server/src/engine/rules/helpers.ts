/** Small helpers shared by the rule files. */
import type { Argument, CallSite } from '../call';
import { rangeOf, type Report, type RuleContext } from '../rule';
import type { TaintKind } from '../taint';
import type { Node } from '../parser';
import type { Scope } from '../scope';
import { isConstant, qualifiedName, truthiness, valueOf } from '../values';

/**
 * The node to underline for a finding about `preferred` (an argument): the argument itself when it
 * sits on the call's first line, else the callee, so the squiggle and suppression comments stay on
 * the line where the call starts.
 */
export function anchor(call: CallSite, preferred?: Node): Node {
  if (preferred && preferred.startPosition.row === call.node.startPosition.row) return preferred;
  if (call.node.startPosition.row === call.node.endPosition.row) return call.node;
  return call.callee;
}

/** The node to underline for a keyword argument: `keyword=value` when written in the call. */
export function argNode(arg: Argument): Node {
  return arg.keyword ?? arg.value;
}

/** `True` when the argument is known to be truthy, `false` when known falsy, undefined otherwise. */
export function argTruth(call: CallSite, arg: Argument | undefined): boolean | undefined {
  return arg ? truthiness(call.valueOf(arg)) : undefined;
}

/** True when the argument is present and not a constant (a value input could control). */
export function isDynamic(call: CallSite, arg: Argument | undefined): boolean {
  if (arg === undefined || isConstant(call.valueOf(arg))) return false;
  return !isAllowListLookup(arg.value, arg.scope);
}

/**
 * `ALLOWED[key]` where `ALLOWED` is a literal dict (or list/tuple) whose values are all constants:
 * whatever the key, the result is one of the author's constants.
 */
function isAllowListLookup(node: Node, scope: Scope): boolean {
  if (node.type !== 'subscript') return false;
  const value = node.childForFieldName('value');
  if (!value) return false;
  const v = valueOf(value, scope);
  if (v.kind === 'dict') return v.complete && v.entries.size > 0 && [...v.entries.values()].every((e) => isConstant(valueOf(e.node, e.scope)));
  if (v.kind === 'sequence') return v.items.length > 0 && v.items.every((e) => isConstant(valueOf(e.node, e.scope)));
  return false;
}

/** Short description of a dynamic argument for messages. */
export function describe(node: Node): string {
  const text = node.text.replace(/\s+/g, ' ');
  return text.length > 40 ? text.slice(0, 37) + '...' : text;
}

/**
 * True when a `loads`-style call reads bytes this very code just produced with the matching
 * `dumps` (`pickle.loads(pickle.dumps(obj))`, or a name bound to such a call): an in-process copy,
 * not data from outside.
 */
export function isRoundTrip(call: CallSite, dumps: readonly string[]): boolean {
  const arg = call.arg(0);
  if (!arg) return false;
  let node = arg.value;
  let scope = arg.scope;
  for (let depth = 0; depth < 4 && node.type === 'identifier'; depth++) {
    const binding = scope.lookup(node.text, node.startIndex);
    if (binding?.kind !== 'assign') return false;
    node = binding.value;
    scope = binding.scope;
  }
  if (node.type !== 'call') return false;
  const fn = node.childForFieldName('function');
  const q = fn ? qualifiedName(fn, scope) : undefined;
  return q !== undefined && dumps.includes(q);
}

const TAINT_WORDS: Record<TaintKind, string> = {
  request: 'request data',
  upload: 'an uploaded file',
  'user-input': 'user input',
  'ui-input': 'user input',
  'llm-output': 'LLM output',
};

/**
 * Raises a report to critical when `arg` carries untrusted data: the message says where the data
 * comes from and the related information points at that line. Reports on local data pass unchanged.
 */
export function withTaint(ctx: RuleContext, arg: Argument | undefined, report: Report): Report {
  const taint = arg ? ctx.taint(arg.value, arg.scope) : undefined;
  if (!taint) return report;
  const line = taint.source.startPosition.row + 1;
  return {
    ...report,
    severity: 'critical',
    message: `${report.message} Here it receives ${TAINT_WORDS[taint.kind]} from ${taint.label} (line ${line}).`,
    related: [...(report.related ?? []), { range: rangeOf(taint.source), message: `${TAINT_WORDS[taint.kind]} enters here` }],
  };
}

/** The subprocess functions that run a command (shared by the shell and LLM-output rules). */
export const SUBPROCESS_CALLS: readonly string[] = [
  'subprocess.run',
  'subprocess.call',
  'subprocess.check_call',
  'subprocess.check_output',
  'subprocess.Popen',
  'subprocess.getoutput',
  'subprocess.getstatusoutput',
];
