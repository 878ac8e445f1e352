/**
 * Shared by the serving rules (TL8xx): which web/UI framework an app object belongs to, and which
 * bind addresses mean "every network interface".
 */
import type { Argument } from '../call';
import { replaceNode } from '../edits';
import type { Node } from '../parser';
import type { Scope } from '../scope';
import type { Fix } from '../types';
import { valueOf } from '../values';
import { importsModule, instanceOf, LOCAL_CLASS } from './instance-helpers';

export type AppKind = 'flask' | 'dash' | 'socketio' | 'gradio';

const APP_CLASSES = new Map<string, AppKind>(Object.entries({
  'flask.Flask': 'flask',
  'flask.app.Flask': 'flask',
  'dash.Dash': 'dash',
  'dash.dash.Dash': 'dash',
  'flask_socketio.SocketIO': 'socketio',
  'gradio.Interface': 'gradio',
  'gradio.Blocks': 'gradio',
  'gradio.ChatInterface': 'gradio',
  'gradio.TabbedInterface': 'gradio',
  'gradio.load': 'gradio',
  'gradio.Interface.load': 'gradio',
  'gradio.Blocks.load': 'gradio',
  'gradio.interface.Interface': 'gradio',
  'gradio.blocks.Blocks': 'gradio',
  'gradio.chat_interface.ChatInterface': 'gradio',
} satisfies Record<string, AppKind>));

/** Names apps commonly go by when they come from elsewhere (`from .server import app`). */
const APP_NAMES = /^(app|application|flask_app|webapp|server)$/;
/** Factories that build the app (`app = create_app()`). */
const APP_FACTORY = /(^|\.)(create|make|build|get|init)_?(flask_?)?app$/i;

/**
 * The framework of the object a method is called on (`app` in `app.run(...)`). Besides objects
 * built in this file, a file that imports Flask and calls `app.run(...)` on an app made elsewhere
 * (an imported `app`, `create_app()`) counts as Flask, and `.launch(...)` in a file that imports
 * gradio counts as gradio.
 */
export function appKind(object: Node, scope: Scope, method: string, text: string): AppKind | undefined {
  const cls = instanceOf(object, scope);
  const known = cls ? APP_CLASSES.get(cls) : undefined;
  if (known) return known;
  // An instance of a class of this file is that class's business, whatever its methods are called.
  if (cls?.startsWith(LOCAL_CLASS)) return undefined;
  if (method === 'launch' && importsModule(text, 'gradio')) return 'gradio';
  if (method === 'run' && importsModule(text, 'flask')) {
    if (cls ? APP_FACTORY.test(cls) : object.type === 'identifier' && APP_NAMES.test(object.text)) return 'flask';
  }
  return undefined;
}

const ALL_V4 = new Set(['0.0.0.0']);
const ALL_V6 = new Set(['::', '[::]', '0:0:0:0:0:0:0:0']);

/** `"0.0.0.0"`, `"::"` (and `"*"`/`""` where the server reads them so, e.g. Jupyter). */
export function bindsAll(node: Node, scope: Scope, wildcard = false): boolean {
  const v = valueOf(node, scope);
  if (v.kind !== 'string') return false;
  const s = v.value;
  return ALL_V4.has(s) || ALL_V6.has(s) || (wildcard && (s === '*' || s === ''));
}

/** Rewrites a literal all-interfaces address to loopback (`"0.0.0.0"` → `"127.0.0.1"`). */
export function loopbackFix(arg: Argument | { value: Node; fromSplat?: boolean }): Fix[] {
  const v = arg.value;
  if (arg.fromSplat || v.type !== 'string' || v.namedChildren.some((c) => c?.type === 'interpolation')) return [];
  const content = v.namedChildren.find((c) => c?.type === 'string_content');
  const value = content?.text ?? '';
  const loopback = ALL_V6.has(value) ? '::1' : '127.0.0.1';
  const start = v.namedChildren.find((c) => c?.type === 'string_start')?.text ?? '"';
  const quote = start.slice(-1);
  return [{ title: `Listen on ${loopback} only`, safety: 'unsafe', edits: [replaceNode(v, `${quote}${loopback}${quote}`)] }];
}

/** `True` → `False` on a literal, as a safe fix. */
export function falseFix(value: Node, title: string): Fix[] {
  return value.type === 'true' ? [{ title, safety: 'safe', edits: [replaceNode(value, 'False')] }] : [];
}
