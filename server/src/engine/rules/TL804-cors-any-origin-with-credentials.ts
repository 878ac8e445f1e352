import type { Argument, CallSite } from '../call';
import { replaceNode } from '../edits';
import { defineRule } from '../rule';
import type { Fix } from '../types';
import { qualifiedName, truthiness, valueOf } from '../values';
import { anchor, argNode } from './helpers';
import { methodCall } from './instance-helpers';

const CORS_MIDDLEWARE = new Set(['fastapi.middleware.cors.CORSMiddleware', 'starlette.middleware.cors.CORSMiddleware']);
const MIDDLEWARE_WRAPPERS = new Set(['starlette.middleware.Middleware', 'fastapi.middleware.Middleware']);
const FLASK_CORS = new Set(['flask_cors.CORS', 'flask_cors.cross_origin', 'flask_cors.extension.CORS', 'flask_cors.decorator.cross_origin']);

/** Origins an attacker's site would send. */
const ATTACKER_ORIGINS = ['https://attacker.invalid', 'http://attacker.invalid'];

/** Does a Python regex (a subset JavaScript reads the same way) accept an arbitrary origin? */
function regexAcceptsAny(pattern: string, full: boolean): boolean {
  try {
    const re = new RegExp(full ? `^(?:${pattern})$` : `^(?:${pattern})`, 'i');
    return ATTACKER_ORIGINS.some((o) => re.test(o));
  } catch {
    return false;
  }
}

/** The literal strings of a string or list/tuple/set value; undefined when not all are known. */
function strings(call: CallSite, arg: Argument): string[] | undefined {
  const v = call.valueOf(arg);
  if (v.kind === 'string') return [v.value];
  if (v.kind !== 'sequence') return undefined;
  const out: string[] = [];
  for (const item of v.items) {
    const x = valueOf(item.node, item.scope);
    if (x.kind !== 'string') return undefined;
    out.push(x.value);
  }
  return out;
}

/** flask-cors reads an origin as a regex when it contains one of these characters. */
const PROBABLY_REGEX = /[*\\\]?$^[()]/;

function credentialsFix(arg: Argument): Fix[] {
  if (arg.fromSplat || arg.value.type !== 'true' || !arg.keyword) return [];
  const name = arg.keyword.childForFieldName('name')?.text ?? 'allow_credentials';
  return [{ title: `Set ${name}=False`, safety: 'unsafe', edits: [replaceNode(arg.value, 'False')] }];
}

/** `CORSMiddleware` options: `allow_origins=["*"]` or a catch-all `allow_origin_regex`, with `allow_credentials=True`. */
function starlette(call: CallSite): { credentials: Argument; origin: string } | undefined {
  const credentials = call.keyword('allow_credentials');
  if (!credentials || truthiness(call.valueOf(credentials)) !== true) return undefined;
  const origins = call.keyword('allow_origins');
  const list = origins ? strings(call, origins) : undefined;
  if (list?.includes('*')) return { credentials, origin: '`allow_origins=["*"]`' };
  const regex = call.keyword('allow_origin_regex');
  const r = regex ? call.valueOf(regex) : undefined;
  if (r?.kind === 'string' && regexAcceptsAny(r.value, true)) return { credentials, origin: `\`allow_origin_regex=${JSON.stringify(r.value)}\`` };
  return undefined;
}

/** flask-cors: `supports_credentials=True` with `origins` left at its default `*` or set to a wildcard. */
function flaskCors(call: CallSite): { credentials: Argument; origin: string } | undefined {
  const credentials = call.keyword('supports_credentials');
  if (!credentials || truthiness(call.valueOf(credentials)) !== true) return undefined;
  const origins = call.keyword('origins');
  if (!origins) {
    // Per-resource options may narrow the origins; only the plain default is certain.
    if (call.keyword('resources') || call.hasUnknownKwargs) return undefined;
    return { credentials, origin: 'the default origins (`*`)' };
  }
  const list = strings(call, origins);
  if (!list) return undefined;
  const wild = list.find((o) => o === '*' || (PROBABLY_REGEX.test(o) && regexAcceptsAny(o, false)));
  return wild === undefined ? undefined : { credentials, origin: `\`origins=${JSON.stringify(wild)}\`` };
}

export default defineRule({
  meta: {
    id: 'TL804',
    name: 'cors-any-origin-with-credentials',
    title: 'CORS allows any origin together with credentials',
    family: 'serving',
    severity: 'medium',
    cwe: ['CWE-942', 'CWE-346'],
    threats: ['MLT-007', 'MLT-040'],
    techniques: ['AML.T0049', 'AML.T0078', 'AML.T0025'],
    docs: {
      finds:
        'FastAPI/Starlette `CORSMiddleware` (through `app.add_middleware` or `Middleware(...)`) with ' +
        '`allow_credentials=True` and `allow_origins` containing `"*"` or an `allow_origin_regex` that matches ' +
        'any origin; flask-cors `CORS(...)`/`@cross_origin(...)` with `supports_credentials=True` and the default ' +
        'or a wildcard `origins`. A wildcard without credentials is not reported (public APIs do that on purpose).',
      why:
        'With credentials allowed, Starlette and flask-cors answer a wildcard by echoing whatever origin asks. ' +
        'Any web page a signed-in user opens can then call the model API with the user\'s cookies and read the ' +
        'answers: their prompts and chat history, uploaded documents, predictions, API keys shown in settings.',
      example:
        'from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\napp = FastAPI()\n' +
        'app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"])\n',
      useInstead:
        'from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\napp = FastAPI()\n' +
        'app.add_middleware(CORSMiddleware, allow_origins=["https://chat.example.com"], allow_credentials=True, allow_methods=["*"])\n',
      references: [
        { title: 'FastAPI: CORS (Cross-Origin Resource Sharing)', url: 'https://fastapi.tiangolo.com/tutorial/cors/' },
        { title: 'PortSwigger: CORS misconfigurations that reflect the origin', url: 'https://portswigger.net/web-security/cors' },
        { title: 'CWE-942: Permissive Cross-domain Policy', url: 'https://cwe.mitre.org/data/definitions/942.html' },
      ],
    },
  },
  triggers: ['CORS', 'cors'],
  anyCall: true,
  check(call, ctx) {
    let hit: { credentials: Argument; origin: string } | undefined;
    if (call.qname && FLASK_CORS.has(call.qname)) {
      hit = flaskCors(call);
    } else if (call.qname && MIDDLEWARE_WRAPPERS.has(call.qname)) {
      const cls = call.arg(0, 'cls');
      if (cls && CORS_MIDDLEWARE.has(qualifiedName(cls.value, cls.scope) ?? '')) hit = starlette(call);
    } else if (!call.qname || call.qname.endsWith('.add_middleware')) {
      const m = methodCall(call);
      if (m?.method !== 'add_middleware') return;
      const cls = call.arg(0, 'middleware_class');
      if (cls && CORS_MIDDLEWARE.has(qualifiedName(cls.value, cls.scope) ?? '')) hit = starlette(call);
    }
    if (!hit) return;
    ctx.report({
      node: anchor(call, argNode(hit.credentials)),
      message: `${hit.origin} with credentials makes the server echo any requesting origin: any web page a signed-in user visits can call this API with their cookies and read the responses. List the front-end origins explicitly.`,
      fixes: credentialsFix(hit.credentials),
    });
  },
});
