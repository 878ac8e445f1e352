import type { Argument, CallSite } from '../call';
import type { Node } from '../parser';
import { defineRule, member, type NodeContext, type RuleContext } from '../rule';
import type { Scope } from '../scope';
import { TAINT_SOURCE_WORDS, type Taint } from '../taint';
import { valueOf } from '../values';
import { anchor, argNode } from './helpers';
import { calleeName, chainRoot, constString, findTaint, inPackage, isUserText, LLM_PACKAGES, resolveExpr, sourceInfo, sourceText } from './llm-app-helpers';

const SYSTEM_ROLES = new Set(['system', 'developer']);
/** Other roles of LangChain `(role, text)` message tuples. */
const TUPLE_ROLES = new Set(['human', 'user', 'ai', 'assistant', 'placeholder', 'tool']);
const LANGCHAIN = ['langchain', 'langchain_core', 'langchain_community', 'langchain_openai', 'langchain_anthropic'];

/** Keyword arguments that set the system prompt of a client call, by the method chain that takes them. */
const CHAIN_KEYWORDS: { pattern: RegExp; packages: string[]; keywords: string[] }[] = [
  { pattern: /\.messages\.(?:create|stream)$/, packages: ['anthropic'], keywords: ['system'] },
  { pattern: /\.responses\.(?:create|stream)$/, packages: ['openai'], keywords: ['instructions'] },
  { pattern: /\.assistants\.(?:create|update)$/, packages: ['openai'], keywords: ['instructions'] },
  { pattern: /\.runs\.(?:create|create_and_poll|stream)$/, packages: ['openai'], keywords: ['instructions', 'additional_instructions'] },
  { pattern: /\.generate$/, packages: ['ollama'], keywords: ['system'] },
];

/** Functions and classes that take a system prompt as a keyword argument. */
const FUNCTION_KEYWORDS: Record<string, string[]> = {
  'ollama.generate': ['system'],
  'google.generativeai.GenerativeModel': ['system_instruction'],
  'google.genai.types.GenerateContentConfig': ['system_instruction'],
  'langgraph.prebuilt.create_react_agent': ['prompt', 'state_modifier', 'messages_modifier'],
};

function isSystemRole(node: Node, scope: Scope): boolean {
  const s = constString(node, scope);
  if (s !== undefined) return SYSTEM_ROLES.has(s.toLowerCase());
  // `MessageRole.SYSTEM` (llama_index) and similar enums
  const v = valueOf(node, scope);
  return v.kind === 'ref' && /\.(?:SYSTEM|DEVELOPER)$/.test(v.qname);
}

/**
 * True when the untrusted text is combined with text the developer wrote (an f-string, a
 * concatenation, a filled-in template): the user's words then carry the developer's authority.
 * False when the whole system prompt is the untrusted value.
 */
function isMixed(node: Node, scope: Scope, depth = 0): boolean {
  if (depth > 8) return false;
  const { node: n, scope: s } = resolveExpr(node, scope);
  switch (n.type) {
    case 'string':
      return n.namedChildren.some((c) => c?.type === 'interpolation') && n.namedChildren.some((c) => c?.type === 'string_content' && c.text.trim() !== '');
    case 'concatenated_string':
      return true;
    case 'binary_operator': {
      const parts = [n.childForFieldName('left'), n.childForFieldName('right')].filter((x): x is Node => !!x);
      return parts.some((p) => valueOf(p, s).kind === 'string' || isMixed(p, s, depth + 1));
    }
    case 'conditional_expression':
    case 'boolean_operator':
    case 'parenthesized_expression':
      return n.namedChildren.some((c) => !!c && isMixed(c, s, depth + 1));
    case 'list':
    case 'tuple':
      return n.namedChildCount > 1;
    case 'call': {
      const fn = n.childForFieldName('function');
      const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
      const object = fn?.type === 'attribute' ? fn.childForFieldName('object') : undefined;
      if (object && (method === 'format' || method === 'join' || method === 'replace' || method === 'format_map')) {
        return valueOf(object, s).kind === 'string' || method === 'format';
      }
      return false;
    }
    default:
      return false;
  }
}

function reportSystem(ctx: RuleContext, node: Node, value: Node, scope: Scope, taint: Taint): void {
  const mixed = isMixed(value, scope);
  ctx.report({
    node,
    severity: mixed ? 'high' : 'medium',
    message: mixed
      ? `Text from ${sourceText(taint)} is written into the system prompt, where it carries the authority of your own ` +
        'instructions: it can override them (prompt injection). Keep the system prompt constant and pass that text in a ' +
        'user message, marked as data.'
      : `The system prompt is taken whole from ${sourceText(taint)}: any client can replace your instructions and use the ` +
        'model, its tools and your API key for their own ends. Choose among system prompts you wrote (an allow-listed ' +
        'name) and pass user text in user messages.',
    related: [sourceInfo(taint)],
  });
}

function checkArg(ctx: RuleContext, call: CallSite, arg: Argument | undefined): void {
  if (!arg) return;
  const taint = findTaint(ctx, arg.value, arg.scope, isUserText);
  if (taint) reportSystem(ctx, anchor(call, argNode(arg)), arg.value, arg.scope, taint);
}

/** `{"role": "system", "content": text}` */
function checkDict(node: Node, ctx: NodeContext): void {
  let role: Node | undefined;
  let content: Node | undefined;
  for (const pair of node.namedChildren) {
    if (pair?.type !== 'pair') continue;
    const key = pair.childForFieldName('key');
    const k = key?.type === 'string' ? constString(key, ctx.scopeOf(key)) : undefined;
    if (k === 'role') role = pair.childForFieldName('value') ?? undefined;
    else if (k === 'content') content = pair;
  }
  if (!role || !content) return;
  const scope = ctx.scopeOf(node);
  if (!isSystemRole(role, scope)) return;
  const value = content.childForFieldName('value');
  if (!value) return;
  const taint = findTaint(ctx, value, scope, isUserText);
  if (taint) reportSystem(ctx, content, value, scope, taint);
}

/** `("system", text)` inside a LangChain message list. */
function checkTuple(node: Node, ctx: NodeContext): void {
  const items = node.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
  if (items.length !== 2) return;
  const scope = ctx.scopeOf(node);
  if (!isSystemRole(items[0], scope) || constString(items[0], scope) === undefined) return;
  const list = node.parent;
  if (!list || (list.type !== 'list' && list.type !== 'tuple')) return;
  const inMessageList =
    list.namedChildren.some((sib) => {
      if (!sib || sib.id === node.id || sib.type !== 'tuple') return false;
      const role = sib.namedChild(0);
      const r = role ? constString(role, scope) : undefined;
      return r !== undefined && TUPLE_ROLES.has(r);
    }) || isLangChainArgument(list, scope);
  if (!inMessageList) return;
  const taint = findTaint(ctx, items[1], scope, isUserText);
  if (taint) reportSystem(ctx, node, items[1], scope, taint);
}

/** The list is an argument of a LangChain call (`ChatPromptTemplate.from_messages([...])`). */
function isLangChainArgument(list: Node, scope: Scope): boolean {
  let p = list.parent;
  if (p?.type === 'keyword_argument') p = p.parent;
  const call = p?.type === 'argument_list' ? p.parent : undefined;
  return call?.type === 'call' && inPackage(calleeName(call, scope), LANGCHAIN);
}

export default defineRule({
  meta: {
    id: 'TL703',
    name: 'untrusted-text-in-system-prompt',
    title: 'User-controlled text placed in an LLM system prompt',
    family: 'llm-app',
    severity: 'high',
    cwe: ['CWE-1427'],
    threats: ['MLT-090', 'MLT-028', 'MLT-036', 'MLT-068', 'MLT-060'],
    techniques: ['AML.T0051.000', 'AML.T0054', 'AML.T0065'],
    docs: {
      finds:
        'Request data, uploads, UI fields or `input()` that end up in a system (or developer) message: ' +
        '`{"role": "system", "content": ...}` dicts, `dict(role="system", ...)`, LangChain `SystemMessage(...)` and ' +
        '`("system", ...)` tuples, Anthropic `system=`, OpenAI `instructions=`, Gemini `system_instruction=`, ' +
        'ollama `system=`. Text mixed into your own instructions is high severity; a system prompt taken whole ' +
        'from the client is medium. User text in a user message is normal and not reported.',
      why:
        'Models give the system message more weight than the conversation: it is where the application says what ' +
        'the assistant may do. Pasting a user\'s name, profile, uploaded file or "custom instructions" into it hands ' +
        'that text the same authority, so "ignore the rules above and ..." works better than in a user turn, and ' +
        'it can also make the model reveal the rest of the prompt (OWASP LLM01 prompt injection, LLM07 system ' +
        'prompt leakage). The remoteli.io bot and the $1 Tahoe dealership chatbot were steered this way.',
      example:
        'from fastapi import FastAPI\nfrom openai import OpenAI\n\napp = FastAPI()\nclient = OpenAI()\n\n\n' +
        '@app.post("/chat")\ndef chat(question: str, persona: str):\n    messages = [\n' +
        '        {"role": "system", "content": f"You are {persona}. Only answer questions about our products."},\n' +
        '        {"role": "user", "content": question},\n    ]\n' +
        '    return client.chat.completions.create(model="gpt-4o-mini", messages=messages).choices[0].message.content\n',
      useInstead:
        'from typing import Literal\n\nfrom fastapi import FastAPI\nfrom openai import OpenAI\n\napp = FastAPI()\nclient = OpenAI()\n' +
        'PERSONAS = {"support": "a support agent", "sales": "a sales assistant"}\n\n\n' +
        '@app.post("/chat")\ndef chat(question: str, persona: Literal["support", "sales"]):\n    messages = [\n' +
        '        {"role": "system", "content": f"You are {PERSONAS[persona]}. Only answer questions about our products."},\n' +
        '        {"role": "user", "content": question},\n    ]\n' +
        '    return client.chat.completions.create(model="gpt-4o-mini", messages=messages).choices[0].message.content\n',
      references: [
        { title: 'OWASP LLM01:2025 Prompt Injection', url: 'https://genai.owasp.org/llmrisk/llm01-prompt-injection/' },
        { title: 'OWASP LLM07:2025 System Prompt Leakage', url: 'https://genai.owasp.org/llmrisk/llm072025-system-prompt-leakage/' },
        { title: 'OWASP LLM Prompt Injection Prevention Cheat Sheet', url: 'https://cheatsheetseries.owasp.org/cheatsheets/LLM_Prompt_Injection_Prevention_Cheat_Sheet.html' },
        { title: 'MITRE ATLAS AML.T0051: LLM Prompt Injection', url: 'https://atlas.mitre.org/techniques/AML.T0051' },
      ],
    },
  },
  requires: TAINT_SOURCE_WORDS,
  needsTaint: 'any',
  triggers: ['system', 'System', 'SYSTEM', 'developer', 'DEVELOPER', 'instructions', 'create_react_agent'],
  anyCall: true,
  check(call, ctx) {
    const q = call.qname;
    if (q === 'builtins.dict') {
      const role = call.keyword('role');
      if (role && isSystemRole(role.value, role.scope)) checkArg(ctx, call, call.keyword('content'));
      return;
    }
    if (q && inPackage(q, LLM_PACKAGES)) {
      const name = member(q);
      const segments = q.split('.');
      if (name === 'SystemMessage' && inPackage(q, LANGCHAIN)) return checkArg(ctx, call, call.arg(0, 'content'));
      if (segments[segments.length - 2] === 'SystemMessagePromptTemplate' && name === 'from_template') return checkArg(ctx, call, call.arg(0, 'template'));
      if (name === 'ChatMessage') {
        const role = call.arg(undefined, 'role');
        if (role && isSystemRole(role.value, role.scope)) checkArg(ctx, call, call.arg(undefined, 'content'));
        return;
      }
      const keywords = FUNCTION_KEYWORDS[q];
      if (keywords) {
        for (const kw of keywords) checkArg(ctx, call, call.keyword(kw));
        return;
      }
      // module-level clients (`openai.responses.create`) are checked below
    }
    if (call.callee.type !== 'attribute') return;
    const text = call.callee.text.replace(/\s+/g, '');
    for (const { pattern, packages, keywords } of CHAIN_KEYWORDS) {
      if (!pattern.test(text)) continue;
      const root = chainRoot(call.callee, call.scope);
      if (!inPackage(root, packages)) continue;
      for (const kw of keywords) checkArg(ctx, call, call.keyword(kw));
      return;
    }
  },
  nodes: ['dictionary', 'tuple'],
  checkNode(node, ctx) {
    if (node.type === 'dictionary') checkDict(node, ctx);
    else checkTuple(node, ctx);
  },
});
