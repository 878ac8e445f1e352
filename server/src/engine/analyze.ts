/**
 * Runs the rules over one parsed Python module.
 */
import { performance } from 'node:perf_hooks';
import { CallSite } from './call';
import { BUILTINS } from './modules';
import { qualifiedName } from './values';
import type { Node, Tree } from './parser';
import { RULES } from './registry';
import { member, rangeOf, type NodeContext, type Rule } from './rule';
import { buildScopes, CAPTURED_NODE_TYPES, scopeAt, type Scope } from './scope';
import { mayCallInput, possibleSources, TaintTracker } from './taint';
import { Suppressions } from './suppress';
import type { AnalysisOptions, AnalysisResult, Finding } from './types';

/** The rules enabled by `options`, in registry order. */
export function enabledRules(options: AnalysisOptions = {}): Rule[] {
  const disabled = new Set(options.disabledRules ?? []);
  const selected = options.selectedRules?.length ? new Set(options.selectedRules) : undefined;
  return RULES.filter((r) => !disabled.has(r.meta.id) && (!selected || selected.has(r.meta.id)));
}

interface TriggerIndex {
  words: Set<string>;
  /** For each word, the other words it contains (`Unpickler` contains `pickle`). */
  inside: Map<string, string[]>;
  /** For each word, the words that may start inside it and run past its end, with their offset. */
  overlaps: Map<string, { offset: number; word: string }[]>;
  pattern: RegExp;
}

/** Built once per distinct rule selection (settings rarely change). */
const triggerIndexes = new Map<string, TriggerIndex>();

function triggerIndex(rules: readonly Rule[]): TriggerIndex {
  const key = rules.map((r) => r.meta.id).join(',');
  let index = triggerIndexes.get(key);
  if (!index) {
    const words = new Set(rules.flatMap((r) => [...r.triggers, ...(r.requires ?? []), ...(callMembers(r) ?? [])]));
    const list = [...words].sort((a, b) => b.length - a.length);
    const inside = new Map(list.map((w) => [w, list.filter((x) => x !== w && w.includes(x))]));
    // Words by each of their prefixes, so that the words starting with a suffix of `w` are one lookup.
    const byPrefix = new Map<string, string[]>();
    for (const u of list) {
      for (let n = 1; n <= u.length; n++) {
        const prefix = u.slice(0, n);
        let bucket = byPrefix.get(prefix);
        if (!bucket) byPrefix.set(prefix, (bucket = []));
        bucket.push(u);
      }
    }
    const overlaps = new Map(
      list.map((w) => {
        const out: { offset: number; word: string }[] = [];
        for (let k = 1; k < w.length; k++) {
          for (const u of byPrefix.get(w.slice(k)) ?? []) if (u.length > w.length - k) out.push({ offset: k, word: u });
        }
        return [w, out];
      }),
    );
    const alternatives = list.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    index = { words, inside, overlaps, pattern: new RegExp(alternatives.join('|') || '(?!)', 'g') };
    triggerIndexes.set(key, index);
  }
  return index;
}

/** Every trigger word of `rules` that occurs in `text`, found in one pass (overlaps included). */
function wordsIn(text: string, index: TriggerIndex): Set<string> {
  const found = new Set<string>();
  const add = (w: string) => {
    found.add(w);
    for (const x of index.inside.get(w) ?? []) found.add(x);
  };
  const re = index.pattern;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const w = m[0];
    // The longest word at this position, the words inside it (`pickle` in `Unpickler`), and words
    // that start inside it but run past its end; scanning then resumes after it.
    add(w);
    for (const o of index.overlaps.get(w) ?? []) if (!found.has(o.word) && text.startsWith(o.word, m.index + o.offset)) add(o.word);
    if (found.size === index.words.size) break;
  }
  return found;
}

/**
 * Cheap textual pre-check: the rules of `rules` that could match `text` at all (one of their
 * `triggers`, and one of their `requires` when they have some, occurs in the text). One regular
 * expression pass over the text serves every rule.
 */
export function triggeredRules(text: string, rules: readonly Rule[]): Rule[] {
  const found = wordsIn(text, triggerIndex(rules));
  let inputCall: boolean | undefined;
  return rules.filter((r) => {
    if (!r.triggers.some((t) => found.has(t)) || (r.requires && !r.requires.some((t) => found.has(t)))) return false;
    const members = callMembers(r);
    if (members && !members.some((m) => found.has(m))) return false;
    const builtins = builtinCalls(r);
    if (builtins && !builtins.test(text) && !text.includes('builtins')) return false;
    // `input` the word is everywhere in ML code (`def forward(self, input)`); only a call of the
    // builtin makes it a source.
    if (r.needsTaint === 'any' && r.requires && !r.requires.some((t) => t !== 'input' && found.has(t))) {
      inputCall ??= mayCallInput(text);
      if (!inputCall) return false;
    }
    return true;
  });
}

const callMemberCache = new WeakMap<Rule, readonly string[] | null>();
const builtinCallCache = new WeakMap<Rule, RegExp | null>();

/**
 * For a rule that only checks calls of builtins (`eval`, `exec`, `compile`): a pattern for their
 * names written on their own, not as an attribute (`model.eval()`, `re.compile(...)`,
 * `torch.compile(...)` are no builtins). Reaching a builtin otherwise takes `builtins.` or
 * `__builtins__`, which the caller checks for.
 */
function builtinCalls(rule: Rule): RegExp | undefined {
  let re = builtinCallCache.get(rule);
  if (re === undefined) {
    const names = callMembers(rule) && rule.calls!.every((q) => q.startsWith('builtins.')) ? rule.calls!.map(member) : undefined;
    re = names ? new RegExp(`(?<![\\w.])(?:${names.join('|')})(?![\\w])`) : null;
    builtinCallCache.set(rule, re);
  }
  return re ?? undefined;
}

/**
 * For a rule that only checks calls of named callees: the last segments of those names. A call
 * can only resolve to `pickle.loads` if `loads` is written somewhere in the file (in the call, an
 * import or an alias), so a file without any of them cannot match. Undefined for other rules.
 */
function callMembers(rule: Rule): readonly string[] | undefined {
  let members = callMemberCache.get(rule);
  if (members === undefined) {
    members = rule.check && !rule.anyCall && !rule.checkNode && rule.calls?.length ? [...new Set(rule.calls.map(member))] : null;
    callMemberCache.set(rule, members);
  }
  return members ?? undefined;
}

export const EMPTY_RESULT: Readonly<AnalysisResult> = Object.freeze({
  findings: [],
  suppressed: 0,
  timedOut: false,
  hasSyntaxErrors: false,
  syntaxErrors: [],
});

/**
 * Cheap test, from the source text around the argument list, whether a call can resolve to one of
 * the callees the rules look at: an attribute call `x.name(...)` only when `name` is one of their
 * last segments; a call of a plain name only when the module binds that name by an import or an
 * assignment somewhere, or it is a builtin (any other name is a def, a class, a parameter or
 * unknown, and resolves to nothing). Anything else (`(f)(x)`, `f()()`) is left to full resolution.
 */
function mayMatch(call: Node, text: string, members: ReadonlySet<string>, valueNames: ReadonlySet<string>): boolean {
  const args = call.childForFieldName('arguments');
  if (!args) return true;
  let end = args.startIndex;
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
  let start = end;
  while (start > 0 && isWordChar(text.charCodeAt(start - 1))) start--;
  // A comment between the callee and its arguments: leave it to full resolution.
  if (start === end || start < call.startIndex || text.lastIndexOf('#', end) >= call.startIndex) return true;
  const name = text.slice(start, end);
  let before = start;
  while (before > call.startIndex && isSpace(text.charCodeAt(before - 1))) before--;
  if (before > call.startIndex && text.charCodeAt(before - 1) === 46 /* . */) return members.has(name);
  if (before !== call.startIndex) return true;
  return valueNames.has(name) || BUILTINS.has(name);
}

function isSpace(c: number): boolean {
  // space, tab, newline, carriage return, form feed, and the backslash of a line continuation
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 92;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c > 127;
}

/** How often (in calls) the time budget is checked. */
const BUDGET_STRIDE = 64;
const MAX_REPORTED_SYNTAX_ERRORS = 20;

/**
 * Analyses a parsed module. `rules` defaults to the enabled rules that the text triggers; callers
 * that already ran the pre-check pass the result to avoid doing it twice.
 */
export function analyzeTree(
  tree: Tree,
  text: string,
  options: AnalysisOptions = {},
  rules: readonly Rule[] = triggeredRules(text, enabledRules(options)),
): AnalysisResult {
  const started = performance.now();
  const budget = options.timeBudgetMs ?? Infinity;
  // Calls are most of what the scope builder captures: skip them when no rule needs them.
  const needCalls = rules.some((r) => (r.check && (r.calls?.length || r.anyCall)) || r.needsTaint || (r.checkNode && r.nodes?.includes('call')));
  const nodeTypes = new Set(rules.flatMap((r) => (r.checkNode && !r.patterns ? (r.nodes ?? []) : [])));
  const patterns = new Map(rules.filter((r) => r.checkNode && r.patterns).map((r) => [r.meta.id, r.patterns!]));
  const index = buildScopes(tree, { calls: needCalls, nodes: [...nodeTypes].filter((t) => CAPTURED_NODE_TYPES.has(t)), patterns });
  const hasSyntaxErrors = tree.rootNode.hasError;
  const syntaxErrors = index.errors.slice(0, MAX_REPORTED_SYNTAX_ERRORS).map(rangeOf);
  // Rules about untrusted data are skipped where no source of it can exist (nothing imported
  // that could produce one): most library code of a big repository.
  const sources = possibleSources(index, text);
  if (!sources.llm) rules = rules.filter((r) => !r.needsTaint || (r.needsTaint === 'any' && sources.any));
  if (rules.length === 0) return { ...EMPTY_RESULT, hasSyntaxErrors, syntaxErrors };

  const byCallee = new Map<string, Rule[]>();
  // Last segments of the callees rules look at: an attribute call `x.foo(...)` can only resolve to
  // a name ending in `.foo`, so other attribute calls need no resolution at all.
  const members = new Set<string>();
  const anyCall: Rule[] = [];
  const byNodeType = new Map<string, Rule[]>();
  for (const rule of rules) {
    if (rule.anyCall && rule.check) anyCall.push(rule);
    for (const q of rule.check ? (rule.calls ?? []) : []) {
      members.add(member(q));
      let list = byCallee.get(q);
      if (!list) byCallee.set(q, (list = []));
      list.push(rule);
    }
    for (const type of rule.checkNode && !rule.patterns ? (rule.nodes ?? []) : []) {
      let list = byNodeType.get(type);
      if (!list) byNodeType.set(type, (list = []));
      list.push(rule);
    }
  }

  // Comments are only read once there is a finding to suppress.
  let suppressions: Suppressions | undefined;
  const honorNosec = options.honorNosec ?? true;
  const findings: Finding[] = [];
  let suppressed = 0;
  let timedOut = false;
  let tracker: TaintTracker | undefined;
  const taint = (node: Node, scope: Scope) => (sources.any ? (tracker ??= new TaintTracker(index)).taintOf(node, scope) : undefined);

  /** A context whose reports are suppressed on `lines` as well as on the reported node's line. */
  const contextFor = (rule: Rule, lines: readonly number[]): NodeContext => ({
    text,
    taint,
    scopeOf: (n) => scopeAt(index, n.startIndex),
    report(r) {
      suppressions ??= new Suppressions(tree.rootNode.descendantsOfType('comment').filter((c) => c !== null));
      if (suppressions.size > 0 && suppressions.isSuppressed(rule.meta, [r.node.startPosition.row, ...lines], honorNosec)) {
        suppressed++;
        return;
      }
      findings.push({
        ruleId: rule.meta.id,
        severity: options.severityOverrides?.[rule.meta.id] ?? r.severity ?? rule.meta.severity,
        message: r.message,
        range: rangeOf(r.node),
        fixes: r.fixes ?? [],
        related: r.related ?? [],
      });
    },
  });
  const overBudget = (i: number) => i % BUDGET_STRIDE === 0 && i > 0 && performance.now() - started > budget;

  if (byCallee.size > 0 || anyCall.length > 0) {
    for (let i = 0; i < index.calls.length; i++) {
      if (overBudget(i)) {
        timedOut = true;
        break;
      }
      const { node, scope } = index.calls[i];
      if (anyCall.length === 0 && !mayMatch(node, text, members, index.module.valueNames)) continue;
      const fn = node.childForFieldName('function');
      const qname = fn ? qualifiedName(fn, scope) : undefined;
      const matched = qname ? byCallee.get(qname) : undefined;
      if (!matched && anyCall.length === 0) continue;
      const call = new CallSite(node, scope, qname);
      for (const rule of matched ? [...matched, ...anyCall] : anyCall) {
        rule.check!(call, contextFor(rule, [node.startPosition.row, node.endPosition.row]));
      }
    }
  }

  if (byNodeType.size > 0 && !timedOut) {
    // Calls and assignments come from the scope builder's pass; other types need a walk of their own.
    const walked = [...byNodeType.keys()].filter((t) => !CAPTURED_NODE_TYPES.has(t));
    const captured = index.nodes.filter((n) => byNodeType.has(n.type));
    const nodes = walked.length > 0 ? [...captured, ...tree.rootNode.descendantsOfType(walked)] : captured;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      if (!node) continue;
      if (overBudget(i)) {
        timedOut = true;
        break;
      }
      for (const rule of byNodeType.get(node.type) ?? []) {
        rule.checkNode!(node, contextFor(rule, [node.startPosition.row, node.endPosition.row]));
      }
    }
  }

  // Rules that narrowed their nodes with patterns and spots.
  for (const rule of rules) {
    if (timedOut || !rule.checkNode || !rule.patterns) continue;
    const nodes = [...(index.patternNodes.get(rule.meta.id) ?? [])];
    const seen = new Set(nodes.map((n) => n.id));
    const types = new Set(rule.nodes ?? []);
    for (const offset of rule.spots?.(text) ?? []) {
      let node: Node | null = tree.rootNode.descendantForIndex(offset);
      while (node && !types.has(node.type)) node = node.parent;
      if (node && !seen.has(node.id)) {
        seen.add(node.id);
        nodes.push(node);
      }
    }
    for (let i = 0; i < nodes.length; i++) {
      if (overBudget(i)) {
        timedOut = true;
        break;
      }
      const node = nodes[i];
      rule.checkNode(node, contextFor(rule, [node.startPosition.row, node.endPosition.row]));
    }
  }

  findings.sort(
    (a, b) =>
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character ||
      a.ruleId.localeCompare(b.ruleId),
  );
  return { findings, suppressed, timedOut, hasSyntaxErrors, syntaxErrors };
}
