/** Helpers shared by the LLM application rules (TL7xx). */
import type { Argument } from '../call';
import type { Node } from '../parser';
import { rangeOf, type RuleContext } from '../rule';
import type { Scope } from '../scope';
import type { Taint, TaintKind } from '../taint';
import type { RelatedInfo } from '../types';
import { qualifiedName, unwrap, valueOf } from '../values';

/** Python packages whose clients, chains and message classes the rules recognise. */
export const LLM_PACKAGES = [
  'openai',
  'anthropic',
  'langchain',
  'langchain_openai',
  'langchain_anthropic',
  'langchain_community',
  'langchain_core',
  'langchain_experimental',
  'langchain_google_genai',
  'langgraph',
  'llama_index',
  'google.generativeai',
  'google.genai',
  'mistralai',
  'cohere',
  'groq',
  'litellm',
  'ollama',
];

export function inPackage(qname: string | undefined, packages: readonly string[]): boolean {
  return !!qname && packages.some((p) => qname === p || qname.startsWith(p + '.'));
}

/** Taint kinds of text a user of the application writes (request data, uploads, UI fields, `input()`). */
export const USER_KINDS: ReadonlySet<TaintKind> = new Set<TaintKind>(['request', 'upload', 'ui-input', 'user-input']);

export const TAINT_WORDS: Record<TaintKind, string> = {
  request: 'request data',
  upload: 'an uploaded file',
  'user-input': 'user input',
  'ui-input': 'user input',
  'llm-output': 'LLM output',
};

/** Related information pointing at where the data enters. */
export function sourceInfo(taint: Taint): RelatedInfo {
  return { range: rangeOf(taint.source), message: `${TAINT_WORDS[taint.kind]} enters here` };
}

/** "`input()` (line 12)" for messages. */
export function sourceText(taint: Taint): string {
  return `${taint.label} (line ${taint.source.startPosition.row + 1})`;
}

/**
 * The first taint of a kind accepted by `accept` found anywhere in an expression. Unlike a plain
 * `ctx.taint`, it looks into dict literals (message dicts, content blocks), checks every part of
 * an f-string or concatenation rather than the first tainted one, and follows `TEMPLATE.format(...)`
 * where `TEMPLATE` is a name bound to a constant string.
 */
export function findTaint(ctx: RuleContext, node: Node, scope: Scope, accept: (t: Taint) => boolean, depth = 0): Taint | undefined {
  if (depth > 16) return undefined;
  const n = unwrap(node);
  const children = (nodes: readonly (Node | null)[]): Taint | undefined => {
    for (const child of nodes) {
      const t = child ? findTaint(ctx, child, scope, accept, depth + 1) : undefined;
      if (t) return t;
    }
    return undefined;
  };
  switch (n.type) {
    case 'string':
      return children(n.namedChildren.filter((c) => c?.type === 'interpolation').map((c) => c!.namedChild(0)));
    case 'concatenated_string':
    case 'list':
    case 'tuple':
    case 'set':
    case 'expression_list':
    case 'conditional_expression':
    case 'boolean_operator':
      return children(n.namedChildren);
    case 'binary_operator':
      return children([n.childForFieldName('left'), n.childForFieldName('right')]);
    case 'dictionary':
      return children(n.namedChildren.filter((c) => c?.type === 'pair').map((c) => c!.childForFieldName('value')));
    case 'call': {
      const fn = n.childForFieldName('function');
      const args = n.childForFieldName('arguments');
      if (fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'format' && args?.type === 'argument_list') {
        const object = fn.childForFieldName('object');
        if (object && valueOf(object, scope).kind === 'string') {
          return children(args.namedChildren.map((a) => (a?.type === 'keyword_argument' ? a.childForFieldName('value') : a)));
        }
      }
      break;
    }
    default:
      break;
  }
  const t = ctx.taint(n, scope);
  if (!t || accept(t)) return t;
  // `cmd = [request_part, llm_part]`: the first taint was not the one asked for; look inside.
  if (n.type === 'identifier') {
    const bound = resolveExpr(n, scope);
    if (bound.node !== n && COMPOSITE.has(bound.node.type)) return findTaint(ctx, bound.node, bound.scope, accept, depth + 1);
  }
  return undefined;
}

const COMPOSITE = new Set(['string', 'concatenated_string', 'list', 'tuple', 'set', 'dictionary', 'binary_operator', 'conditional_expression', 'boolean_operator']);

/** LLM output anywhere in an argument (used by TL201-TL203 to leave these findings to TL701). */
export function llmOutputIn(ctx: RuleContext, arg: Argument | undefined): Taint | undefined {
  return arg ? findTaint(ctx, arg.value, arg.scope, isLlmOutput) : undefined;
}

export const isLlmOutput = (t: Taint): boolean => t.kind === 'llm-output';
export const isUserText = (t: Taint): boolean => USER_KINDS.has(t.kind);

/**
 * Follows a name to the expression it was last bound to (assignments, and `with X as name`), a few
 * steps deep. Returns the node itself when it is not a name bound that way.
 */
export function resolveExpr(node: Node, scope: Scope): { node: Node; scope: Scope } {
  let n = unwrap(node);
  let s = scope;
  for (let i = 0; i < 8 && n.type === 'identifier'; i++) {
    const b = s.lookup(n.text, n.startIndex);
    if (b?.kind === 'assign') {
      n = unwrap(b.value);
      s = b.scope;
      continue;
    }
    if (b?.kind === 'opaque' && b.node) {
      // `with sqlite3.connect(p) as conn:` binds `conn` inside an as_pattern.
      const target = b.node.parent;
      const pattern = target?.type === 'as_pattern_target' ? target.parent : undefined;
      const value = pattern?.type === 'as_pattern' ? pattern.namedChild(0) : undefined;
      if (value && pattern?.parent?.type === 'with_item') {
        n = unwrap(value);
        continue;
      }
    }
    break;
  }
  return { node: n, scope: s };
}

/** The qualified name of the function a call node calls, if it resolves. */
export function calleeName(call: Node, scope: Scope): string | undefined {
  const fn = call.childForFieldName('function');
  return fn ? qualifiedName(fn, scope) : undefined;
}

/**
 * For a method chain like `client.messages.create`, the qualified name of the constructor or
 * module at its root: `anthropic.Anthropic` for `client = anthropic.Anthropic()`, `openai` for
 * `openai.responses.create`, `anthropic.Anthropic` for `Anthropic().messages.create`.
 */
export function chainRoot(callee: Node, scope: Scope): string | undefined {
  let root: Node | null = callee;
  while (root && root.type === 'attribute') root = root.childForFieldName('object');
  if (!root) return undefined;
  const direct = root.type === 'identifier' ? qualifiedName(root, scope) : undefined;
  const { node, scope: s } = resolveExpr(root, scope);
  if (node.type === 'call') return calleeName(node, s) ?? direct;
  return direct;
}

/** A constant string value of an expression, if it has one. */
export function constString(node: Node, scope: Scope): string | undefined {
  const v = valueOf(node, scope);
  return v.kind === 'string' ? v.value : undefined;
}
