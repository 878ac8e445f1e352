/**
 * What object an expression holds, for rules about methods and attributes of instances
 * (`session.get(..., verify=False)`, `app.run(debug=True)`, `demo.launch(share=True)`).
 *
 * `instanceOf` answers with the canonical qualified name of the callable that built the object
 * (`requests.Session`, `flask.Flask`, `gradio.Blocks`), following:
 * - a call written in place (`requests.Session().get(...)`);
 * - names bound to such a call, in the same or an enclosing scope;
 * - `with gr.Blocks() as demo:` / `async with aiohttp.ClientSession() as s:` targets;
 * - `self.session` when the class assigns `self.session = requests.Session()` (one kind only);
 * - a factory function of the same file (`def build(): app = Flask(...); return app`);
 * - methods that return their receiver (gradio's `demo.queue()`);
 * - a class of the same file (`Trainer()`), named `local:Trainer`.
 * Anything else is undefined: rules stay silent on objects they cannot place.
 */
import type { CallSite } from '../call';
import type { Node } from '../parser';
import type { Scope } from '../scope';
import { qualifiedName, unwrap, withItemValue } from '../values';

const MAX_DEPTH = 8;

/** Prefix of the name given to instances of a class defined in the analysed file (`local:Trainer`). */
export const LOCAL_CLASS = 'local:';

/** Methods that return the object they are called on, by the qualified-name prefix of its class. */
const RETURNS_SELF: Record<string, readonly string[]> = {
  queue: ['gradio.'],
};

/** Where an object was built: the callee's canonical name, and the call with its scope. */
export interface Origin {
  qname: string;
  call: Node;
  scope: Scope;
}

/** The canonical name of the class or factory whose result `node` holds, when it can be told. */
export function instanceOf(node: Node, scope: Scope): string | undefined {
  return originOf(node, scope)?.qname;
}

/** Like `instanceOf`, with the constructor call itself (to read its arguments). */
export function originOf(node: Node, scope: Scope, depth = 0): Origin | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const n = unwrap(node);
  switch (n.type) {
    case 'call':
      return callResult(n, scope, depth);
    case 'identifier': {
      const binding = scope.lookup(n.text, n.startIndex);
      if (!binding) return undefined;
      if (binding.kind === 'assign') return originOf(binding.value, binding.scope, depth + 1);
      if (binding.kind === 'opaque' && binding.node) {
        const value = withItemValue(binding.node);
        return value ? originOf(value, scope, depth + 1) : undefined;
      }
      return undefined;
    }
    case 'attribute':
      return selfAttribute(n, scope, depth);
    default:
      return undefined;
  }
}

function callResult(call: Node, scope: Scope, depth: number): Origin | undefined {
  const fn = call.childForFieldName('function');
  if (!fn) return undefined;
  if (fn.type === 'attribute') {
    const method = fn.childForFieldName('attribute')?.text ?? '';
    const prefixes = RETURNS_SELF[method];
    const object = fn.childForFieldName('object');
    if (prefixes && object) {
      const receiver = originOf(object, scope, depth + 1);
      if (receiver && prefixes.some((p) => receiver.qname.startsWith(p))) return receiver;
    }
  }
  const q = qualifiedName(fn, scope);
  if (q) return { qname: q, call, scope };
  if (fn.type === 'identifier') {
    const binding = scope.lookup(fn.text, fn.startIndex);
    if (binding?.kind === 'def') return factoryResult(binding.node, scope, depth);
    if (binding?.kind === 'class') return { qname: `${LOCAL_CLASS}${fn.text}`, call, scope };
  }
  return undefined;
}

/** Statements of a block, without descending into nested functions or classes. */
function* statements(block: Node): Generator<Node> {
  for (const child of block.namedChildren) {
    if (!child) continue;
    if (child.type === 'function_definition' || child.type === 'class_definition' || child.type === 'decorated_definition') continue;
    yield child;
    for (const field of ['body', 'consequence', 'alternative']) {
      for (const inner of child.childrenForFieldName(field)) {
        if (inner?.type === 'block') yield* statements(inner);
        else if (inner) for (const b of inner.namedChildren) if (b?.type === 'block') yield* statements(b);
      }
    }
  }
}

/** The values bound to `name` directly in a function body (`name = v`, `with v as name`; no nested defs). */
function localValues(body: Node, name: string): Node[] {
  const out: Node[] = [];
  for (const stmt of statements(body)) {
    if (stmt.type === 'with_statement') {
      for (const alias of stmt.descendantsOfType('as_pattern_target')) {
        const target = alias?.namedChild(0);
        const value = target?.type === 'identifier' && target.text === name ? withItemValue(target) : undefined;
        if (value) out.push(value);
      }
      continue;
    }
    if (stmt.type !== 'expression_statement') continue;
    const inner = stmt.namedChild(0);
    if (inner?.type !== 'assignment') continue;
    const left = inner.childForFieldName('left');
    const right = inner.childForFieldName('right');
    if (left?.type === 'identifier' && left.text === name && right) out.push(right);
  }
  return out;
}

/**
 * `def create_app(): app = Flask(__name__); ...; return app`: what every `return` of the function
 * hands back, when all agree. Names inside the body are resolved against the scope the function was
 * found from, which holds for the module-level imports such factories use.
 */
function factoryResult(def: Node, scope: Scope, depth: number): Origin | undefined {
  const body = def.childForFieldName('body');
  if (!body) return undefined;
  const results: (Origin | undefined)[] = [];
  for (const stmt of statements(body)) {
    if (stmt.type !== 'return_statement') continue;
    const value = stmt.namedChild(0);
    if (!value) return undefined;
    const v = unwrap(value);
    if (v.type === 'identifier') {
      const values = localValues(body, v.text);
      if (values.length === 0) return undefined;
      for (const x of values) results.push(originOf(x, scope, depth + 1));
    } else {
      results.push(originOf(v, scope, depth + 1));
    }
  }
  return agree(results);
}

/** The origin all candidates share (by callee name), or undefined when they differ or one is unknown. */
function agree(results: (Origin | undefined)[]): Origin | undefined {
  const first = results[0];
  if (!first) return undefined;
  return results.every((r) => r?.qname === first.qname) ? first : undefined;
}

/** `self.client` inside a class whose methods assign `self.client = <one kind of object>`. */
function selfAttribute(node: Node, scope: Scope, depth: number): Origin | undefined {
  const object = node.childForFieldName('object');
  const attribute = node.childForFieldName('attribute')?.text;
  if (object?.type !== 'identifier' || object.text !== 'self' || !attribute) return undefined;
  let cls: Node | null = node.parent;
  while (cls && cls.type !== 'class_definition') cls = cls.parent;
  const body = cls?.childForFieldName('body');
  if (!body) return undefined;
  const results: (Origin | undefined)[] = [];
  for (const assign of body.descendantsOfType('assignment')) {
    const left = assign?.childForFieldName('left');
    const right = assign?.childForFieldName('right');
    if (!left || !right || left.type !== 'attribute') continue;
    if (left.childForFieldName('object')?.text !== 'self' || left.childForFieldName('attribute')?.text !== attribute) continue;
    results.push(originOf(right, scope, depth + 1));
  }
  return agree(results);
}

/** The receiver and method name of a method call (`s` and `get` in `s.get(...)`). */
export function methodCall(call: CallSite): { object: Node; method: string } | undefined {
  if (call.callee.type !== 'attribute') return undefined;
  const object = call.callee.childForFieldName('object');
  const method = call.callee.childForFieldName('attribute')?.text;
  return object && method ? { object, method } : undefined;
}

/** True when the file imports `module` (or one of its submodules) by name. */
export function importsModule(text: string, module: string): boolean {
  const m = module.replace(/\./g, '\\.');
  return new RegExp(`^[ \\t]*(?:import[ \\t]+${m}\\b|from[ \\t]+${m}(?:\\.[\\w.]+)?[ \\t]+import\\b)`, 'm').test(text);
}
