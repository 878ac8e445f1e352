import type { CallSite } from '../call';
import type { Node } from '../parser';
import { defineRule, type NodeContext, type RuleContext } from '../rule';
import type { Scope } from '../scope';
import { qualifiedName, valueOf, type Value } from '../values';
import { anchor } from './helpers';

/**
 * Environment variables whose value turns certificate checks off, with the test for that value
 * (undefined when the value is unknown).
 */
const VARIABLES: Record<string, { off(v: Value): boolean | undefined; effect: string }> = {
  // requests before 2.28 read an empty CURL_CA_BUNDLE as `verify=''`, i.e. no verification.
  CURL_CA_BUNDLE: {
    off: (v) => (v.kind === 'string' ? v.value === '' : undefined),
    effect: 'an empty `CURL_CA_BUNDLE` disables certificate checks in requests before 2.28 (and is only ever set to bypass them)',
  },
  // Honoured by the Python builds of some distributions (PEP 493), in child interpreters.
  PYTHONHTTPSVERIFY: {
    off: (v) => (v.kind === 'string' ? v.value.trim() === '0' : v.kind === 'number' ? v.value === 0 : undefined),
    effect: '`PYTHONHTTPSVERIFY=0` turns off HTTPS certificate checks in the Python interpreters this process starts (where supported)',
  },
  // git treats any value as "do not verify".
  GIT_SSL_NO_VERIFY: {
    off: (v) => (v.kind === 'string' || v.kind === 'number' || v.kind === 'bool' ? true : undefined),
    effect: '`GIT_SSL_NO_VERIFY` (whatever its value) makes git, and so `git clone` of Hub model and dataset repositories, skip certificate checks',
  },
  NODE_TLS_REJECT_UNAUTHORIZED: {
    off: (v) => (v.kind === 'string' ? v.value.trim() === '0' : v.kind === 'number' ? v.value === 0 : undefined),
    effect: '`NODE_TLS_REJECT_UNAUTHORIZED=0` turns off certificate checks in the Node.js tools this process starts',
  },
  WANDB_INSECURE_DISABLE_SSL: {
    off: truthyFlag,
    effect: '`WANDB_INSECURE_DISABLE_SSL` makes wandb skip certificate checks when it uploads runs, artifacts and your API key',
  },
  MLFLOW_TRACKING_INSECURE_TLS: {
    off: (v) => (v.kind === 'string' ? v.value.trim().toLowerCase() === 'true' : v.kind === 'bool' ? v.value : undefined),
    effect: '`MLFLOW_TRACKING_INSECURE_TLS=true` makes MLflow skip certificate checks when it talks to the tracking server and model registry',
  },
};

function truthyFlag(v: Value): boolean | undefined {
  if (v.kind === 'string') return ['1', 'true', 'yes', 'on'].includes(v.value.trim().toLowerCase());
  if (v.kind === 'bool') return v.value;
  if (v.kind === 'number') return v.value !== 0;
  return undefined;
}

const ENV_CALLS = new Set(['os.environ.setdefault', 'os.putenv', 'os.environ.update', 'builtins.dict']);

function variable(key: Node, scope: Scope): string | undefined {
  const k = valueOf(key, scope);
  return k.kind === 'string' && Object.hasOwn(VARIABLES, k.value) ? k.value : undefined;
}

/** The message when `name` is set to `value`, or undefined when that does not turn checks off. */
function verdict(name: string, value: Node, scope: Scope): string | undefined {
  const spec = VARIABLES[name];
  if (spec.off(valueOf(value, scope)) !== true) return undefined;
  return `Setting ${spec.effect}: anyone on the network path can then pose as the servers that models, data and packages come from. Remove it and install the CA certificate your network needs instead.`;
}

function isEnviron(node: Node, scope: Scope): boolean {
  return qualifiedName(node, scope) === 'os.environ';
}

/** `os.environ["X"] = v`, and `env["X"] = v` for any mapping: these names only ever mean the environment. */
function checkAssignment(node: Node, ctx: NodeContext): void {
  const left = node.childForFieldName('left');
  const right = node.childForFieldName('right');
  if (left?.type !== 'subscript' || !right) return;
  const index = left.childForFieldName('subscript');
  if (!index) return;
  const scope = ctx.scopeOf(node);
  const name = variable(index, scope);
  const message = name && verdict(name, right, scope);
  if (message) ctx.report({ node, message });
}

/** `{"X": v}` in any dict literal (an `env=` for subprocess, `os.environ.update({...})`). */
function checkPair(node: Node, ctx: NodeContext): void {
  const key = node.childForFieldName('key');
  const value = node.childForFieldName('value');
  if (!key || !value) return;
  const scope = ctx.scopeOf(node);
  const name = variable(key, scope);
  const message = name && verdict(name, value, scope);
  if (message) ctx.report({ node, message });
}

/** `os.environ.setdefault("X", v)`, `os.putenv("X", v)`, `os.environ.update(X=v)`, `dict(os.environ, X=v)`. */
function checkCall(call: CallSite, ctx: RuleContext): void {
  if (call.qname === 'os.environ.setdefault' || call.qname === 'os.putenv') {
    const key = call.arg(0, 'key');
    const value = call.arg(1, 'value');
    const name = key && variable(key.value, key.scope);
    const message = name && value && verdict(name, value.value, value.scope);
    if (message) ctx.report({ node: anchor(call), message });
    return;
  }
  if (call.qname === 'builtins.dict' && call.positional[0] && !isEnviron(call.positional[0], call.scope)) return;
  for (const name of Object.keys(VARIABLES)) {
    const arg = call.keyword(name);
    if (!arg || arg.fromSplat || !arg.keyword) continue;
    const message = verdict(name, arg.value, arg.scope);
    if (message) ctx.report({ node: anchor(call, arg.keyword), message });
  }
}

export default defineRule({
  meta: {
    id: 'TL503',
    name: 'tls-verification-disabled-by-env',
    title: 'Certificate checks turned off through environment variables',
    family: 'transport',
    severity: 'high',
    cwe: ['CWE-295'],
    threats: ['MLT-016', 'MLT-020'],
    techniques: ['AML.T0010.003', 'AML.T0010.002', 'AML.T0010.001', 'AML.T0055'],
    docs: {
      finds:
        'Setting environment variables that switch certificate checks off: `CURL_CA_BUNDLE` to an empty string, ' +
        '`PYTHONHTTPSVERIFY=0`, `GIT_SSL_NO_VERIFY` (any value), `NODE_TLS_REJECT_UNAUTHORIZED=0`, ' +
        '`WANDB_INSECURE_DISABLE_SSL` and `MLFLOW_TRACKING_INSECURE_TLS=true`, through `os.environ[...] = `, ' +
        '`os.environ.setdefault`/`update`, `os.putenv`, a copied environment (`env[...] = `) or a dict literal ' +
        'such as `subprocess.run(..., env={...})`.',
      why:
        'These variables reach every library and child process that reads them, far from the line that set ' +
        'them: model and dataset downloads, `git clone` of Hub repositories, experiment trackers. Once checks are ' +
        'off, anyone on the network path can swap the files for tampered ones and read the tokens sent along. ' +
        '(An empty `REQUESTS_CA_BUNDLE` is not reported: requests ignores it.)',
      example:
        'import os\n\n# Work around "CERTIFICATE_VERIFY_FAILED" behind a proxy before downloading models.\n' +
        'os.environ["CURL_CA_BUNDLE"] = ""\n',
      useInstead:
        'import os\n\n# Trust the proxy\'s CA instead of turning checks off.\n' +
        'os.environ["REQUESTS_CA_BUNDLE"] = "/etc/ssl/certs/corp-ca.pem"\n',
      references: [
        { title: 'requests issue 6071: an empty CURL_CA_BUNDLE disabled verification', url: 'https://github.com/psf/requests/issues/6071' },
        { title: 'PEP 493: HTTPS verification migration tools (PYTHONHTTPSVERIFY)', url: 'https://peps.python.org/pep-0493/' },
        { title: 'git: GIT_SSL_NO_VERIFY', url: 'https://git-scm.com/docs/git#Documentation/git.txt-codeGITSSLNOVERIFYcode' },
        { title: 'CWE-295: Improper Certificate Validation', url: 'https://cwe.mitre.org/data/definitions/295.html' },
      ],
    },
  },
  triggers: Object.keys(VARIABLES),
  calls: [...ENV_CALLS],
  check: checkCall,
  nodes: ['assignment', 'pair'],
  checkNode(node, ctx) {
    if (node.type === 'assignment') checkAssignment(node, ctx);
    else checkPair(node, ctx);
  },
});
