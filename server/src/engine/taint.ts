/**
 * Where untrusted data comes from, and whether it reaches a given expression.
 *
 * Sources: Flask/Django request data, FastAPI/Starlette/Flask handler parameters (UploadFile
 * included), gradio interface function parameters, streamlit inputs, `input()`, and LLM
 * completions (OpenAI, Anthropic, LangChain, transformers pipelines, ollama).
 *
 * Propagation is demand-driven and reuses name resolution: a sink asks `taintOf(expression)`, which
 * follows the binding in force at that point (so `x = secure_filename(x)` cleans `x` from there
 * on) through assignments, attributes, subscripts, f-strings, concatenation, `%`/`format`/`join`,
 * method calls on tainted objects (`file.read()`) and known pass-through functions
 * (`base64.b64decode`, `io.BytesIO`, `json.loads`, `os.path.join`, ...). Validation stops it:
 * `int()`/`float()`, `os.path.basename`, `secure_filename`, `Literal`/`Enum`/numeric annotations,
 * pydantic body fields whose declared type validates (a `str` field is still client text), gradio choice and number components (`gr.Dropdown`,
 * `gr.Radio`, `gr.Slider`, ...: gradio rejects values outside their choices), `gr.State` (kept on
 * the server), and an allow-list check (`if x not in ALLOWED: raise ...` before the use, or the
 * use inside `if x in ALLOWED:`). Subscripting never passes on the taint of the key:
 * `MODELS[name]` is one of the author's values whatever `name` is (only the container's own taint
 * flows), while `MODELS.get(name, name)` carries the taint of its fallback. Unknown functions do
 * not propagate, so a finding needs a path the engine can explain.
 */
import type { Node } from './parser';
import { scopeAt, type Scope, type ScopeIndex } from './scope';
import { qualifiedName, valueOf, withItemValue } from './values';

export type TaintKind = 'request' | 'upload' | 'user-input' | 'ui-input' | 'llm-output';

export interface Taint {
  kind: TaintKind;
  /** Where the untrusted data enters (a parameter, a call, an attribute). */
  source: Node;
  /** Human description: "the FastAPI parameter `file`", "an LLM completion". */
  label: string;
}

const MAX_DEPTH = 24;

/** Libraries whose import makes any other source possible (request data, handlers, UI inputs, `builtins.input`). */
const OTHER_SOURCE_LIBRARIES = ['flask', 'fastapi', 'starlette', 'gradio', 'streamlit', 'builtins'];
/** A call of the builtin `input` (not a method), or the bare name assigned to another (`ask = input`). */
const INPUT_CALL = /(?<![\w.])input\s*\(|=\s*input[ \t]*(?:$|[;#)\]},])/m;

/**
 * Which kinds of taint source can exist at all in a file, from what it imports (every source is
 * a library's request object, handler registration, UI input or LLM client, all resolved through
 * imports) and whether it calls `input(...)`. Rules marked `needsTaint` are skipped where their
 * kind cannot exist, and the tracker answers "clean" without looking.
 */
export function possibleSources(index: ScopeIndex, text: string): { any: boolean; llm: boolean } {
  const llm = index.imports.some((q) => isLibrary(q, LLM_SOURCE_LIBRARIES));
  const any = llm || index.imports.some((q) => isLibrary(q, OTHER_SOURCE_LIBRARIES)) || mayCallInput(text);
  return { any, llm };
}

/** Whether `text` may call the builtin `input` (or pass it on by name). */
export function mayCallInput(text: string): boolean {
  // `builtins.input(...)` and `from builtins import input as ask` reach it by another name.
  return text.includes('input') && (INPUT_CALL.test(text) || text.includes('builtins'));
}

/** Attribute/call names of request objects whose values come from the client. */
const FLASK_REQUEST = 'flask.request';
const REQUEST_PARTS = new Set([
  'args',
  'form',
  'files',
  'values',
  'json',
  'data',
  'cookies',
  'headers',
  'get_json',
  'get_data',
  'stream',
  'GET',
  'POST',
  'FILES',
  'body',
  'query_params',
  'path_params',
]);

const SOURCE_CALLS: Record<string, { kind: TaintKind; label: string }> = {
  'builtins.input': { kind: 'user-input', label: '`input()`' },
  'streamlit.file_uploader': { kind: 'upload', label: 'a streamlit file upload' },
  'streamlit.text_input': { kind: 'ui-input', label: 'a streamlit text input' },
  'streamlit.text_area': { kind: 'ui-input', label: 'a streamlit text area' },
  'streamlit.chat_input': { kind: 'ui-input', label: 'a streamlit chat input' },
  'streamlit.sidebar.text_input': { kind: 'ui-input', label: 'a streamlit text input' },
  'streamlit.sidebar.file_uploader': { kind: 'upload', label: 'a streamlit file upload' },
  'openai.ChatCompletion.create': { kind: 'llm-output', label: 'an LLM completion' },
  'openai.Completion.create': { kind: 'llm-output', label: 'an LLM completion' },
  'ollama.chat': { kind: 'llm-output', label: 'an LLM completion' },
  'ollama.generate': { kind: 'llm-output', label: 'an LLM completion' },
  'litellm.completion': { kind: 'llm-output', label: 'an LLM completion' },
};

/** Calls whose result carries the taint of any argument. */
const PASS_THROUGH = new Set([
  'base64.b64decode',
  'base64.urlsafe_b64decode',
  'base64.decodebytes',
  'binascii.a2b_base64',
  'io.BytesIO',
  'io.StringIO',
  'builtins.str',
  'builtins.bytes',
  'builtins.bytearray',
  'builtins.memoryview',
  'json.loads',
  'zlib.decompress',
  'gzip.decompress',
  'bz2.decompress',
  'lzma.decompress',
  'codecs.decode',
  'os.path.join',
  'os.path.abspath',
  'os.path.realpath',
  'os.path.normpath',
  'os.path.expanduser',
  'pathlib.Path',
  'pathlib.PurePath',
  'urllib.parse.unquote',
  'urllib.parse.urljoin',
  'textwrap.dedent',
]);

/** Calls whose result is safe whatever the input. */
const SANITIZERS = new Set([
  'builtins.int',
  'builtins.float',
  'builtins.bool',
  'builtins.len',
  'builtins.complex',
  'os.path.basename',
  'werkzeug.utils.secure_filename',
  'werkzeug.secure_filename',
  'shlex.quote',
  'pipes.quote',
  'uuid.uuid4',
  'hashlib.sha256',
  'hashlib.md5',
  'hashlib.sha1',
  'html.escape',
  'markupsafe.escape',
  'bleach.clean',
]);

/** Method names that turn an LLM client or chain into a completion. */
const LLM_METHODS = new Set(['invoke', 'ainvoke', 'predict', 'apredict', 'run', 'arun', 'generate', 'agenerate', 'stream', 'call', '__call__', 'complete', 'chat']);
const LLM_CLIENT_CALLS = [/\.chat\.completions\.create$/, /\.completions\.create$/, /\.responses\.create$/, /\.messages\.create$/, /\.generate_content$/];
/**
 * Words one of which a file must contain for an LLM completion to be a source there (each LLM
 * source needs its library imported by name). Rules that only fire on LLM output list them in
 * `requires`, so files without any LLM library skip them.
 */
export const LLM_SOURCE_WORDS: readonly string[] = ['openai', 'anthropic', 'langchain', 'llama_index', 'generativeai', 'mistralai', 'cohere', 'groq', 'litellm', 'ollama', 'transformers'];

/** Words one of which a file must contain for any taint source to exist (frameworks and `input`). */
export const TAINT_SOURCE_WORDS: readonly string[] = [...LLM_SOURCE_WORDS, 'flask', 'fastapi', 'starlette', 'django', 'gradio', 'streamlit', 'input'];

const LLM_LIBRARIES = ['openai', 'anthropic', 'langchain', 'langchain_openai', 'langchain_anthropic', 'langchain_community', 'langchain_core', 'langchain_google_genai', 'llama_index', 'google.generativeai', 'mistralai', 'cohere', 'groq', 'litellm', 'ollama'];
/** Libraries whose import makes an LLM completion possible as a source (`transformers` pipelines too). */
const LLM_SOURCE_LIBRARIES = [...LLM_LIBRARIES, 'transformers'];

/** Attributes of a Starlette/FastAPI request object that the server, not the client, decides. */
const SERVER_SIDE_REQUEST_PARTS = new Set(['app', 'state', 'scope', 'url_for', 'client', 'base_url', 'auth', 'user', 'session', 'method', 'receive']);

/** True when `source` is the handler parameter `name` holding the request object itself. */
function isRequestParameter(source: Node, name: string): boolean {
  if (!['identifier', 'typed_parameter', 'default_parameter', 'typed_default_parameter'].includes(source.type)) return false;
  const paramName = source.type === 'identifier' ? source.text : (source.childForFieldName('name') ?? source.namedChildren.find((c) => c?.type === 'identifier'))?.text;
  if (paramName !== name) return false;
  const annotation = source.childForFieldName('type')?.text ?? '';
  return /\b(Request|WebSocket|HTTPConnection)$/.test(annotation) || (!annotation && /^(request|websocket)$/.test(name));
}

/** Mapping methods whose second argument is returned when the key is missing. */
const FALLBACK_METHODS = new Set(['get', 'pop', 'setdefault']);

/** Route decorator method names on FastAPI/Flask/Starlette app and router objects. */
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'delete', 'patch', 'route', 'api_route', 'websocket', 'options', 'head']);
const APP_CLASSES = new Set(['fastapi.FastAPI', 'fastapi.APIRouter', 'flask.Flask', 'flask.Blueprint', 'starlette.applications.Starlette', 'starlette.routing.Router']);
/** Gradio calls and event methods that register a Python function as the handler of user input. */
const GRADIO_CONSTRUCTORS = new Set(['gradio.Interface', 'gradio.ChatInterface']);
const GRADIO_EVENTS = new Set(['click', 'submit', 'change', 'upload', 'input', 'select', 'blur', 'release', 'stream']);

/** Starlette route objects whose endpoint receives the request. */
const STARLETTE_ROUTES = new Set(['starlette.routing.Route', 'starlette.routing.WebSocketRoute']);

/** gradio inputs whose value gradio checks or converts: choices and numbers. */
const GRADIO_CHOICE_COMPONENTS = new Set(['gradio.Dropdown', 'gradio.Radio', 'gradio.CheckboxGroup']);
const GRADIO_NUMERIC_COMPONENTS = new Set(['gradio.Checkbox', 'gradio.Slider', 'gradio.Number']);
/** gradio inputs that hand the function the path of an uploaded file. */
const GRADIO_FILE_COMPONENTS = new Set(['gradio.File', 'gradio.Files', 'gradio.UploadButton']);

const GRADIO_SHORTCUTS: Record<string, string> = {
  number: 'gradio.Number',
  slider: 'gradio.Slider',
  checkbox: 'gradio.Checkbox',
  file: 'gradio.File',
  files: 'gradio.Files',
};

function isValidatingComponent(component: string, call: Node | undefined): boolean {
  // `gr.State` holds a value kept on the server for the session, not something the browser sends.
  if (GRADIO_NUMERIC_COMPONENTS.has(component) || component === 'gradio.State') return true;
  if (!GRADIO_CHOICE_COMPONENTS.has(component)) return false;
  // `allow_custom_value=True` lets the user type anything into a dropdown.
  const custom = call?.childForFieldName('arguments')?.namedChildren.find(
    (a) => a?.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'allow_custom_value',
  );
  return !custom || custom.childForFieldName('value')?.type === 'false';
}

function isLibrary(qname: string | undefined, libs: readonly string[]): boolean {
  return !!qname && libs.some((l) => qname === l || qname.startsWith(l + '.'));
}

export class TaintTracker {
  private readonly memo = new Map<number, Taint | null>();
  /** def nodes (by id) whose parameters are user input, with a label for messages. */
  private readonly handlers = new Map<number, string>();
  /**
   * For gradio functions: the component feeding each parameter, by position (canonical name of
   * the component class, '' when it cannot be told). A function registered with different
   * components at the same position gets ''.
   */
  private readonly gradioInputs = new Map<number, { component: string; call?: Node }[]>();
  private handlersReady = false;

  constructor(private readonly index: ScopeIndex) {}

  /** The taint reaching `node` (evaluated in `scope`), if any. */
  taintOf(node: Node, scope: Scope, depth = 0): Taint | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const cached = this.memo.get(node.id);
    if (cached !== undefined) return cached ?? undefined;
    this.memo.set(node.id, null); // cycle guard
    const result = this.compute(node, scope, depth);
    this.memo.set(node.id, result ?? null);
    return result;
  }

  private compute(node: Node, scope: Scope, depth: number): Taint | undefined {
    switch (node.type) {
      case 'parenthesized_expression':
      case 'await':
      case 'expression_statement': {
        const inner = node.namedChild(0);
        return inner ? this.taintOf(inner, scope, depth + 1) : undefined;
      }
      case 'identifier':
        return this.identifier(node, scope, depth);
      case 'attribute': {
        const q = qualifiedName(node, scope);
        if (q) return this.qualifiedSource(q, node);
        const object = node.childForFieldName('object');
        const t = object ? this.taintOf(object, scope, depth + 1) : undefined;
        // `request.app.state.model`, `request.url_for(...)`: the server's side of a Starlette request.
        if (t && object?.type === 'identifier' && SERVER_SIDE_REQUEST_PARTS.has(node.childForFieldName('attribute')?.text ?? '') && isRequestParameter(t.source, object.text)) {
          return undefined;
        }
        const field = t && object?.type === 'identifier' && t.kind === 'request' ? this.pydanticField(object, node.childForFieldName('attribute')?.text ?? '', t) : t;
        // `if body.team not in TEAMS: raise ...` guards `body.team` as it guards a plain name.
        return field && isGuarded(node) ? undefined : field;
      }
      case 'subscript': {
        // The key does not flow: `ALLOWED_MODELS[name]` or `LABELS[i]` yields one of the container's
        // own values (a literal dict of constants stays clean), `request.form["x"]` is tainted
        // because `request.form` is.
        const value = node.childForFieldName('value');
        return value ? this.taintOf(value, scope, depth + 1) : undefined;
      }
      case 'call':
        return this.call(node, scope, depth);
      case 'binary_operator': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        return (left && this.taintOf(left, scope, depth + 1)) || (right && this.taintOf(right, scope, depth + 1)) || undefined;
      }
      case 'string':
        for (const child of node.namedChildren) {
          if (child?.type !== 'interpolation') continue;
          const expr = child.namedChild(0);
          const t = expr ? this.taintOf(expr, scope, depth + 1) : undefined;
          if (t) return t;
        }
        return undefined;
      case 'conditional_expression': {
        // `a if cond else b` yields a or b; the condition only picks one of them.
        const [then, , otherwise] = node.namedChildren;
        return (then && this.taintOf(then, scope, depth + 1)) || (otherwise && this.taintOf(otherwise, scope, depth + 1)) || undefined;
      }
      case 'concatenated_string':
      case 'list':
      case 'tuple':
      case 'boolean_operator':
      case 'expression_list':
        for (const child of node.namedChildren) {
          const t = child ? this.taintOf(child, scope, depth + 1) : undefined;
          if (t) return t;
        }
        return undefined;
      default:
        return undefined;
    }
  }

  /** `flask.request.args` and friends are sources by name. */
  private qualifiedSource(q: string, node: Node): Taint | undefined {
    if (q === FLASK_REQUEST || q.startsWith(FLASK_REQUEST + '.')) {
      const part = q.split('.')[2];
      if (!part || REQUEST_PARTS.has(part)) {
        return { kind: part === 'files' ? 'upload' : 'request', source: node, label: `the Flask \`request${part ? '.' + part : ''}\`` };
      }
    }
    return undefined;
  }

  private identifier(node: Node, scope: Scope, depth: number): Taint | undefined {
    const binding = scope.lookup(node.text, node.startIndex);
    if (!binding) return undefined;
    let taint: Taint | undefined;
    switch (binding.kind) {
      case 'assign':
        taint = this.taintOf(binding.value, binding.scope, depth + 1);
        break;
      case 'opaque':
        taint = binding.node ? this.opaque(binding.node, depth) : undefined;
        break;
      case 'import':
        taint = this.qualifiedSource(binding.qname, node);
        break;
      default:
        return undefined;
    }
    if (taint && isGuarded(node)) return undefined;
    return taint;
  }

  /** Parameters of handlers, loop variables over tainted data, `x += ...` and `with ... as x`. */
  private opaque(bound: Node, depth: number): Taint | undefined {
    const parent = bound.parent;
    if (parent?.type === 'for_statement' && parent.childForFieldName('left')?.equals(bound)) {
      const right = parent.childForFieldName('right');
      const scope = this.scopeOfNode(parent);
      return right && scope ? this.taintOf(right, scope, depth + 1) : undefined;
    }
    if (bound.type === 'augmented_assignment') {
      // `query += f" AND name = '{name}'"`: the new value carries the old one and the added part.
      const left = bound.childForFieldName('left');
      const right = bound.childForFieldName('right');
      const scope = this.scopeOfNode(bound) ?? this.index.module;
      return (right && this.taintOf(right, scope, depth + 1)) || (left ? this.previousValue(left, scope, depth) : undefined);
    }
    // `name, _, rest = reply.partition(":")`: each unpacked part holds what the value holds.
    let outer: Node | null = parent;
    while (outer && (outer.type === 'pattern_list' || outer.type === 'tuple_pattern' || outer.type === 'list_pattern')) outer = outer.parent;
    if (outer && outer !== parent && outer.type === 'assignment') {
      const right = outer.childForFieldName('right');
      return right ? this.taintOf(right, this.scopeOfNode(outer), depth + 1) : undefined;
    }
    // `with io.BytesIO(data) as buf:` holds what the expression holds.
    const withValue = withItemValue(bound);
    if (withValue) return this.taintOf(withValue, this.scopeOfNode(withValue), depth + 1);
    return this.parameter(bound);
  }

  /** The taint of `name` just before an augmented assignment to it rebinds it. */
  private previousValue(name: Node, scope: Scope, depth: number): Taint | undefined {
    if (name.type !== 'identifier') return undefined;
    const binding = scope.lookup(name.text, name.startIndex - 1);
    if (binding?.kind === 'assign') return this.taintOf(binding.value, binding.scope, depth + 1);
    if (binding?.kind === 'opaque' && binding.node && binding.node.startIndex < name.startIndex) return this.opaque(binding.node, depth + 1);
    return undefined;
  }

  private scopeOfNode(node: Node): Scope {
    return scopeAt(this.index, node.startIndex);
  }


  /** A parameter of a request handler or a gradio function is user input, unless its type validates it. */
  private parameter(param: Node): Taint | undefined {
    const params = param.parent;
    const fn = params?.parent;
    if (params?.type !== 'parameters' || !fn || fn.type !== 'function_definition') return undefined;
    const name = (param.type === 'identifier' ? param : param.childForFieldName('name') ?? param.namedChildren.find((c) => c?.type === 'identifier'))?.text;
    if (!name || name === 'self' || name === 'cls') return undefined;
    const fnScope = this.scopeOfNode(fn) ?? this.index.module;
    const annotation = param.childForFieldName('type');
    const typeText = annotation?.text ?? '';
    const handler = this.handlerLabel(fn, fnScope);
    if (!handler) return undefined;
    // Defaults like Depends(...) are injected by the framework, not sent by the client.
    const dflt = param.childForFieldName('value');
    if (dflt?.type === 'call' && /(^|\.)(Depends|Security)$/.test(dflt.childForFieldName('function')?.text ?? '')) return undefined;
    if (annotation && this.validatingType(annotation, fnScope)) return undefined;
    let upload = /\bUploadFile\b|\bFile\b/.test(typeText);
    if (handler.includes('gradio')) {
      const position = params.namedChildren.filter((p) => p !== null && p.type !== 'comment').findIndex((p) => p!.equals(param));
      const input = this.gradioInputs.get(fn.id)?.[position];
      if (input && isValidatingComponent(input.component, input.call)) return undefined;
      if (input && GRADIO_FILE_COMPONENTS.has(input.component)) upload = true;
    }
    return {
      kind: upload ? 'upload' : handler.includes('gradio') ? 'ui-input' : 'request',
      source: param,
      label: `${handler} parameter \`${name}\``,
    };
  }

  /** Types that validate what the client sends: numbers, booleans, Literal, Enum and pattern-constrained strings. */
  private validatingType(annotation: Node, scope: Scope): boolean {
    const text = annotation.text.replace(/\s+/g, '');
    if (/^(int|float|bool|complex|datetime\.\w+|date|UUID|uuid\.UUID|PositiveInt|NonNegativeInt|conint\(.*\)|confloat\(.*\))$/.test(text)) return true;
    if (/^(typing\.)?Literal\[/.test(text)) return true;
    // A string constrained to a pattern: `constr(pattern=...)`, `Annotated[str, StringConstraints(pattern=...)]`.
    if (/pattern=|regex=/.test(text) && /constr|StringConstraints|Field/.test(text)) return true;
    const inner = annotation.namedChild(0) ?? annotation;
    const v = valueOf(inner, scope);
    return v.kind === 'class' && this.classKind(v.node, v.scope, 0) === 'enum';
  }

  /** Whether a class of this file is an Enum or a pydantic model (through its bases). */
  private classKind(cls: Node, scope: Scope, depth: number): 'enum' | 'pydantic' | undefined {
    if (depth > 6) return undefined;
    for (const base of cls.childForFieldName('superclasses')?.namedChildren ?? []) {
      if (!base) continue;
      const v = valueOf(base, scope);
      if (v.kind === 'ref' && (v.qname === 'enum.Enum' || v.qname.startsWith('enum.'))) return 'enum';
      if (v.kind === 'ref' && (v.qname.startsWith('pydantic.') || v.qname.startsWith('sqlmodel.'))) return 'pydantic';
      if (v.kind === 'class') {
        const k = this.classKind(v.node, v.scope, depth + 1);
        if (k) return k;
      }
    }
    return undefined;
  }

  /**
   * `body.field` where `body` is a request parameter typed with a pydantic model: the field's own
   * declared type decides (numbers, booleans, Literal, Enum and pattern-constrained strings are
   * validated; `str`, `bytes`, `Any`, containers and nested models still carry the client's data).
   */
  private pydanticField(object: Node, field: string, taint: Taint): Taint | undefined {
    const param = taint.source;
    if (param.parent?.type !== 'parameters' || (param.childForFieldName('name') ?? param.namedChild(0))?.text !== object.text) return taint;
    const annotation = param.childForFieldName('type');
    const fnScope = this.scopeOfNode(param.parent);
    const inner = annotation?.namedChild(0) ?? annotation;
    const v = inner ? valueOf(inner, fnScope) : undefined;
    if (v?.kind !== 'class' || this.classKind(v.node, v.scope, 0) !== 'pydantic') return taint;
    const declared = this.fieldType(v.node, v.scope, field, 0);
    if (declared && (this.validatingType(declared.type, declared.scope) || /\b(Field|constr)\([^)]*\b(pattern|regex)\s*=/.test(declared.value?.text ?? ''))) return undefined;
    return { ...taint, label: `${taint.label.replace(/ parameter `[^`]+`$/, '')} body field \`${object.text}.${field}\`` };
  }

  /** The annotation of `field` in a class body or its bases (pydantic fields are annotated assignments). */
  private fieldType(cls: Node, scope: Scope, field: string, depth: number): { type: Node; scope: Scope; value?: Node } | undefined {
    if (depth > 6) return undefined;
    for (const stmt of cls.childForFieldName('body')?.namedChildren ?? []) {
      const assign = stmt?.type === 'expression_statement' ? stmt.namedChild(0) : null;
      if (assign?.type !== 'assignment' || assign.childForFieldName('left')?.text !== field) continue;
      const type = assign.childForFieldName('type');
      if (type) return { type, scope, value: assign.childForFieldName('right') ?? undefined };
    }
    for (const base of cls.childForFieldName('superclasses')?.namedChildren ?? []) {
      const v = base ? valueOf(base, scope) : undefined;
      if (v?.kind === 'class') {
        const found = this.fieldType(v.node, v.scope, field, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  }

  /** "the FastAPI route" / "the gradio function" when `fn` handles user input, else undefined. */
  private handlerLabel(fn: Node, scope: Scope): string | undefined {
    const decorated = fn.parent?.type === 'decorated_definition' ? fn.parent : undefined;
    for (const dec of decorated?.namedChildren ?? []) {
      if (dec?.type !== 'decorator') continue;
      const call = dec.namedChild(0);
      const callee = call?.type === 'call' ? call.childForFieldName('function') : call;
      if (callee?.type !== 'attribute') continue;
      const method = callee.childForFieldName('attribute')?.text;
      const object = callee.childForFieldName('object');
      if (!method || !object || !ROUTE_METHODS.has(method)) continue;
      const cls = this.instanceClass(object, scope);
      if (cls && APP_CLASSES.has(cls)) return cls.startsWith('flask') ? 'the Flask route' : cls.startsWith('fastapi') ? 'the FastAPI route' : 'the Starlette route';
    }
    this.collectHandlers();
    return this.handlers.get(fn.id);
  }

  /** The class an expression is an instance of, when it is a name bound to a constructor call. */
  private instanceClass(node: Node, scope: Scope): string | undefined {
    let expr: Node = node;
    let s: Scope = scope;
    for (let i = 0; i < 6 && expr.type === 'identifier'; i++) {
      const b = s.lookup(expr.text, expr.startIndex);
      if (b?.kind !== 'assign') return undefined;
      expr = b.value;
      s = b.scope;
    }
    if (expr.type !== 'call') return undefined;
    const fn = expr.childForFieldName('function');
    return fn ? qualifiedName(fn, s) : undefined;
  }

  /** Finds the functions registered with gradio (`gr.Interface(fn=f)`, `button.click(f, ...)`). */
  private collectHandlers(): void {
    if (this.handlersReady) return;
    this.handlersReady = true;
    for (const { node, scope } of this.index.calls) {
      const callee = node.childForFieldName('function');
      const args = node.childForFieldName('arguments');
      if (!callee || !args) continue;
      let registered: 'gradio' | 'starlette' | undefined;
      const q = qualifiedName(callee, scope);
      if (q && GRADIO_CONSTRUCTORS.has(q)) registered = 'gradio';
      else if (q && STARLETTE_ROUTES.has(q)) registered = 'starlette';
      else if (callee.type === 'attribute' && GRADIO_EVENTS.has(callee.childForFieldName('attribute')?.text ?? '')) {
        const object = callee.childForFieldName('object');
        const cls = object ? this.instanceClass(object, scope) : undefined;
        if (cls?.startsWith('gradio.')) registered = 'gradio';
      }
      if (!registered) continue;
      const positional = args.namedChildren.filter((a): a is Node => a !== null && a.type !== 'keyword_argument' && a.type !== 'comment');
      const keyword = (name: string) =>
        args.namedChildren.find((a) => a?.type === 'keyword_argument' && a.childForFieldName('name')?.text === name)?.childForFieldName('value') ?? undefined;
      // gradio: fn first; Starlette: `Route(path, endpoint)`.
      const fnArg = registered === 'gradio' ? (keyword('fn') ?? positional[0]) : (keyword('endpoint') ?? positional[1]);
      if (fnArg?.type !== 'identifier') continue;
      const b = scope.lookup(fnArg.text, fnArg.startIndex) ?? this.index.module.own(fnArg.text, undefined);
      if (b?.kind !== 'def') continue;
      if (registered === 'starlette') {
        this.handlers.set(b.node.id, 'the Starlette route');
        continue;
      }
      this.handlers.set(b.node.id, 'the gradio function');
      // `inputs` is the second positional argument of gr.Interface and of event listeners.
      const inputsArg = keyword('inputs') ?? (q && GRADIO_CONSTRUCTORS.has(q) && q !== 'gradio.Interface' ? undefined : positional[1]);
      const inputs = inputsArg ? this.gradioComponents(inputsArg, scope) : [];
      const known = this.gradioInputs.get(b.node.id);
      if (!known) this.gradioInputs.set(b.node.id, inputs);
      else {
        const merged = known.map((c, i) => (inputs[i] && inputs[i].component === c.component ? c : { component: '' }));
        this.gradioInputs.set(b.node.id, merged);
      }
    }
  }

  /** The components listed as a gradio function's inputs, in order. */
  private gradioComponents(inputs: Node, scope: Scope): { component: string; call?: Node }[] {
    if (inputs.type === 'set' || inputs.type === 'dictionary') return [];
    const items = inputs.type === 'list' || inputs.type === 'tuple' ? inputs.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment') : [inputs];
    return items.map((item) => {
      let expr: Node = item;
      let s: Scope = scope;
      for (let i = 0; i < 4 && expr.type === 'identifier'; i++) {
        const bound = s.lookup(expr.text, expr.startIndex) ?? this.index.module.own(expr.text, undefined);
        if (bound?.kind !== 'assign') break;
        expr = bound.value;
        s = bound.scope;
      }
      // String shortcuts: `gr.Interface(fn, "number", "text")`.
      const shortcut = expr.type === 'string' ? GRADIO_SHORTCUTS[expr.text.slice(1, -1).toLowerCase()] : undefined;
      if (shortcut) return { component: shortcut };
      if (expr.type !== 'call') return { component: '' };
      const fn = expr.childForFieldName('function');
      const component = fn ? qualifiedName(fn, s)?.replace(/^gradio\.(components|inputs)\./, 'gradio.') : undefined;
      return component?.startsWith('gradio.') ? { component, call: expr } : { component: '' };
    });
  }

  private call(node: Node, scope: Scope, depth: number): Taint | undefined {
    const callee = node.childForFieldName('function');
    if (!callee) return undefined;
    const q = qualifiedName(callee, scope);
    if (q) {
      const source = SOURCE_CALLS[q];
      if (source) return { ...source, source: node };
      if (SANITIZERS.has(q)) return undefined;
      const attrSource = this.qualifiedSource(q, node);
      if (attrSource) return attrSource;
    }
    if (this.isLlmCall(callee, scope, q)) return { kind: 'llm-output', source: node, label: 'an LLM completion' };
    // A helper defined in this file that returns untrusted data (`def ask(q): ... return
    // resp.choices[0].message.content`): its callers receive it. Parameters are not mapped to
    // arguments, so only data the helper fetches itself flows out.
    if (callee.type === 'identifier') {
      const b = scope.lookup(callee.text, callee.startIndex);
      if (b?.kind === 'def') {
        const t = this.returnedTaint(b.node, depth);
        if (t) return t;
      }
    }
    const args = node.childForFieldName('arguments');
    const argTaint = (): Taint | undefined => {
      for (const a of args?.namedChildren ?? []) {
        if (!a) continue;
        const value = a.type === 'keyword_argument' ? a.childForFieldName('value') : a.type === 'list_splat' || a.type === 'dictionary_splat' ? a.namedChild(0) : a;
        const t = value ? this.taintOf(value, scope, depth + 1) : undefined;
        if (t) return t;
      }
      return undefined;
    };
    if (q && PASS_THROUGH.has(q)) return argTaint();
    if (callee.type === 'attribute') {
      const object = callee.childForFieldName('object');
      const method = callee.childForFieldName('attribute')?.text ?? '';
      if (object) {
        // `"...".format(x)`, `" ".join(parts)`: a constant template filled with tainted values.
        if ((object.type === 'string' || object.type === 'concatenated_string') && (method === 'format' || method === 'join' || method === 'replace')) {
          return argTaint();
        }
        // A method of a tainted value returns tainted data (`upload.read()`, `text.strip()`).
        const t = q ? undefined : this.taintOf(object, scope, depth + 1);
        if (t) return t;
        // `ALLOWED.get(name, name)`: a lookup in a clean mapping returns its fallback when the key is missing.
        if (!q && FALLBACK_METHODS.has(method)) {
          const items = args?.namedChildren.filter((a): a is Node => a !== null && a.type !== 'comment') ?? [];
          const fallback =
            items.filter((a) => a.type !== 'keyword_argument')[1] ??
            items.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'default')?.childForFieldName('value');
          return fallback ? this.taintOf(fallback, scope, depth + 1) : undefined;
        }
      }
    }
    return undefined;
  }

  /** The taint of what a function of this file returns (its own return statements, not nested defs). */
  private returnedTaint(fn: Node, depth: number): Taint | undefined {
    const body = fn.childForFieldName('body');
    if (!body) return undefined;
    for (const ret of body.descendantsOfType('return_statement')) {
      if (!ret) continue;
      let owner = ret.parent;
      while (owner && owner.type !== 'function_definition' && owner.type !== 'lambda') owner = owner.parent;
      if (!owner?.equals(fn)) continue;
      const value = ret.namedChild(0);
      const t = value ? this.taintOf(value, this.scopeOfNode(value), depth + 1) : undefined;
      if (t) return t;
    }
    return undefined;
  }

  /** Completions of LLM clients, chains and text-generation pipelines. */
  private isLlmCall(callee: Node, scope: Scope, q: string | undefined): boolean {
    const text = callee.text.replace(/\s+/g, '');
    if (LLM_CLIENT_CALLS.some((re) => re.test(text))) {
      let root: Node | null = callee;
      while (root && root.type === 'attribute') root = root.childForFieldName('object');
      if (!root) return false;
      if (root.type === 'identifier') {
        const cls = this.instanceClass(root, scope);
        const rootQ = qualifiedName(root, scope);
        return isLibrary(cls, LLM_LIBRARIES) || isLibrary(rootQ, LLM_LIBRARIES);
      }
      if (root.type === 'call') {
        const fn = root.childForFieldName('function');
        return isLibrary(fn ? qualifiedName(fn, scope) : undefined, LLM_LIBRARIES);
      }
      return false;
    }
    if (callee.type === 'attribute') {
      const method = callee.childForFieldName('attribute')?.text ?? '';
      const object = callee.childForFieldName('object');
      if (!LLM_METHODS.has(method) || !object) return false;
      return isLibrary(this.chainClass(object, scope), LLM_LIBRARIES);
    }
    if (callee.type === 'identifier' && !q) {
      // `generator = pipeline("text-generation", ...)` then `generator(prompt)`
      const cls = this.instanceClass(callee, scope);
      return cls === 'transformers.pipeline';
    }
    return false;
  }

  /** The library class behind a chain like `prompt | llm` or `ChatOpenAI(...)`. */
  private chainClass(node: Node, scope: Scope, depth = 0): string | undefined {
    if (depth > 6) return undefined;
    if (node.type === 'binary_operator' && node.childForFieldName('operator')?.type === '|') {
      const right = node.childForFieldName('right');
      const left = node.childForFieldName('left');
      return (right && this.chainClass(right, scope, depth + 1)) ?? (left ? this.chainClass(left, scope, depth + 1) : undefined);
    }
    if (node.type === 'identifier') {
      const b = scope.lookup(node.text, node.startIndex);
      if (b?.kind === 'assign') return this.chainClass(b.value, b.scope, depth + 1);
      return undefined;
    }
    if (node.type === 'call') {
      const fn = node.childForFieldName('function');
      const q = fn ? qualifiedName(fn, scope) : undefined;
      if (isLibrary(q, LLM_LIBRARIES)) return q;
      // `ChatOpenAI(...).bind(...)`, `llm.with_structured_output(...)`
      if (fn?.type === 'attribute') {
        const object = fn.childForFieldName('object');
        return object ? this.chainClass(object, scope, depth + 1) : undefined;
      }
    }
    return undefined;
  }
}

/**
 * True when the use of a name is protected by an allow-list check: it sits inside
 * `if name in ALLOWED:`, or an earlier `if name not in ALLOWED:` in the same block (or an
 * enclosing one) leaves by `return`, `raise`, `continue`, `break` or `abort(...)`.
 */
export function isGuarded(use: Node): boolean {
  const name = use.text;
  let child: Node = use;
  for (let node = use.parent; node; child = node, node = node.parent) {
    if (node.type === 'function_definition' || node.type === 'module') break;
    if (node.type === 'if_statement') {
      const cond = node.childForFieldName('condition');
      const body = node.childForFieldName('consequence');
      if (cond && body && body.startIndex <= child.startIndex && child.endIndex <= body.endIndex && membership(cond, name, false)) return true;
    }
    if (node.type === 'block' || node.type === 'module') {
      for (const stmt of node.namedChildren) {
        if (!stmt || stmt.startIndex >= child.startIndex) break;
        if (stmt.type !== 'if_statement') continue;
        const cond = stmt.childForFieldName('condition');
        const body = stmt.childForFieldName('consequence');
        if (cond && body && membership(cond, name, true) && exits(body)) return true;
      }
    }
  }
  return false;
}

/** `name in X` (negated=false) or `name not in X` / `not name in X` (negated=true). */
function membership(cond: Node, name: string, negated: boolean): boolean {
  let c = cond;
  let neg = false;
  if (c.type === 'not_operator') {
    const arg = c.childForFieldName('argument');
    if (!arg) return false;
    c = arg;
    neg = true;
  }
  if (c.type === 'parenthesized_expression' && c.namedChild(0)) c = c.namedChild(0)!;
  if (c.type !== 'comparison_operator') return false;
  const ops = c.children.filter((x) => x && !x.isNamed).map((x) => x!.type);
  const left = c.namedChild(0);
  if (left?.text !== name) return false;
  if (ops.includes('not in')) return negated !== neg;
  if (ops.includes('in')) return negated === neg;
  return false;
}

/** True when a block always leaves: return, raise, continue, break, `abort(...)` or `exit(...)`. */
export function exits(block: Node): boolean {
  const last = block.namedChildren.filter((x): x is Node => x !== null && x.type !== 'comment').pop();
  if (!last) return false;
  if (last.type === 'return_statement' || last.type === 'raise_statement' || last.type === 'continue_statement' || last.type === 'break_statement') return true;
  if (last.type === 'expression_statement') {
    const call = last.namedChild(0);
    const fn = call?.type === 'call' ? call.childForFieldName('function')?.text : undefined;
    return !!fn && /(^|\.)(abort|exit|sys\.exit)$/.test(fn);
  }
  return false;
}
