import type { CallSite } from '../call';
import { replaceNode } from '../edits';
import type { Node } from '../parser';
import { defineRule, member, type NodeContext } from '../rule';
import type { Scope } from '../scope';
import type { Fix } from '../types';
import { qualifiedName, valueOf } from '../values';
import { anchor, argNode } from './helpers';
import { originOf } from './instance-helpers';

/** ssl functions whose contexts check neither the certificate nor the host name. */
const UNVERIFIED = new Set(['ssl._create_unverified_context', 'ssl._create_stdlib_context']);
/** Callables whose result is an `ssl.SSLContext`. */
const CONTEXT_FACTORIES = new Set([
  'ssl.create_default_context',
  'ssl.SSLContext',
  'ssl._create_unverified_context',
  'ssl._create_stdlib_context',
  'urllib3.util.ssl_.create_urllib3_context',
  'urllib3.util.create_urllib3_context',
  'httpx.create_ssl_context',
]);

function isCertNone(node: Node, scope: Scope): boolean {
  const q = qualifiedName(node, scope);
  return q === 'ssl.CERT_NONE' || q === 'ssl.VerifyMode.CERT_NONE';
}

/** Arguments that make a context the server side of TLS, where not asking for a certificate is normal. */
const SERVER_SIDE = new Set(['ssl.Purpose.CLIENT_AUTH', 'ssl.PROTOCOL_TLS_SERVER']);

/** Is `object` a client SSL context, or something this rule cannot place (a parameter, an attribute)? */
function maybeContext(object: Node, scope: Scope): boolean {
  // `self.check_hostname = False` in a class body's method sets the class's own default (a wrapper
  // that mimics SSLContext), not a context someone configured.
  if (object.type === 'identifier' && object.text === 'self') return false;
  const origin = originOf(object, scope);
  if (origin) {
    if (!CONTEXT_FACTORIES.has(origin.qname)) return false;
    const args = origin.call.childForFieldName('arguments');
    for (const arg of args?.namedChildren ?? []) {
      const value = arg?.type === 'keyword_argument' ? arg.childForFieldName('value') : arg;
      if (value && SERVER_SIDE.has(qualifiedName(value, origin.scope) ?? '')) return false;
    }
    return true;
  }
  // A module or a module attribute is not a context (`some_module.check_hostname = False`).
  return qualifiedName(object, scope) === undefined;
}

/** `ssl.CERT_NONE` → `ssl.CERT_REQUIRED`, when written as an attribute. */
function certRequiredFix(value: Node): Fix[] {
  const attr = value.type === 'attribute' ? value.childForFieldName('attribute') : null;
  return attr?.text === 'CERT_NONE' ? [{ title: 'Require a certificate (CERT_REQUIRED)', safety: 'unsafe', edits: [replaceNode(attr, 'CERT_REQUIRED')] }] : [];
}

function checkAssignment(node: Node, ctx: NodeContext): void {
  const left = node.childForFieldName('left');
  const right = node.childForFieldName('right');
  if (left?.type !== 'attribute' || !right) return;
  const object = left.childForFieldName('object');
  const attribute = left.childForFieldName('attribute')?.text;
  if (!object || !attribute) return;
  const scope = ctx.scopeOf(node);
  switch (attribute) {
    case '_create_default_https_context': {
      if (qualifiedName(object, scope) !== 'ssl') return;
      const q = qualifiedName(right, scope);
      if (!q || !UNVERIFIED.has(q)) return;
      ctx.report({
        node,
        message:
          'Replacing `ssl._create_default_https_context` with an unverified context turns off certificate checks for every HTTPS download in the process (urllib, `torchvision`/`keras` dataset and weight downloads). Install the right CA certificates instead (`certifi`, `Install Certificates.command` on macOS).',
      });
      return;
    }
    case 'check_hostname': {
      const v = valueOf(right, scope);
      if (v.kind !== 'bool' || v.value || !maybeContext(object, scope)) return;
      ctx.report({
        node,
        message:
          '`check_hostname = False` lets this SSL context accept a valid certificate issued for any other host, so anyone who holds one can impersonate the server. Remove it.',
        fixes: right.type === 'false' ? [{ title: 'Set check_hostname = True', safety: 'unsafe', edits: [replaceNode(right, 'True')] }] : [],
      });
      return;
    }
    case 'verify_mode': {
      if (!isCertNone(right, scope) || !maybeContext(object, scope)) return;
      ctx.report({
        node,
        message:
          '`verify_mode = ssl.CERT_NONE` makes this SSL context accept any certificate: anyone on the network path can impersonate the server. Keep `ssl.CERT_REQUIRED` and load your CA with `load_verify_locations`.',
        fixes: certRequiredFix(right),
      });
      return;
    }
    default:
      return;
  }
}

/** Keywords that `ssl.create_default_context` accepts as well. */
const DEFAULT_CONTEXT_KEYWORDS = new Set(['purpose', 'cafile', 'capath', 'cadata']);

/** `ssl._create_unverified_context(...)` → `ssl.create_default_context(...)` when the arguments carry over. */
function defaultContextFix(call: CallSite): Fix[] {
  const attr = call.callee.type === 'attribute' ? call.callee.childForFieldName('attribute') : null;
  if (!attr || call.positional.length > 0 || call.hasStarArgs || call.hasUnknownKwargs) return [];
  for (const arg of call.args?.namedChildren ?? []) {
    if (!arg || arg.type === 'comment') continue;
    if (arg.type !== 'keyword_argument' || !DEFAULT_CONTEXT_KEYWORDS.has(arg.childForFieldName('name')?.text ?? '')) return [];
  }
  return [{ title: 'Use ssl.create_default_context()', safety: 'unsafe', edits: [replaceNode(attr, 'create_default_context')] }];
}

/** `cert_reqs=ssl.CERT_NONE` given to anything but urllib3 (TL501 reports urllib3 pools). */
function certReqsArgument(call: CallSite): { node: Node; value: Node; fromSplat: boolean } | undefined {
  const q = call.qname ?? '';
  if (q.startsWith('urllib3.') || q.startsWith('requests.packages.urllib3.')) return undefined;
  const arg = call.keyword('cert_reqs');
  if (!arg || !isCertNone(arg.value, arg.scope)) return undefined;
  // An entry of a dict bound to a name is reported where the dict is written (see checkPair).
  const pair = arg.value.parent;
  if (arg.fromSplat && pair?.type === 'pair' && pair.parent?.parent?.type !== 'dictionary_splat') return undefined;
  return { node: argNode(arg), value: arg.value, fromSplat: arg.fromSplat };
}

/** `{"cert_reqs": ssl.CERT_NONE}` option dicts (websocket-client `sslopt`, celery/kombu `ssl`). */
function checkPair(node: Node, ctx: NodeContext): void {
  const key = node.childForFieldName('key');
  const value = node.childForFieldName('value');
  if (!key || !value) return;
  const scope = ctx.scopeOf(node);
  const k = valueOf(key, scope);
  if (k.kind !== 'string' || k.value !== 'cert_reqs' || !isCertNone(value, scope)) return;
  // A literal dict spread into a call is read as keywords and reported with the call.
  if (node.parent?.parent?.type === 'dictionary_splat') return;
  ctx.report({
    node,
    message:
      '`"cert_reqs": ssl.CERT_NONE` turns off certificate checks for this connection: anyone on the network path can impersonate the server. Use `ssl.CERT_REQUIRED`.',
    fixes: certRequiredFix(value),
  });
}

export default defineRule({
  meta: {
    id: 'TL502',
    name: 'ssl-unverified-context',
    title: 'Unverified SSL context or certificate checks switched off in ssl',
    family: 'transport',
    severity: 'high',
    cwe: ['CWE-295'],
    threats: ['MLT-016', 'MLT-020'],
    techniques: ['AML.T0010.003', 'AML.T0010.002', 'AML.T0010.001', 'AML.T0055'],
    peers: { bandit: ['B323', 'B501'], ruff: ['S323', 'S501'] },
    docs: {
      finds:
        'Calls of `ssl._create_unverified_context()` (and `ssl._create_stdlib_context()`); the notebook ' +
        'hack `ssl._create_default_https_context = ssl._create_unverified_context`; `ctx.check_hostname = False` ' +
        'and `ctx.verify_mode = ssl.CERT_NONE` on an SSL context; and `ssl.CERT_NONE` passed as `cert_reqs` ' +
        '(keyword or option dict) to anything other than urllib3, which TL501 covers.',
      why:
        'These contexts accept any certificate, so TLS no longer proves who is on the other end. The global ' +
        'override is worse: it silently applies to every `urllib` download in the process, including the ' +
        'pretrained weights and datasets fetched by `torchvision`, `keras` and `nltk`, which an attacker in ' +
        'the network path can then replace.',
      example:
        'import ssl\n\n# Make dataset and weight downloads "work" on a machine without CA certificates.\n' +
        'ssl._create_default_https_context = ssl._create_unverified_context\n',
      useInstead:
        'import ssl\n\nimport certifi\n\n# Give urllib a CA bundle instead (or run "Install Certificates.command" on macOS).\n' +
        'ctx = ssl.create_default_context(cafile=certifi.where())\n',
      references: [
        { title: 'Python docs: ssl security considerations', url: 'https://docs.python.org/3/library/ssl.html#security-considerations' },
        { title: 'PEP 476: enabling certificate verification by default', url: 'https://peps.python.org/pep-0476/' },
        { title: 'CWE-295: Improper Certificate Validation', url: 'https://cwe.mitre.org/data/definitions/295.html' },
      ],
    },
  },
  triggers: ['ssl', 'check_hostname'],
  anyCall: true,
  check(call, ctx) {
    if (call.qname && UNVERIFIED.has(call.qname)) {
      ctx.report({
        node: anchor(call),
        message: `\`${member(call.qname)}()\` builds an SSL context that accepts any certificate for any host: anyone on the network path can impersonate the server. Use \`ssl.create_default_context()\` (with \`cafile=\` for a private CA).`,
        fixes: defaultContextFix(call),
      });
      return;
    }
    const hit = certReqsArgument(call);
    if (!hit) return;
    ctx.report({
      node: anchor(call, hit.node),
      message: '`cert_reqs=ssl.CERT_NONE` turns off certificate checks for this connection: anyone on the network path can impersonate the server. Use `ssl.CERT_REQUIRED`.',
      fixes: hit.fromSplat ? [] : certRequiredFix(hit.value),
    });
  },
  nodes: ['assignment', 'pair'],
  checkNode(node, ctx) {
    if (node.type === 'assignment') checkAssignment(node, ctx);
    else checkPair(node, ctx);
  },
});
