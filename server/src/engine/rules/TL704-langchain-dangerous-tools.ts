import { CallSite, type Argument } from '../call';
import { removeArgument } from '../edits';
import type { Node } from '../parser';
import { defineRule } from '../rule';
import type { Fix } from '../types';
import { valueOf } from '../values';
import { anchor, argNode, argTruth } from './helpers';
import { inPackage } from './llm-app-helpers';

const LANGCHAIN = ['langchain', 'langchain_experimental', 'langchain_community', 'langchain_core'];
const LLAMA_INDEX = ['llama_index'];

/** Classes and factories that hand the model a Python interpreter or a shell: what they let it do. */
const DANGEROUS: Record<string, string> = {
  PythonREPLTool: 'run any Python code on this host',
  PythonAstREPLTool: 'run any Python code on this host',
  PythonREPL: 'run any Python code on this host',
  create_python_agent: 'run any Python code on this host',
  ShellTool: 'run any shell command on this host',
  BashProcess: 'run any shell command on this host',
  LLMBashChain: 'run any shell command on this host',
  PALChain: 'run the Python code it writes on this host',
};
/** llama_index query engines that `eval` the code the model writes. */
const LLAMA_DANGEROUS: Record<string, string> = {
  PandasQueryEngine: 'run the pandas code it writes through `eval`',
};

/** Tool names of `load_tools` that give the agent code execution, a shell or arbitrary HTTP requests. */
const DANGEROUS_TOOL_NAMES: Record<string, string> = {
  python_repl: 'run any Python code',
  terminal: 'run any shell command',
  shell: 'run any shell command',
  bash: 'run any shell command',
  'pal-math': 'run the Python code it writes',
  'pal-colored-objects': 'run the Python code it writes',
  requests: 'send any HTTP request to any host',
  requests_all: 'send any HTTP request to any host',
  requests_get: 'send any HTTP request to any host',
  requests_post: 'send any HTTP request to any host',
  requests_put: 'send any HTTP request to any host',
  requests_patch: 'send any HTTP request to any host',
  requests_delete: 'send any HTTP request to any host',
};

const FLAGS: Record<string, string> = {
  allow_dangerous_code: 'lets the agent run the Python code the model writes',
  allow_dangerous_requests: 'lets the agent send any HTTP request the model writes, to any host',
  allow_dangerous_tools: 'loads tools that run commands or send arbitrary requests',
};

/** What a dangerous class or factory gives the model, keyed by the segment of its qualified name. */
function dangerousCallee(qname: string | undefined): string | undefined {
  if (!qname) return undefined;
  const segments = qname.split('.');
  const table = inPackage(qname, LANGCHAIN) ? DANGEROUS : inPackage(qname, LLAMA_INDEX) ? LLAMA_DANGEROUS : undefined;
  if (!table) return undefined;
  // The class itself, or one of its class methods (`PALChain.from_math_prompt`).
  for (const seg of segments.slice(-2)) if (Object.hasOwn(table, seg)) return table[seg];
  return undefined;
}

/** Dangerous tool names in the list passed to `load_tools`. */
function dangerousToolNames(call: CallSite): { names: string[]; gives: string } | undefined {
  const arg = call.arg(0, 'tool_names');
  if (!arg) return undefined;
  const v = call.valueOf(arg);
  if (v.kind !== 'sequence') return undefined;
  const names: string[] = [];
  let gives = '';
  for (const item of v.items) {
    const s = valueOf(item.node, item.scope);
    if (s.kind === 'string' && Object.hasOwn(DANGEROUS_TOOL_NAMES, s.value)) {
      names.push(s.value);
      gives ||= DANGEROUS_TOOL_NAMES[s.value];
    }
  }
  return names.length ? { names, gives } : undefined;
}

/** The call `node` is a direct argument of, if any. */
function enclosingCall(node: Node): Node | undefined {
  let p = node.parent;
  if (p?.type === 'keyword_argument') p = p.parent;
  if (p?.type === 'list' || p?.type === 'tuple') p = p.parent;
  return p?.type === 'argument_list' && p.parent?.type === 'call' ? p.parent : undefined;
}

function removeFlagFix(call: CallSite, arg: Argument, name: string): Fix[] {
  const edit = arg.keyword && !arg.fromSplat ? removeArgument(call, arg.keyword) : undefined;
  return edit ? [{ title: `Remove ${name}=True`, safety: 'unsafe', edits: [edit] }] : [];
}

export default defineRule({
  meta: {
    id: 'TL704',
    name: 'langchain-dangerous-tools',
    title: 'LLM agent given a Python REPL, a shell or unrestricted HTTP requests',
    family: 'llm-app',
    severity: 'high',
    cwe: ['CWE-94', 'CWE-78', 'CWE-918'],
    threats: ['MLT-087', 'MLT-017', 'MLT-022'],
    techniques: ['AML.T0053', 'AML.T0050', 'AML.T0051.001', 'AML.T0086'],
    docs: {
      finds:
        'LangChain tools and chains that run what the model writes: `PythonREPLTool`, `PythonAstREPLTool`, ' +
        '`PythonREPL`, `ShellTool`, `BashProcess`, `LLMBashChain`, `PALChain`, `create_python_agent`, ' +
        '`load_tools([...])` with `python_repl`, `terminal` or `requests_*`; llama_index `PandasQueryEngine`; ' +
        'and any call passing `allow_dangerous_code=True`, `allow_dangerous_requests=True` or ' +
        '`allow_dangerous_tools=True` (dataframe and CSV agents, requests and OpenAPI toolkits).',
      why:
        'These components turn the model\'s answer into Python, shell commands or HTTP requests run by the server. ' +
        'The model follows instructions from anything it reads (the user, a web page, a CSV cell, a retrieved ' +
        'document), so an injected prompt gets a shell on the host, the environment\'s API keys, or requests to ' +
        'internal services. LLMSmith found remote code execution in public apps built exactly this way; LangChain\'s ' +
        'own docs say these tools need an external sandbox (OWASP LLM06 excessive agency).',
      example:
        'from langchain.agents import AgentType, initialize_agent\nfrom langchain_experimental.tools import PythonREPLTool\n' +
        'from langchain_openai import ChatOpenAI\n\nllm = ChatOpenAI(model="gpt-4o-mini", temperature=0)\n' +
        'agent = initialize_agent([PythonREPLTool()], llm, agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION)\n',
      useInstead:
        'from langchain.agents import AgentType, initialize_agent\nfrom langchain_core.tools import tool\n' +
        'from langchain_openai import ChatOpenAI\n\nllm = ChatOpenAI(model="gpt-4o-mini", temperature=0)\n\n\n' +
        '@tool\ndef column_mean(column: str) -> float:\n    """Mean of one numeric column of the sales table."""\n' +
        '    return float(SALES[column].mean()) if column in NUMERIC_COLUMNS else float("nan")\n\n\n' +
        'agent = initialize_agent([column_mean], llm, agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION)\n',
      references: [
        { title: 'LangChain security policy', url: 'https://python.langchain.com/docs/security/' },
        { title: 'OWASP LLM06:2025 Excessive Agency', url: 'https://genai.owasp.org/llmrisk/llm062025-excessive-agency/' },
        { title: 'LangChain issue 5872: prompt injection to code execution in PALChain', url: 'https://github.com/langchain-ai/langchain/issues/5872' },
        { title: 'MITRE ATLAS AML.T0053: AI Agent Tool Invocation', url: 'https://atlas.mitre.org/techniques/AML.T0053' },
      ],
    },
  },
  triggers: [
    'PythonREPL',
    'PythonAstREPLTool',
    'ShellTool',
    'BashProcess',
    'LLMBashChain',
    'PALChain',
    'create_python_agent',
    'load_tools',
    'PandasQueryEngine',
    'allow_dangerous_',
  ],
  anyCall: true,
  check(call, ctx) {
    const gives = dangerousCallee(call.qname);
    const flags = Object.keys(FLAGS)
      .map((name) => ({ name, arg: call.keyword(name) }))
      .filter((f): f is { name: string; arg: Argument } => !!f.arg && argTruth(call, f.arg) === true);
    if (gives) {
      // `create_python_agent(llm, tool=PythonREPLTool())`: one finding, on the agent.
      const outer = enclosingCall(call.node);
      if (outer && dangerousCallee(CallSite.resolve(outer, call.scope).qname)) return;
      ctx.report({
        node: anchor(call),
        message:
          `\`${call.callee.text.replace(/\s+/g, '')}\` lets the model ${gives}: a prompt injected through the user's input ` +
          'or any text the agent reads can make it do so. Offer narrow tools with validated arguments, or run the ' +
          'interpreter in an isolated sandbox with no secrets.',
      });
      return;
    }
    const isLoadTools = /(^|\.)load_tools$/.test(call.qname ?? '') && inPackage(call.qname, LANGCHAIN);
    const tools = isLoadTools ? dangerousToolNames(call) : undefined;
    if (tools) {
      ctx.report({
        node: anchor(call),
        message:
          `\`load_tools\` lets the agent ${tools.gives} (${tools.names.map((n) => `"${n}"`).join(', ')}): a prompt injected ` +
          'through any text the agent reads can use it against this host or your network. Load only tools that cannot ' +
          'run commands or reach arbitrary URLs.',
      });
      return;
    }
    const flag = flags[0];
    if (!flag) return;
    ctx.report({
      node: anchor(call, argNode(flag.arg)),
      message:
        `\`${flag.name}=True\` ${FLAGS[flag.name]}: a prompt injected through the data or question it processes then ` +
        'runs with this process\'s permissions. Remove it, or run the agent in an isolated sandbox without secrets.',
      // Removing one flag is a fix only when it is the only one set.
      fixes: flags.length === 1 ? removeFlagFix(call, flag.arg, flag.name) : [],
    });
  },
});
