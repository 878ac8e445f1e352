import { TAINT_SOURCE_WORDS } from '../taint';
import { CallSite, type Argument } from '../call';
import type { Node } from '../parser';
import { calleeText, defineRule, type RuleContext } from '../rule';
import type { Scope } from '../scope';
import { valueOf } from '../values';
import { anchor } from './helpers';
import { fromLibrary, isCheckedBefore, methodCall, namesOf, originOf, reportTainted, untrusted, untrustedArg, type CheckMatcher } from './untrusted-input-helpers';

const VERBS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

/** Module functions that send a request, with the position and keyword of their URL. */
const FUNCTIONS: Record<string, readonly [number, string]> = {
  ...Object.fromEntries(VERBS.flatMap((v) => [[`requests.${v}`, [0, 'url']], [`httpx.${v}`, [0, 'url']]])),
  'requests.request': [1, 'url'],
  'httpx.request': [1, 'url'],
  'httpx.stream': [1, 'url'],
  'aiohttp.request': [1, 'url'],
  'urllib.request.urlopen': [0, 'url'],
  'urllib.request.urlretrieve': [0, 'url'],
  'urllib.request.Request': [0, 'url'],
  'torch.hub.download_url_to_file': [0, 'url'],
};

/** Client objects and the methods that send a request (URL position and keyword). */
const CLIENTS = ['requests.Session', 'requests.sessions.Session', 'httpx.Client', 'httpx.AsyncClient', 'aiohttp.ClientSession', 'urllib3.PoolManager'];
const METHODS: Record<string, readonly [number, string]> = {
  ...Object.fromEntries(VERBS.map((v) => [v, [0, 'url'] as const])),
  request: [1, 'url'],
  stream: [1, 'url'],
  urlopen: [1, 'url'],
  ws_connect: [0, 'url'],
};

/**
 * True when a fixed scheme and host come first: before the first untrusted part, the URL holds a
 * constant `scheme://host` or a configured base (a value that is not untrusted, such as a setting)
 * followed by `/`, `?` or `#`. The client then only picks a path or a query on a host the author
 * chose; a constant path such as `f"/api/models/{name}"` (relative to an httpx `base_url`) cannot
 * name a host either. `"https://api.example.com" + path` stays reported: `@evil.example/` right
 * after the host makes the real host a user name.
 */
function hasFixedHost(ctx: RuleContext, node: Node, scope: Scope): boolean {
  const parts: Part[] = [];
  flatten(ctx, node, scope, parts, 0);
  const first = parts.indexOf(TAINTED);
  if (first < 0) return false;
  const prefix = parts
    .slice(0, first)
    .map((p) => (p === OTHER ? '\u0000' : p))
    .join('');
  // A path relative to the client's `base_url` (httpx) cannot name another host.
  if (/^\/[^/]/.test(prefix)) return true;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(prefix);
  let rest: string;
  if (scheme) rest = prefix.slice(scheme[0].length);
  else if (prefix.startsWith('\u0000')) rest = prefix;
  else return false;
  return rest.search(/[/?#]/) > 0;
}

const TAINTED = Symbol('tainted');
const OTHER = Symbol('other');
type Part = string | typeof TAINTED | typeof OTHER;

/** Splits a URL expression into constant text, untrusted parts and other (configured) parts. */
function flatten(ctx: RuleContext, node: Node, scope: Scope, out: Part[], depth: number): void {
  const leaf = () => {
    if (untrusted(ctx, node, scope)) out.push(TAINTED);
    else {
      const v = valueOf(node, scope);
      out.push(v.kind === 'string' ? v.value : OTHER);
    }
  };
  if (depth > 8) return leaf();
  switch (node.type) {
    case 'parenthesized_expression': {
      const inner = node.namedChild(0);
      return inner ? flatten(ctx, inner, scope, out, depth + 1) : leaf();
    }
    case 'identifier': {
      const binding = scope.lookup(node.text, node.startIndex);
      if (binding?.kind === 'assign') return flatten(ctx, binding.value, binding.scope, out, depth + 1);
      return leaf();
    }
    case 'string': {
      for (const child of node.namedChildren) {
        if (!child) continue;
        if (child.type === 'string_content' || child.type === 'escape_sequence') out.push(child.text);
        else if (child.type === 'interpolation') {
          const expr = child.namedChild(0);
          if (expr) flatten(ctx, expr, scope, out, depth + 1);
        }
      }
      return;
    }
    case 'concatenated_string':
      for (const child of node.namedChildren) if (child) flatten(ctx, child, scope, out, depth + 1);
      return;
    case 'binary_operator': {
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      const op = node.childForFieldName('operator')?.type;
      if (op === '+' && left && right) {
        flatten(ctx, left, scope, out, depth + 1);
        flatten(ctx, right, scope, out, depth + 1);
        return;
      }
      if (op === '%' && left?.type === 'string') {
        // "https://host/items/%s" % item: the template's text up to its first placeholder comes first.
        const text = valueOf(left, scope);
        if (text.kind === 'string') {
          out.push(text.value.split('%')[0]);
          out.push(right && untrusted(ctx, right, scope) ? TAINTED : OTHER);
          return;
        }
      }
      return leaf();
    }
    case 'call': {
      // "https://host/{}".format(x): the template's text up to its first field comes first.
      const m = methodCall(node);
      if (m && m[1] === 'format' && m[0].type === 'string') {
        const text = valueOf(m[0], scope);
        if (text.kind === 'string') {
          out.push(text.value.split('{')[0]);
          out.push(untrusted(ctx, node, scope) ? TAINTED : OTHER);
          return;
        }
      }
      return leaf();
    }
    default:
      return leaf();
  }
}

/** `url.startswith("https://allowed/")` or a host/URL allow-list: `urlparse(url).hostname in ALLOWED`. */
const allowed: CheckMatcher = (node, _negated, mentions) => {
  if (node.type === 'call') {
    const m = methodCall(node);
    return !!m && m[1] === 'startswith' && mentions(m[0]);
  }
  if (node.type === 'comparison_operator') {
    const ops = node.children.filter((c) => c && !c.isNamed).map((c) => c!.type);
    const left = node.namedChild(0);
    return (ops.includes('in') || ops.includes('not in') || ops.includes('==')) && !!left && mentions(left);
  }
  return false;
};

function checkUrl(ctx: RuleContext, call: CallSite, arg: Argument | undefined): void {
  const taint = untrustedArg(ctx, arg);
  if (!arg || !taint) return;
  if (hasFixedHost(ctx, arg.value, arg.scope)) return;
  if (isCheckedBefore(arg.value, arg.scope, namesOf(arg.value, arg.scope), allowed)) return;
  reportTainted(ctx, {
    node: anchor(call, arg.value),
    taint,
    lead: `\`${calleeText(call)}\` requests a URL taken from`,
    advice:
      'the client picks the host, so the server calls internal services or the cloud metadata endpoint (credentials) ' +
      'on their behalf. Build the URL from a fixed scheme and host, or check the parsed host against an allow-list.',
  });
}

export default defineRule({
  meta: {
    id: 'TL902',
    name: 'server-side-request-forgery',
    title: 'Outbound request to a URL chosen by the client',
    family: 'untrusted-input',
    severity: 'high',
    cwe: ['CWE-918'],
    // An exposed ML service turned into a proxy into the cluster: metadata credentials, dashboards, job APIs.
    threats: ['MLT-024', 'MLT-087'],
    techniques: ['AML.T0049', 'AML.T0055', 'AML.T0025'],
    docs: {
      finds:
        '`requests`, `httpx`, `aiohttp`, `urllib3` and `urllib.request` calls (module functions and session or client ' +
        'methods) whose URL comes from a request, an upload, a UI input or the console. Values that only fill ' +
        '`params=`, `json=` or the body are not reported, nor URLs that start with a fixed `scheme://host/` (the ' +
        'client then chooses a path on the author\'s host), nor URLs checked with `startswith` or a host allow-list first.',
      why:
        '"Fetch an image or document by URL" endpoints are common in vision and RAG services. When the client picks the ' +
        'host, the server requests `http://169.254.169.254/` (cloud credentials), the Ray or MLflow dashboard, or any ' +
        'internal API on the attacker\'s behalf and often returns the answer.',
      example:
        'import requests\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n\n@app.post("/caption")\ndef caption():\n' +
        '    image = requests.get(request.json["image_url"], timeout=10).content\n    return {"size": len(image)}\n',
      useInstead:
        'from urllib.parse import urlparse\n\nimport requests\nfrom flask import Flask, abort, request\n\napp = Flask(__name__)\n' +
        'ALLOWED_HOSTS = {"images.example.com"}\n\n\n@app.post("/caption")\ndef caption():\n    url = request.json["image_url"]\n' +
        '    if urlparse(url).hostname not in ALLOWED_HOSTS:\n        abort(400)\n    image = requests.get(url, timeout=10).content\n' +
        '    return {"size": len(image)}\n',
      references: [
        { title: 'CWE-918: Server-Side Request Forgery', url: 'https://cwe.mitre.org/data/definitions/918.html' },
        { title: 'OWASP SSRF Prevention Cheat Sheet', url: 'https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html' },
        { title: 'MITRE ATLAS AML.T0049: Exploit Public-Facing Application', url: 'https://atlas.mitre.org/techniques/AML.T0049' },
      ],
    },
  },
  requires: TAINT_SOURCE_WORDS,
  needsTaint: 'any',
  triggers: ['requests', 'httpx', 'aiohttp', 'urllib', 'torch'],
  calls: Object.keys(FUNCTIONS),
  check(call, ctx) {
    const [index, keyword] = FUNCTIONS[call.qname!];
    checkUrl(ctx, call, call.arg(index, keyword));
  },
  nodes: ['call'],
  checkNode(node, ctx) {
    const m = methodCall(node, (name) => Object.hasOwn(METHODS, name));
    const where = m ? METHODS[m[1]] : undefined;
    if (!m || !where) return;
    const scope = ctx.scopeOf(node);
    if (!fromLibrary(originOf(m[0], scope), CLIENTS)) return;
    const call = CallSite.resolve(node, scope);
    if (call.qname && FUNCTIONS[call.qname]) return;
    // `session.request("GET", url)` vs `session.get(url)`.
    checkUrl(ctx, call, call.arg(where[0], where[1]));
  },
});
