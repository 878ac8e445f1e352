import type { Argument, CallSite } from '../call';
import type { Node } from '../parser';
import { defineRule, type NodeContext, type RuleContext } from '../rule';
import type { Severity } from '../types';
import { anchor, argNode } from './helpers';
import { methodCall } from './instance-helpers';
import { appKind, bindsAll, loopbackFix } from './serving-helpers';

/** Module-level servers: the parameter that holds the bind address (position, keyword). */
const SERVERS: Record<string, { index?: number; keyword: string; label: string; severity?: Severity }> = {
  'uvicorn.run': { keyword: 'host', label: '`uvicorn.run`' },
  'uvicorn.Config': { keyword: 'host', label: '`uvicorn.Config`' },
  'werkzeug.serving.run_simple': { index: 0, keyword: 'hostname', label: '`run_simple`' },
  'werkzeug.run_simple': { index: 0, keyword: 'hostname', label: '`run_simple`' },
  'aiohttp.web.run_app': { keyword: 'host', label: '`aiohttp.web.run_app`' },
  'waitress.serve': { keyword: 'host', label: '`waitress.serve`' },
  'ray.init': { keyword: 'dashboard_host', label: 'The Ray dashboard (`ray.init(dashboard_host=...)`)', severity: 'high' },
};

function message(label: string, ray: boolean): string {
  if (ray) {
    return `${label} listens on every network interface. The dashboard and its job API have no authentication: anyone who reaches the port submits jobs that run code on the cluster (the ShadowRay campaign). Bind 127.0.0.1 and reach it through an SSH tunnel or an authenticating proxy.`;
  }
  return `${label} listens on every network interface, so anyone on the network (or the internet, on a cloud VM) can reach the model without credentials. Bind 127.0.0.1, or put the app behind authentication and a reverse proxy.`;
}

function report(ctx: RuleContext, call: CallSite, arg: Argument, label: string, severity?: Severity): void {
  ctx.report({
    node: anchor(call, argNode(arg)),
    severity,
    message: message(label, severity === 'high'),
    fixes: loopbackFix(arg),
  });
}

function checkCall(call: CallSite, ctx: RuleContext): void {
  const q = call.qname;
  const spec = q && Object.hasOwn(SERVERS, q) ? SERVERS[q] : undefined;
  if (spec) {
    const arg = call.arg(spec.index, spec.keyword);
    if (arg && bindsAll(arg.value, arg.scope)) report(ctx, call, arg, spec.label, spec.severity);
    // waitress also takes `listen="0.0.0.0:8080 [::]:8080"`.
    const listen = q === 'waitress.serve' ? call.keyword('listen') : undefined;
    const v = listen ? call.valueOf(listen) : undefined;
    if (listen && v?.kind === 'string' && v.value.split(/\s+/).some((x) => /^(0\.0\.0\.0|\*|\[::\]):\d+$/.test(x))) {
      ctx.report({ node: anchor(call, argNode(listen)), message: message(spec.label, false) });
    }
    return;
  }
  const m = methodCall(call);
  if (!m) return;
  if (m.method === 'launch') {
    const arg = call.keyword('server_name');
    if (!arg || !bindsAll(arg.value, arg.scope) || appKind(m.object, call.scope, 'launch', ctx.text) !== 'gradio') return;
    report(ctx, call, arg, 'This gradio app');
    return;
  }
  if (m.method === 'run' || m.method === 'run_server') {
    if (!call.keyword('host') && call.positional.length === 0) return;
    const kind = appKind(m.object, call.scope, 'run', ctx.text);
    if (!kind || kind === 'gradio') return;
    // Flask.run(host, ...) and Dash.run(host, ...); SocketIO.run(app, host, ...).
    const arg = kind === 'socketio' ? call.arg(1, 'host') : call.arg(0, 'host');
    if (!arg || !bindsAll(arg.value, arg.scope)) return;
    report(ctx, call, arg, kind === 'dash' ? 'This Dash app' : kind === 'socketio' ? 'This Socket.IO server' : 'This Flask app');
  }
}

/** `c.NotebookApp.ip = "0.0.0.0"` / `c.ServerApp.ip = "*"` in a Jupyter config file. */
function checkAssignment(node: Node, ctx: NodeContext): void {
  const left = node.childForFieldName('left');
  const right = node.childForFieldName('right');
  if (left?.type !== 'attribute' || !right || left.childForFieldName('attribute')?.text !== 'ip') return;
  const app = left.childForFieldName('object');
  const appName = app?.type === 'attribute' ? app.childForFieldName('attribute')?.text : undefined;
  if (appName !== 'NotebookApp' && appName !== 'ServerApp') return;
  const scope = ctx.scopeOf(node);
  if (!bindsAll(right, scope, true)) return;
  ctx.report({
    node,
    message: `\`${appName}.ip\` set to every network interface exposes this Jupyter server, a remote Python shell, to the network. Bind 127.0.0.1 and use an SSH tunnel, and keep token or password authentication on.`,
    fixes: loopbackFix({ value: right }),
  });
}

export default defineRule({
  meta: {
    id: 'TL803',
    name: 'serve-on-all-interfaces',
    title: 'Model server or dashboard listening on every network interface',
    family: 'serving',
    severity: 'medium',
    cwe: ['CWE-668', 'CWE-1327'],
    threats: ['MLT-024', 'MLT-040', 'MLT-007'],
    techniques: ['AML.T0049', 'AML.T0006', 'AML.T0040'],
    peers: { bandit: ['B104'], ruff: ['S104'] },
    docs: {
      finds:
        'Servers told to listen on `0.0.0.0` or `::`: Flask/Dash `app.run(host=...)`, `socketio.run`, gradio ' +
        '`launch(server_name=...)`, `uvicorn.run`/`uvicorn.Config`, `werkzeug.serving.run_simple`, ' +
        '`aiohttp.web.run_app`, `waitress.serve` (`host` or `listen`), Jupyter `c.ServerApp.ip`/`c.NotebookApp.ip` (also `*`), and ' +
        '`ray.init(dashboard_host=...)`, which is high severity. Only literal addresses (or names bound to ' +
        'them) are reported; an address read from configuration is left alone.',
      why:
        'Model servers, notebooks and cluster dashboards usually have no authentication of their own. Bound to ' +
        'every interface on a cloud VM or a lab machine, they are quickly found by internet-wide scans: ' +
        'exposed Ray dashboards were used to run code on AI clusters (ShadowRay), and open inference endpoints ' +
        'give away free use of the model and the data to extract it.',
      example: 'import uvicorn\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\nuvicorn.run(app, host="0.0.0.0", port=8000)\n',
      useInstead:
        'import os\n\nimport uvicorn\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n# Local by default; a deployment sets HOST behind its proxy.\n' +
        'uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=8000)\n',
      references: [
        { title: 'Ray security: do not expose Ray to untrusted networks', url: 'https://docs.ray.io/en/latest/ray-security/index.html' },
        { title: 'Oligo: ShadowRay, attacks on exposed Ray clusters', url: 'https://www.oligo.security/blog/shadowray-attack-ai-workloads-actively-exploited-in-the-wild' },
        { title: 'Jupyter Server: security in the Jupyter Server', url: 'https://jupyter-server.readthedocs.io/en/latest/operators/security.html' },
        { title: 'CWE-1327: Binding to an Unrestricted IP Address', url: 'https://cwe.mitre.org/data/definitions/1327.html' },
      ],
    },
  },
  // The addresses as written in string literals (a bare `::` would match every slice `a[::2]`).
  triggers: ['0.0.0.0', '"::"', "'::'", '::]', '0:0:0:0:0:0:0:0', '*:', 'NotebookApp', 'ServerApp'],
  anyCall: true,
  check: checkCall,
  nodes: ['assignment'],
  checkNode: checkAssignment,
});
