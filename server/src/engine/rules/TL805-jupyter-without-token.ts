import type { Node } from '../parser';
import { defineRule, type NodeContext } from '../rule';
import { valueOf } from '../values';

const APPS = new Set(['NotebookApp', 'ServerApp', 'IdentityProvider']);

/** `--NotebookApp.token=''`, `--ServerApp.token=""`, `--ServerApp.token=` (nothing after `=`). */
const EMPTY_TOKEN_FLAG = /--(NotebookApp|ServerApp|IdentityProvider)\.token(?:=|\s+)(?:''|""|(?=\s|$))/;

/**
 * `c.ServerApp.token = ''` (also `NotebookApp`, `IdentityProvider`), where `c` is the config object
 * Jupyter hands its config files (`c = get_config()`, or the injected global).
 */
function checkAssignment(node: Node, ctx: NodeContext): void {
  const left = node.childForFieldName('left');
  const right = node.childForFieldName('right');
  if (left?.type !== 'attribute' || !right || left.childForFieldName('attribute')?.text !== 'token') return;
  const app = left.childForFieldName('object');
  if (app?.type !== 'attribute') return;
  const appName = app.childForFieldName('attribute')?.text ?? '';
  if (!APPS.has(appName)) return;
  const config = app.childForFieldName('object');
  if (!config || !isJupyterConfig(config, ctx)) return;
  const scope = ctx.scopeOf(node);
  const v = valueOf(right, scope);
  if (v.kind !== 'string' || v.value !== '') return;
  ctx.report({
    node,
    message: `\`${appName}.token = ''\` switches off Jupyter's login: anyone who can reach the server gets a Python shell on it, with the notebooks, data and credentials there. Keep the generated token or set a password.`,
  });
}

/** `c`, unbound (Jupyter injects it) or bound to `get_config()`; or a `get_config()` call in place. */
function isJupyterConfig(node: Node, ctx: NodeContext): boolean {
  const isGetConfig = (n: Node) => n.type === 'call' && n.childForFieldName('function')?.text === 'get_config';
  if (isGetConfig(node)) return true;
  if (node.type !== 'identifier') return false;
  const binding = ctx.scopeOf(node).lookup(node.text, node.startIndex);
  if (!binding) return true;
  return binding.kind === 'assign' && isGetConfig(binding.value);
}

/** Command lines that start Jupyter with an empty token (`subprocess`, `os.system`, argv lists). */
function checkString(node: Node, ctx: NodeContext): void {
  // Skip docstrings and other bare string statements.
  if (node.parent?.type === 'expression_statement') return;
  let content = '';
  for (const child of node.namedChildren) {
    if (!child) continue;
    // Escaped quotes (`\"\"`) stand for the quotes the shell sees.
    if (child.type === 'string_content' || child.type === 'escape_sequence') content += child.text.replace(/\\(['"])/g, '$1');
    else if (child.type === 'interpolation') content += '\u0000';
  }
  const m = EMPTY_TOKEN_FLAG.exec(content);
  if (!m) return;
  ctx.report({
    node,
    message: `\`--${m[1]}.token=''\` starts Jupyter with no login: anyone who can reach its port gets a Python shell on this machine. Keep the generated token (or set a password) and bind 127.0.0.1.`,
  });
}

export default defineRule({
  meta: {
    id: 'TL805',
    name: 'jupyter-without-token',
    title: 'Jupyter server started without a token',
    family: 'serving',
    severity: 'high',
    cwe: ['CWE-306'],
    threats: ['MLT-019', 'MLT-024', 'MLT-035'],
    techniques: ['AML.T0049', 'AML.T0050', 'AML.T0035'],
    docs: {
      finds:
        'Empty-token assignments in Jupyter config files (`c.ServerApp.token = ""`, `c.NotebookApp.token = \'\'`, ' +
        '`c.IdentityProvider.token = ""`) and command lines in strings that pass `--ServerApp.token=` or ' +
        '`--NotebookApp.token=\'\'` (for `subprocess`, `os.system` or an argv list).',
      why:
        'With the token empty and no password, Jupyter accepts anyone who reaches its port, and a notebook ' +
        'server is a shell: attackers scan for open notebooks to mine cryptocurrency, steal cloud keys and ' +
        'datasets, and reach the GPUs and storage of the machine. Containers and cloud VMs often publish ' +
        'that port.',
      example:
        'import subprocess\n\nsubprocess.Popen(["jupyter", "lab", "--no-browser", "--port=8888", "--ServerApp.token="])\n',
      useInstead:
        'import subprocess\n\n# Keep the generated token; reach the server through an SSH tunnel.\n' +
        'subprocess.Popen(["jupyter", "lab", "--no-browser", "--port=8888"])\n',
      references: [
        { title: 'Jupyter Server: security in the Jupyter Server', url: 'https://jupyter-server.readthedocs.io/en/latest/operators/security.html' },
        { title: 'Jupyter Notebook: running a public notebook server', url: 'https://jupyter-notebook.readthedocs.io/en/stable/public_server.html' },
        { title: 'CWE-306: Missing Authentication for Critical Function', url: 'https://cwe.mitre.org/data/definitions/306.html' },
      ],
    },
  },
  triggers: ['NotebookApp', 'ServerApp', 'IdentityProvider'],
  nodes: ['assignment', 'string'],
  checkNode(node, ctx) {
    if (node.type === 'assignment') checkAssignment(node, ctx);
    else checkString(node, ctx);
  },
});
