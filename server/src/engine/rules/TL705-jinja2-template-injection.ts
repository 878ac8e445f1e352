import type { Argument, CallSite } from '../call';
import { replaceNode } from '../edits';
import type { Node } from '../parser';
import { defineRule, member, type RuleContext } from '../rule';
import type { Scope } from '../scope';
import { TAINT_SOURCE_WORDS, type Taint } from '../taint';
import type { Fix, TextEdit } from '../types';
import { anchor } from './helpers';
import { calleeName, constString, findTaint, inPackage, resolveExpr, sourceInfo, sourceText } from './llm-app-helpers';

const SANDBOXES = new Set(['jinja2.sandbox.SandboxedEnvironment', 'jinja2.sandbox.ImmutableSandboxedEnvironment']);
const ENVIRONMENTS = new Set(['jinja2.Environment', 'jinja2.environment.Environment']);
const TEMPLATES = new Set(['jinja2.Template', 'jinja2.environment.Template']);
const LANGCHAIN = ['langchain', 'langchain_core', 'langchain_community'];
/** LangChain prompt template classes and the keyword that carries the template text. */
const LC_TEMPLATES = new Set(['PromptTemplate', 'ChatPromptTemplate', 'SystemMessagePromptTemplate', 'HumanMessagePromptTemplate', 'AIMessagePromptTemplate', 'FewShotPromptTemplate']);

const anyTaint = (_t: Taint): boolean => true;

/** The environment a `from_string` receiver was created from: 'plain', 'sandbox', or undefined when unknown. */
function environmentKind(node: Node, scope: Scope): { kind: 'plain' | 'sandbox'; ctor?: Node } | undefined {
  const { node: n, scope: s } = resolveExpr(node, scope);
  if (n.type !== 'call') return undefined;
  const q = calleeName(n, s);
  if (q && SANDBOXES.has(q)) return { kind: 'sandbox' };
  if (q && ENVIRONMENTS.has(q)) return { kind: 'plain', ctor: n };
  return undefined;
}

/**
 * The edit adding `from jinja2.sandbox import SandboxedEnvironment` before the first top-level
 * import; null when the name is already bound to it, undefined when it means something else.
 */
function importSandbox(call: CallSite): TextEdit | null | undefined {
  const bound = call.scope.lookup('SandboxedEnvironment', call.node.startIndex);
  if (bound?.kind === 'import' && bound.qname === 'jinja2.sandbox.SandboxedEnvironment') return null;
  if (bound) return undefined;
  for (const stmt of call.node.tree.rootNode.namedChildren) {
    if (stmt?.type === 'future_import_statement') continue;
    if (stmt && (stmt.type === 'import_statement' || stmt.type === 'import_from_statement')) {
      const at = { line: stmt.startPosition.row, character: 0 };
      return { range: { start: at, end: at }, newText: 'from jinja2.sandbox import SandboxedEnvironment\n' };
    }
  }
  return undefined;
}

function sandboxFix(call: CallSite, edit: TextEdit | undefined): Fix[] {
  if (!edit) return [];
  const imp = importSandbox(call);
  if (imp === undefined) return [];
  return [{ title: 'Use jinja2.sandbox.SandboxedEnvironment', safety: 'unsafe', edits: imp ? [imp, edit] : [edit] }];
}

function report(ctx: RuleContext, call: CallSite, taint: Taint, what: string, fixes: Fix[] = []): void {
  ctx.report({
    node: anchor(call),
    message:
      `${what} is built from ${sourceText(taint)}: template syntax in it such as ` +
      '`{{ cycler.__init__.__globals__ }}` reaches Python objects and runs code on the server. Keep templates constant ' +
      'and pass that text as a render() variable, or compile untrusted templates in a `SandboxedEnvironment`.',
    related: [sourceInfo(taint)],
    fixes,
  });
}

function jinjaFormat(call: CallSite): boolean {
  const fmt = call.keyword('template_format');
  return !!fmt && constString(fmt.value, fmt.scope) === 'jinja2';
}

function templateTaint(ctx: RuleContext, arg: Argument | undefined): Taint | undefined {
  return arg ? findTaint(ctx, arg.value, arg.scope, anyTaint) : undefined;
}

export default defineRule({
  meta: {
    id: 'TL705',
    name: 'jinja2-template-injection',
    title: 'Jinja2 template compiled from untrusted text outside a sandbox',
    family: 'llm-app',
    severity: 'high',
    cwe: ['CWE-1336', 'CWE-94'],
    threats: ['MLT-087', 'MLT-017'],
    techniques: ['AML.T0049', 'AML.T0050'],
    docs: {
      finds:
        'Template source taken from a request, an upload, a UI field, `input()` or an LLM answer and compiled by ' +
        'Jinja2 without a sandbox: `jinja2.Template(text)`, `Environment().from_string(text)`, Flask ' +
        '`render_template_string(text)`, and LangChain prompt templates with `template_format="jinja2"`. ' +
        'Constant templates, `SandboxedEnvironment`, and untrusted values passed to `render()` are not reported.',
      why:
        'A Jinja2 template is a small program: expressions like `{{ self.__init__.__globals__ }}` walk from any ' +
        'object to `os` and run commands. Apps that let users (or a model) write prompt templates, "custom ' +
        'instructions" with placeholders or report layouts hand that program to whoever writes the text. LangChain ' +
        'removed loading jinja2 prompt files for this reason (CVE-2023-36281) and warns against untrusted jinja2 templates.',
      example:
        'from flask import Flask, request\nfrom jinja2 import Template\n\napp = Flask(__name__)\n\n\n' +
        '@app.post("/preview")\ndef preview():\n    template = Template(request.json["prompt_template"])\n' +
        '    return template.render(question="What is RAG?")\n',
      useInstead:
        'from flask import Flask, request\nfrom jinja2.sandbox import SandboxedEnvironment\n\napp = Flask(__name__)\n' +
        'env = SandboxedEnvironment()\n\n\n@app.post("/preview")\ndef preview():\n' +
        '    template = env.from_string(request.json["prompt_template"])\n    return template.render(question="What is RAG?")\n',
      references: [
        { title: 'Jinja2: Sandbox', url: 'https://jinja.palletsprojects.com/en/stable/sandbox/' },
        { title: 'LangChain pull request 10252: disable loading jinja2 prompt templates (CVE-2023-36281)', url: 'https://github.com/langchain-ai/langchain/pull/10252' },
        { title: 'CWE-1336: Improper Neutralization of Special Elements Used in a Template Engine', url: 'https://cwe.mitre.org/data/definitions/1336.html' },
        { title: 'OWASP LLM05:2025 Improper Output Handling', url: 'https://genai.owasp.org/llmrisk/llm052025-improper-output-handling/' },
      ],
    },
  },
  requires: TAINT_SOURCE_WORDS,
  needsTaint: 'any',
  triggers: ['jinja2', 'render_template_string'],
  anyCall: true,
  check(call, ctx) {
    const q = call.qname;
    if (q && TEMPLATES.has(q)) {
      const arg = call.arg(0, 'source');
      const taint = templateTaint(ctx, arg);
      if (!taint) return;
      // `Template(text)` → `SandboxedEnvironment().from_string(text)` when nothing else is passed.
      const simple = call.positional.length === 1 && call.keyword('source') === undefined && !call.hasStarArgs && !call.hasUnknownKwargs && (call.args?.namedChildren.filter((c) => c?.type === 'keyword_argument').length ?? 0) === 0;
      const edit = simple && arg ? replaceNode(call.node, `SandboxedEnvironment().from_string(${arg.value.text})`) : undefined;
      report(ctx, call, taint, '`jinja2.Template`', sandboxFix(call, edit));
      return;
    }
    if (q === 'flask.render_template_string') {
      const taint = templateTaint(ctx, call.arg(0, 'source'));
      if (taint) report(ctx, call, taint, 'The template of `render_template_string`');
      return;
    }
    if (q && inPackage(q, LANGCHAIN)) {
      const segments = q.split('.');
      const cls = LC_TEMPLATES.has(member(q)) ? member(q) : LC_TEMPLATES.has(segments[segments.length - 2]) ? segments[segments.length - 2] : undefined;
      if (!cls || !jinjaFormat(call)) return;
      const fn = member(q);
      const arg = fn === 'from_messages' ? call.arg(0, 'messages') : call.arg(0, 'template');
      const taint = templateTaint(ctx, arg);
      if (taint) report(ctx, call, taint, `The jinja2 \`${cls}\``);
      return;
    }
    // `env.from_string(text)` / `Environment(...).from_string(text)`
    if (call.callee.type !== 'attribute' || call.callee.childForFieldName('attribute')?.text !== 'from_string') return;
    const object = call.callee.childForFieldName('object');
    const env = object ? environmentKind(object, call.scope) : undefined;
    if (env?.kind !== 'plain') return;
    const taint = templateTaint(ctx, call.arg(0, 'source'));
    if (!taint) return;
    const ctorCallee = env.ctor?.childForFieldName('function');
    const edit = ctorCallee ? replaceNode(ctorCallee, 'SandboxedEnvironment') : undefined;
    report(ctx, call, taint, 'The template passed to `from_string`', sandboxFix(call, edit));
  },
});
