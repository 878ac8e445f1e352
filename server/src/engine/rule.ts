/**
 * The rule API. A rule is one file: its metadata, the calls it looks at, its check and its fixes.
 */
import type { CallSite } from './call';
import type { Node } from './parser';
import type { Scope } from './scope';
import type { Taint } from './taint';
import type { ManifestContext } from './deps/context';
import type { Fix, RelatedInfo, Range, RuleMeta, Severity } from './types';

export interface Report {
  /** The node to underline. */
  node: Node;
  message: string;
  /** Overrides the rule's default severity for this finding. */
  severity?: Severity;
  fixes?: Fix[];
  related?: RelatedInfo[];
}

export interface RuleContext {
  readonly text: string;
  report(report: Report): void;
  /** Untrusted data reaching `node` (evaluated in `scope`), with where it came from. */
  taint(node: Node, scope: Scope): Taint | undefined;
}

export interface NodeContext extends RuleContext {
  /** The scope a node found by a `nodes` hook is evaluated in. */
  scopeOf(node: Node): Scope;
}

export interface Rule {
  meta: RuleMeta;
  /**
   * Words of which at least one must occur in a file's text for the rule to possibly match. Every
   * module a rule looks at must be imported by name, and builtins are written by name, so this
   * check is sound; it lets files with nothing relevant skip the deeper analysis.
   */
  triggers: readonly string[];
  /**
   * More words of which at least one must ALSO occur (an AND with `triggers`), for rules that
   * need, say, both a sink and a source library (`TAINT_SOURCE_WORDS` from taint.ts).
   */
  requires?: readonly string[];
  /**
   * Set when the rule only ever reports data the taint tracker marks as untrusted (`'llm'`: only
   * LLM output). A file in which no such source can exist (none of the source libraries is
   * imported, no `input()` call) skips the rule after name resolution, before any check runs.
   */
  needsTaint?: 'any' | 'llm';
  /** Canonical qualified names of the callees this rule checks (`pickle.loads`, `builtins.eval`). */
  calls?: readonly string[];
  /** Set when the rule must see every call (for rules keyed on a keyword argument, not a callee). */
  anyCall?: boolean;
  check?(call: CallSite, ctx: RuleContext): void;
  /** tree-sitter node types (other than calls) the rule looks at, e.g. `assignment`, `string`. */
  nodes?: readonly string[];
  checkNode?(node: Node, ctx: NodeContext): void;
  /**
   * Narrows `nodes` for a rule that only cares about some of them: a tree-sitter query whose
   * `@node` captures are matched in the scope builder's pass, plus `spots`, offsets in the text
   * (the innermost node of a `nodes` type holding each one is added). The rule then sees only
   * those nodes instead of every node of its types, so both must cover everything it can report.
   */
  patterns?: string;
  spots?(text: string): number[];
  /**
   * Dependency rules: checks one parsed manifest (requirements file, pyproject.toml, the pip
   * commands of a notebook...). Such rules have no `triggers`: they never run on Python code.
   */
  manifest?(ctx: ManifestContext): void;
}

const ID = /^TL\d{3}$/;

export function defineRule(rule: Rule): Rule {
  if (!ID.test(rule.meta.id)) throw new Error(`rule id ${rule.meta.id} must be TL + 3 digits`);
  const checksCalls = (rule.calls?.length || rule.anyCall) && rule.check;
  const checksNodes = rule.nodes?.length && rule.checkNode;
  if (!checksCalls && !checksNodes && !rule.manifest) throw new Error(`rule ${rule.meta.id} checks nothing`);
  return rule;
}

export function rangeOf(node: Node): Range {
  return {
    start: { line: node.startPosition.row, character: node.startPosition.column },
    end: { line: node.endPosition.row, character: node.endPosition.column },
  };
}

/** The last segment of a qualified name (`pickle.loads` → `loads`). */
export function member(qname: string | undefined): string {
  if (!qname) return '';
  const i = qname.lastIndexOf('.');
  return i < 0 ? qname : qname.slice(i + 1);
}

/** What the callee looks like in the source, for messages (`pk.loads`). */
export function calleeText(call: CallSite): string {
  const text = call.callee.text.replace(/\s+/g, '');
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}
