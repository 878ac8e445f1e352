import type { Argument, CallSite } from '../call';
import { removeArgument, replaceNode } from '../edits';
import type { Node } from '../parser';
import { defineRule, member, type NodeContext } from '../rule';
import type { Fix } from '../types';
import { truthiness, valueOf, type Value } from '../values';
import { anchor, argNode } from './helpers';
import { instanceOf, methodCall } from './instance-helpers';

/** requests module functions that take `verify`. */
const REQUESTS_FUNCTIONS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'request']);
/** Methods of a requests Session that take `verify`. */
const SESSION_METHODS = new Set([...REQUESTS_FUNCTIONS, 'send']);
const SESSION_CLASSES = new Set(['requests.Session', 'requests.session', 'requests.sessions.Session', 'requests.sessions.session']);
/** httpx: `verify` is given to the module functions and to the clients and transports. */
const HTTPX_CALLS = new Set([
  ...[...REQUESTS_FUNCTIONS, 'stream'].map((f) => `httpx.${f}`),
  'httpx.Client',
  'httpx.AsyncClient',
  'httpx.HTTPTransport',
  'httpx.AsyncHTTPTransport',
]);
const URLLIB3_POOLS = new Set([
  'PoolManager',
  'ProxyManager',
  'HTTPSConnectionPool',
  'connection_from_url',
  'proxy_from_url',
  'connectionpool.HTTPSConnectionPool',
  'poolmanager.PoolManager',
  'poolmanager.ProxyManager',
]);
const AIOHTTP_CALLS = new Set(['aiohttp.TCPConnector', 'aiohttp.request', 'aiohttp.ClientSession']);
const AIOHTTP_SESSION_METHODS = new Set([...REQUESTS_FUNCTIONS, 'ws_connect']);
const AIOHTTP_SESSIONS = new Set(['aiohttp.ClientSession', 'aiohttp.client.ClientSession']);

/** Python falsiness of a known value, `None` excluded (it means "the default", which verifies). */
function isOff(v: Value): boolean {
  return v.kind !== 'none' && truthiness(v) === false;
}

function isCertNone(v: Value): boolean {
  if (v.kind === 'string') return v.value === 'CERT_NONE' || v.value === 'NONE';
  if (v.kind === 'ref') return v.qname === 'ssl.CERT_NONE' || v.qname === 'ssl.VerifyMode.CERT_NONE';
  return false;
}

function urllib3Pool(qname: string | undefined): boolean {
  if (!qname) return false;
  const rest = qname.startsWith('urllib3.') ? qname.slice(8) : qname.startsWith('requests.packages.urllib3.') ? qname.slice(26) : undefined;
  return rest !== undefined && URLLIB3_POOLS.has(rest);
}

/** Removing `keyword=value` written in the call; no fix when it comes from a name or a `**` dict. */
function removeFix(call: CallSite, arg: Argument): Fix[] {
  if (arg.fromSplat || !arg.keyword) return [];
  const edit = removeArgument(call, arg.keyword);
  const text = arg.keyword.text.replace(/\s+/g, '');
  return edit ? [{ title: `Remove ${text.length > 40 ? text.slice(0, 37) + '...' : text} (check certificates)`, safety: 'unsafe', edits: [edit] }] : [];
}

interface Hit {
  arg: Argument;
  message: string;
  fixes: Fix[];
}

function verifyOff(call: CallSite, what: string): Hit | undefined {
  const arg = call.keyword('verify');
  if (!arg || !isOff(call.valueOf(arg))) return undefined;
  return {
    arg,
    message: `\`verify=False\` turns off certificate checks for ${what}: anyone on the network path can impersonate the server and read or change what is sent and received (tokens, models, data). Remove it, or pass the path of your CA bundle as \`verify\`.`,
    fixes: removeFix(call, arg),
  };
}

function aiohttpOff(call: CallSite): Hit | undefined {
  for (const name of ['ssl', 'verify_ssl']) {
    const arg = call.keyword(name);
    if (!arg) continue;
    const v = call.valueOf(arg);
    if (v.kind !== 'bool' || v.value) continue;
    return {
      arg,
      message: `\`${name}=False\` makes aiohttp skip certificate checks: anyone on the network path can impersonate the server. Remove it, or pass an \`ssl.SSLContext\` that trusts your CA.`,
      fixes: removeFix(call, arg),
    };
  }
  return undefined;
}

function urllib3Off(call: CallSite): Hit | undefined {
  const reqs = call.keyword('cert_reqs');
  if (reqs && isCertNone(call.valueOf(reqs))) {
    const fixes: Fix[] = [];
    const v = reqs.value;
    const content = v.type === 'string' ? v.namedChildren.find((c) => c?.type === 'string_content') : undefined;
    if (!reqs.fromSplat && content && v.namedChildren.every((c) => c?.type !== 'interpolation')) {
      fixes.push({ title: 'Require certificates (cert_reqs="CERT_REQUIRED")', safety: 'unsafe', edits: [replaceNode(content, 'CERT_REQUIRED')] });
    } else if (!reqs.fromSplat && v.type === 'attribute' && v.childForFieldName('attribute')?.text === 'CERT_NONE') {
      fixes.push({ title: 'Require certificates (CERT_REQUIRED)', safety: 'unsafe', edits: [replaceNode(v.childForFieldName('attribute')!, 'CERT_REQUIRED')] });
    }
    return {
      arg: reqs,
      message: '`cert_reqs` set to `CERT_NONE` makes urllib3 accept any certificate: anyone on the network path can impersonate the server. Leave the default (`CERT_REQUIRED`).',
      fixes,
    };
  }
  const host = call.keyword('assert_hostname');
  if (host && call.valueOf(host).kind === 'bool' && isOff(call.valueOf(host))) {
    return {
      arg: host,
      message: '`assert_hostname=False` makes urllib3 accept a valid certificate issued for any other host. Remove it.',
      fixes: removeFix(call, host),
    };
  }
  return undefined;
}

function wandbOff(call: CallSite): Hit | undefined {
  const arg = call.keyword('insecure_disable_ssl');
  if (!arg || truthiness(call.valueOf(arg)) !== true) return undefined;
  return {
    arg,
    message: '`insecure_disable_ssl=True` makes wandb skip certificate checks when it uploads runs, artifacts and your API key. Remove it and trust your server\'s CA instead.',
    fixes: removeFix(call, arg),
  };
}

function check(call: CallSite): Hit | undefined {
  const q = call.qname;
  if (q) {
    if (q.startsWith('requests.') && REQUESTS_FUNCTIONS.has(member(q)) && (q === `requests.${member(q)}` || q === `requests.api.${member(q)}`)) {
      return verifyOff(call, 'this request');
    }
    if (HTTPX_CALLS.has(q)) return verifyOff(call, q.endsWith('Client') || q.endsWith('Transport') ? 'every request of this client' : 'this request');
    if (urllib3Pool(q)) return urllib3Off(call);
    if (AIOHTTP_CALLS.has(q)) return aiohttpOff(call);
    if (q === 'wandb.Settings') return wandbOff(call);
    return undefined;
  }
  const r = methodCall(call);
  if (!r) return undefined;
  if (SESSION_METHODS.has(r.method) && call.keyword('verify')) {
    const cls = instanceOf(r.object, call.scope);
    if (cls && SESSION_CLASSES.has(cls)) return verifyOff(call, 'this request');
  }
  if (AIOHTTP_SESSION_METHODS.has(r.method) && (call.keyword('ssl') || call.keyword('verify_ssl'))) {
    const cls = instanceOf(r.object, call.scope);
    if (cls && AIOHTTP_SESSIONS.has(cls)) return aiohttpOff(call);
  }
  return undefined;
}

/** `session.verify = False` on a requests Session. */
function checkAssignment(node: Node, ctx: NodeContext): void {
  const left = node.childForFieldName('left');
  const right = node.childForFieldName('right');
  if (left?.type !== 'attribute' || !right || left.childForFieldName('attribute')?.text !== 'verify') return;
  const object = left.childForFieldName('object');
  if (!object) return;
  const scope = ctx.scopeOf(node);
  if (!isOff(valueOf(right, scope))) return;
  const cls = instanceOf(object, scope);
  if (!cls || !SESSION_CLASSES.has(cls)) return;
  const fixes: Fix[] = right.type === 'false' ? [{ title: 'Set verify = True', safety: 'unsafe', edits: [replaceNode(right, 'True')] }] : [];
  ctx.report({
    node,
    message:
      'Setting `verify = False` on a requests Session turns off certificate checks for every request it makes: anyone on the network path can impersonate the servers it talks to. Remove it, or set `verify` to your CA bundle path.',
    fixes,
  });
}

export default defineRule({
  meta: {
    id: 'TL501',
    name: 'tls-verification-disabled',
    title: 'HTTP client with certificate verification turned off',
    family: 'transport',
    severity: 'high',
    cwe: ['CWE-295'],
    threats: ['MLT-016', 'MLT-020'],
    techniques: ['AML.T0010.003', 'AML.T0010.002', 'AML.T0010.001', 'AML.T0055'],
    peers: { bandit: ['B501'], ruff: ['S501'] },
    docs: {
      finds:
        '`verify=False` (or another false value, also through a name or a literal `**kwargs` dict) given to ' +
        '`requests` functions, to the methods of a `requests.Session`, or to `httpx` functions, clients and ' +
        'transports; `session.verify = False` on a requests Session; urllib3 pools built with ' +
        '`cert_reqs="CERT_NONE"` or `assert_hostname=False`; aiohttp connectors, sessions and requests with ' +
        '`ssl=False`/`verify_ssl=False`; and `wandb.Settings(insecure_disable_ssl=True)`.',
      why:
        'Without certificate checks, TLS no longer proves who is on the other end. A proxy, a hostile Wi-Fi or ' +
        'a poisoned DNS answer can then serve a tampered model, dataset or package in place of the real one, ' +
        'and read the API keys and Hub tokens sent along with the requests.',
      example:
        'import requests\n\nresp = requests.get("https://huggingface.co/api/models/gpt2", verify=False, timeout=30)\n',
      useInstead:
        'import requests\n\n# Trust a corporate proxy by pointing at its CA bundle instead of disabling checks.\n' +
        'resp = requests.get("https://huggingface.co/api/models/gpt2", verify="/etc/ssl/certs/corp-ca.pem", timeout=30)\n',
      references: [
        { title: 'requests: SSL certificate verification', url: 'https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification' },
        { title: 'HTTPX: SSL certificates', url: 'https://www.python-httpx.org/advanced/ssl/' },
        { title: 'urllib3: certificate verification', url: 'https://urllib3.readthedocs.io/en/stable/advanced-usage.html#certificate-verification' },
        { title: 'CWE-295: Improper Certificate Validation', url: 'https://cwe.mitre.org/data/definitions/295.html' },
      ],
    },
  },
  triggers: ['verify', 'ssl', 'cert_reqs', 'assert_hostname'],
  anyCall: true,
  check(call, ctx) {
    const hit = check(call);
    if (!hit) return;
    ctx.report({ node: anchor(call, argNode(hit.arg)), message: hit.message, fixes: hit.fixes });
  },
  nodes: ['assignment'],
  checkNode: checkAssignment,
});
