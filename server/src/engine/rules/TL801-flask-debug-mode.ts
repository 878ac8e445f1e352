import type { Argument, CallSite } from '../call';
import type { Node } from '../parser';
import { defineRule, type NodeContext, type RuleContext } from '../rule';
import type { Scope } from '../scope';
import { truthiness, valueOf } from '../values';
import { anchor, argNode } from './helpers';
import { instanceOf, methodCall } from './instance-helpers';
import { appKind, bindsAll, falseFix } from './serving-helpers';

const FLASK_CLASSES = new Set(['flask.Flask', 'flask.app.Flask']);
const RUN_SIMPLE = new Set(['werkzeug.serving.run_simple', 'werkzeug.run_simple']);
const DEBUGGED_APP = new Set(['werkzeug.debug.DebuggedApplication', 'werkzeug.DebuggedApplication']);

const WHY_SHORT = 'the Werkzeug debugger lets anyone who can reach the server run Python code in it';

function isTrue(call: CallSite, arg: Argument | undefined): boolean {
  return arg !== undefined && truthiness(call.valueOf(arg)) === true;
}

function reportArg(ctx: RuleContext, call: CallSite, arg: Argument, message: string, exposed: boolean): void {
  ctx.report({
    node: anchor(call, argNode(arg)),
    severity: exposed ? 'critical' : undefined,
    message: exposed ? `${message} It also listens on every network interface here, so the console is open to the network.` : message,
    fixes: arg.fromSplat ? [] : falseFix(arg.value, `Set ${arg.keyword?.childForFieldName('name')?.text ?? 'debug'}=False`),
  });
}

function checkCall(call: CallSite, ctx: RuleContext): void {
  const q = call.qname;
  if (q && RUN_SIMPLE.has(q)) {
    const arg = call.keyword('use_debugger');
    if (!isTrue(call, arg)) return;
    const host = call.arg(0, 'hostname');
    reportArg(ctx, call, arg!, `\`run_simple(use_debugger=True)\` serves the interactive debugger: ${WHY_SHORT}. Turn it off outside local development.`, !!host && bindsAll(host.value, host.scope));
    return;
  }
  if (q && DEBUGGED_APP.has(q)) {
    const arg = call.keyword('evalex');
    if (!isTrue(call, arg)) return;
    reportArg(ctx, call, arg!, `\`DebuggedApplication(evalex=True)\` serves an interactive Python console in error pages: ${WHY_SHORT}. Do not wrap deployed apps with it.`, false);
    return;
  }
  const m = methodCall(call);
  if (!m || (m.method !== 'run' && m.method !== 'run_server')) return;
  if (!call.keyword('debug') && call.positional.length < 3) return;
  const kind = appKind(m.object, call.scope, 'run', ctx.text);
  if (kind !== 'flask' && kind !== 'dash' && kind !== 'socketio') return;
  // Flask.run(host, port, debug); Dash and SocketIO take debug by keyword.
  const arg = kind === 'flask' ? call.arg(2, 'debug') : call.keyword('debug');
  if (!isTrue(call, arg)) return;
  const host = kind === 'socketio' ? call.arg(1, 'host') : call.arg(0, 'host');
  const what = kind === 'dash' ? 'A Dash app run with `debug=True`' : kind === 'socketio' ? '`socketio.run(..., debug=True)`' : '`app.run(debug=True)`';
  reportArg(ctx, call, arg!, `${what} starts the Werkzeug debugger: ${WHY_SHORT} (the PIN guarding it can be derived from a few machine details that a file-read bug leaks). Use \`debug=False\` and a production server.`, !!host && bindsAll(host.value, host.scope));
}

/** Is `node` the Flask app, or the `config` of one? */
function flaskObject(node: Node, scope: Scope): boolean {
  const cls = instanceOf(node, scope);
  return cls !== undefined && FLASK_CLASSES.has(cls);
}

/** `app.debug = True`, `app.config["DEBUG"] = True`. */
function checkAssignment(node: Node, ctx: NodeContext): void {
  const left = node.childForFieldName('left');
  const right = node.childForFieldName('right');
  if (!left || !right) return;
  const scope = ctx.scopeOf(node);
  if (truthiness(valueOf(right, scope)) !== true) return;
  let app: Node | null | undefined;
  let what: string;
  if (left.type === 'attribute' && left.childForFieldName('attribute')?.text === 'debug') {
    app = left.childForFieldName('object');
    what = '`app.debug = True`';
  } else if (left.type === 'subscript') {
    const config = left.childForFieldName('value');
    const key = left.childForFieldName('subscript');
    if (config?.type !== 'attribute' || config.childForFieldName('attribute')?.text !== 'config' || !key) return;
    const k = valueOf(key, scope);
    if (k.kind !== 'string' || k.value !== 'DEBUG') return;
    app = config.childForFieldName('object');
    what = '`app.config["DEBUG"] = True`';
  } else {
    return;
  }
  if (!app || !flaskObject(app, scope)) return;
  ctx.report({
    node,
    message: `${what} turns on Flask debug mode: when the app is run with \`app.run()\`, ${WHY_SHORT}. Keep debug off outside local development.`,
    fixes: falseFix(right, 'Set it to False'),
  });
}

/** `app.config.update(DEBUG=True)`, `app.config.from_mapping(DEBUG=True)`. */
function checkConfigCall(call: CallSite, ctx: RuleContext): boolean {
  const m = methodCall(call);
  if (!m || (m.method !== 'update' && m.method !== 'from_mapping')) return false;
  const arg = call.keyword('DEBUG');
  if (!arg || !isTrue(call, arg)) return false;
  const config = m.object;
  if (config.type !== 'attribute' || config.childForFieldName('attribute')?.text !== 'config') return false;
  const app = config.childForFieldName('object');
  if (!app || !flaskObject(app, call.scope)) return false;
  ctx.report({
    node: anchor(call, argNode(arg)),
    message: `\`DEBUG=True\` in the Flask config turns on debug mode: when the app is run with \`app.run()\`, ${WHY_SHORT}. Keep debug off outside local development.`,
    fixes: arg.fromSplat ? [] : falseFix(arg.value, 'Set DEBUG=False'),
  });
  return true;
}

export default defineRule({
  meta: {
    id: 'TL801',
    name: 'flask-debug-mode',
    title: 'Flask or Werkzeug debugger enabled',
    family: 'serving',
    severity: 'high',
    cwe: ['CWE-489', 'CWE-94'],
    threats: ['MLT-024', 'MLT-017'],
    techniques: ['AML.T0049', 'AML.T0050'],
    peers: { bandit: ['B201'], ruff: ['S201'] },
    docs: {
      finds:
        '`app.run(debug=True)` on a Flask app (also a Dash app or `socketio.run`), `app.debug = True`, ' +
        '`app.config["DEBUG"] = True` and `app.config.update(DEBUG=True)`, `werkzeug.serving.run_simple(..., ' +
        'use_debugger=True)` and `DebuggedApplication(app, evalex=True)`. Critical when the same call also ' +
        'listens on every interface (`host="0.0.0.0"`).',
      why:
        'Debug mode serves the Werkzeug debugger, whose error pages hold an interactive Python console. Anyone ' +
        'who reaches the app (a demo on a shared GPU box, a container with its port published) and gets past the ' +
        'PIN, which can be derived from a few machine details that any file-read bug leaks, runs code with the ' +
        'model server\'s rights: weights, datasets and cloud keys included.',
      example:
        'from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route("/predict", methods=["POST"])\ndef predict():\n    return {"label": "cat"}\n\n\n' +
        'if __name__ == "__main__":\n    app.run(debug=True)\n',
      useInstead:
        'import os\n\nfrom flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route("/predict", methods=["POST"])\ndef predict():\n    return {"label": "cat"}\n\n\n' +
        'if __name__ == "__main__":\n    app.run(debug=os.environ.get("FLASK_DEBUG") == "1")\n',
      references: [
        { title: 'Flask: debug mode (do not use it in production)', url: 'https://flask.palletsprojects.com/en/stable/debugging/' },
        { title: 'Werkzeug: debugger PIN and security', url: 'https://werkzeug.palletsprojects.com/en/stable/debug/' },
        { title: 'CWE-489: Active Debug Code', url: 'https://cwe.mitre.org/data/definitions/489.html' },
      ],
    },
  },
  // Every finding needs one of these modules imported by name (`flask` covers `flask_socketio`).
  triggers: ['flask', 'dash', 'werkzeug'],
  anyCall: true,
  check(call, ctx) {
    if (checkConfigCall(call, ctx)) return;
    checkCall(call, ctx);
  },
  nodes: ['assignment'],
  checkNode: checkAssignment,
});
