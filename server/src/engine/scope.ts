/**
 * Name resolution for Python source: which import, assignment, definition or parameter a name
 * refers to at a given point.
 *
 * One query pass over the tree builds the scopes (module, def, lambda, class, comprehension) and records
 * every binding with the offset from which it is visible. Lookups follow Python's rules closely
 * enough for a linter:
 * - inside one scope, the binding in force is the last one that ends before the use (source order),
 *   so `def load(...)` or `load = json.load` after `from pickle import load` shadows the import
 *   from there on;
 * - a function body runs after its module has finished loading, so free names in a `def` or
 *   `lambda` see the enclosing scope's final binding;
 * - class bodies are not visible from the methods defined inside them.
 */
import { Query, type Language } from 'web-tree-sitter';
import type { Node, Tree } from './parser';
import { canonicalName, wildcardExports } from './modules';

export type Binding =
  /** `import a.b as c` / `from a import b`: the qualified name it stands for. */
  | { kind: 'import'; qname: string }
  /** `x = value` (also walrus and tuple unpacking of literal tuples). */
  | { kind: 'assign'; value: Node; scope: Scope }
  | { kind: 'def'; node: Node }
  | { kind: 'class'; node: Node; scope: Scope }
  /** Parameters, loop targets, `with ... as x`, `except ... as e`, relative imports and the like. */
  | { kind: 'opaque'; node: Node | null };

interface Entry {
  /** The binding is visible to uses at or after this offset (within its own scope). */
  from: number;
  binding: Binding;
}

export type ScopeKind = 'module' | 'function' | 'class' | 'comprehension';

export class Scope {
  private readonly table = new Map<string, Entry[]>();
  /**
   * Names bound by an import or an assignment in any scope of the module (shared by all its
   * scopes): only such a name, or a builtin, can stand for a library function when called.
   */
  readonly valueNames: Set<string>;
  constructor(
    readonly kind: ScopeKind,
    readonly parent: Scope | null,
    readonly node: Node,
  ) {
    this.valueNames = parent ? parent.valueNames : new Set();
  }

  bind(name: string, from: number, binding: Binding): void {
    let list = this.table.get(name);
    if (!list) this.table.set(name, (list = []));
    // Entries stay in source order: a binding visible from the start of the scope (a parameter,
    // bound on first lookup after the body's own bindings) goes first.
    if (from < 0) list.unshift({ from, binding });
    else list.push({ from, binding });
    if (binding.kind === 'import' || binding.kind === 'assign') this.valueNames.add(name);
  }

  /** Binds the parameters of a function scope on its first lookup (most functions are never looked into). */
  deferred?: () => void;

  /** The binding of `name` visible at `offset` (in source order), or the final one when `offset` is undefined. */
  own(name: string, offset: number | undefined): Binding | undefined {
    if (this.deferred) {
      const bindParameters = this.deferred;
      this.deferred = undefined;
      bindParameters();
    }
    const list = this.table.get(name);
    if (!list) return undefined;
    if (offset === undefined) return list[list.length - 1].binding;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].from <= offset) return list[i].binding;
    }
    return undefined;
  }

  /**
   * Resolves `name` used at `offset` in this scope. Returns `undefined` for an unbound name (a
   * builtin, or something the file does not define).
   */
  lookup(name: string, offset: number): Binding | undefined {
    let scope: Scope | null = this;
    let at: number | undefined = offset;
    let first = true;
    while (scope) {
      if (first || scope.kind !== 'class') {
        const found = scope.own(name, at);
        if (found) return found;
      }
      // Leaving a function body: its free names are looked up when it runs, after the enclosing
      // scope has finished; leaving a comprehension keeps the position (it runs in place).
      if (scope.kind === 'function') at = undefined;
      first = false;
      scope = scope.parent;
    }
    return undefined;
  }
}

export interface ScopeIndex {
  module: Scope;
  /** Every call expression with the scope it appears in, in source order. */
  calls: { node: Node; scope: Scope }[];
  /** ERROR and MISSING nodes left by tree-sitter's error recovery. */
  errors: Node[];
  /** Regions of source text with their own scope (bodies of defs, lambdas, classes; comprehensions). */
  regions: Region[];
  /** Canonical names of everything imported anywhere in the file (`pickle.load`, `gradio`, `flask.request`). */
  imports: string[];
  /** The nodes of the types asked for in `ScopeOptions.nodes`, in source order. */
  nodes: Node[];
  /** The nodes captured by `ScopeOptions.patterns`, by capture name, in source order. */
  patternNodes: Map<string, Node[]>;
}

/** The innermost scope holding `offset` (for nodes found outside the builder's pass). */
export function scopeAt(index: ScopeIndex, offset: number): Scope {
  // Regions are recorded in order of their start and are nested or disjoint, so the innermost one
  // holding `offset` is the first holding it when walking back from the last that starts before it.
  const regions = index.regions;
  let lo = 0;
  let hi = regions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (regions[mid].start <= offset) lo = mid + 1;
    else hi = mid - 1;
  }
  for (let i = hi; i >= 0; i--) if (offset < regions[i].end) return regions[i].scope;
  return index.module;
}

/**
 * The nodes the scope builder needs, captured in one native query pass instead of a JavaScript
 * walk over every node (several times faster on large files).
 */
const CALL_PATTERN = '(call) @call';
const QUERY_SOURCE = `
(import_statement) @import
(import_from_statement) @from
(assignment) @assign
(augmented_assignment) @aug
(named_expression) @walrus
(for_statement) @for
(for_in_clause) @forin
(as_pattern) @as
(function_definition) @def
(class_definition) @class
(lambda) @lambda
[(list_comprehension) (set_comprehension) (dictionary_comprehension) (generator_expression)] @comp
`;

/**
 * Syntax errors, in a query of their own run only on trees that have some: the ERROR and MISSING
 * patterns make the main query slower to compile (which the first analysis waits for) and to run.
 */
const ERROR_QUERY_SOURCE = '(ERROR) @error\n(MISSING) @error';
const errorQueries = new WeakMap<Language, Query>();

/** The builder's query per grammar and variant (with or without calls, plus the rules' own patterns). */
const queries = new WeakMap<Language, Map<string, Query>>();

function queryFor(language: Language, calls: boolean, patterns: string): Query {
  let byKey = queries.get(language);
  if (!byKey) queries.set(language, (byKey = new Map()));
  const key = `${calls}\n${patterns}`;
  let q = byKey.get(key);
  if (!q) byKey.set(key, (q = new Query(language, `${calls ? CALL_PATTERN : ''}\n${QUERY_SOURCE}\n${patterns}`)));
  return q;
}

/** Node types the scope builder's pass sees anyway; rules asking for them get them from `ScopeIndex.nodes`. */
export const CAPTURED_NODE_TYPES: ReadonlySet<string> = new Set(['call', 'assignment']);

export interface ScopeOptions {
  /**
   * Collect every call (`ScopeIndex.calls`); default true. Calls are most of the captures, and a
   * file whose triggered rules look at no call (only at strings, say) does not need them.
   */
  calls?: boolean;
  /** Of `CAPTURED_NODE_TYPES`, the types to keep in `ScopeIndex.nodes` (in source order). */
  nodes?: readonly string[];
  /**
   * More tree-sitter patterns to match in the same pass, by capture name (a rule id): the nodes
   * they capture end up in `ScopeIndex.patternNodes` under that name.
   */
  patterns?: ReadonlyMap<string, string>;
}

/** A region of source text evaluated in one scope (a def body, a comprehension). */
export interface Region {
  start: number;
  end: number;
  scope: Scope;
}

/** Builds the scopes and bindings of a parsed module and collects calls and syntax errors. */
export function buildScopes(tree: Tree, options: ScopeOptions = {}): ScopeIndex {
  const root = tree.rootNode;
  const module = new Scope('module', null, root);
  const index: ScopeIndex = { module, calls: [], errors: [], regions: [], imports: [], nodes: [], patternNodes: new Map() };
  let patterns = '';
  for (const [name, source] of options.patterns ?? []) {
    index.patternNodes.set(name, []);
    patterns += `${source.replace(/@node\b/g, `@${name}`)}\n`;
  }
  const builder = new Builder(index);
  const stack: Region[] = [{ start: 0, end: Infinity, scope: module }];
  const keepCalls = options.nodes?.includes('call') ?? false;
  const keepAssignments = options.nodes?.includes('assignment') ?? false;
  // Captures come in source order; each is handled in the innermost region holding its start.
  for (const { name, node } of queryFor(tree.language, options.calls ?? true, patterns).captures(root)) {
    if ((keepCalls && name === 'call') || (keepAssignments && name === 'assign')) index.nodes.push(node);
    const own = patterns ? index.patternNodes.get(name) : undefined;
    if (own) {
      own.push(node);
      continue;
    }
    const at = node.startIndex;
    while (stack.length > 1 && stack[stack.length - 1].end <= at) stack.pop();
    let i = stack.length - 1;
    while (i > 0 && stack[i].start > at) i--;
    const region = builder.handle(name, node, stack[i].scope);
    if (region) {
      stack.push(region);
      index.regions.push(region);
    }
  }
  if (root.hasError) {
    let q = errorQueries.get(tree.language);
    if (!q) errorQueries.set(tree.language, (q = new Query(tree.language, ERROR_QUERY_SOURCE)));
    for (const { node } of q.captures(root)) index.errors.push(node);
  }
  // A lambda in a default value opens its region before the body of its def: keep them by start.
  index.regions.sort((a, b) => a.start - b.start);
  return index;
}

class Builder {
  constructor(private readonly index: ScopeIndex) {}

  /** Records what `node` binds in `scope`; returns the region of a new scope it opens. */
  handle(capture: string, node: Node, scope: Scope): Region | undefined {
    switch (capture) {
      case 'call':
        this.index.calls.push({ node, scope });
        return undefined;
      case 'error':
        this.index.errors.push(node);
        return undefined;
      case 'import':
        this.importStatement(node, scope);
        return undefined;
      case 'from':
        this.importFrom(node, scope);
        return undefined;
      case 'assign':
        this.assignment(node, scope);
        return undefined;
      case 'aug': {
        const left = node.childForFieldName('left');
        if (left?.type === 'identifier') scope.bind(left.text, node.endIndex, { kind: 'opaque', node });
        return undefined;
      }
      case 'walrus': {
        const name = node.childForFieldName('name');
        const value = node.childForFieldName('value');
        if (name && value) scope.bind(name.text, node.endIndex, { kind: 'assign', value, scope });
        return undefined;
      }
      case 'for':
      case 'forin': {
        const left = node.childForFieldName('left');
        // A loop variable is visible in the loop body; a comprehension's variable in the whole
        // comprehension, including the element expression written before the `for`.
        if (left) this.bindTargets(left, scope, capture === 'for' ? node.startIndex : -1);
        return undefined;
      }
      case 'as': {
        // `with x as y`, `except E as e`, `case P as name`
        const alias = node.childForFieldName('alias');
        if (alias) this.bindTargets(alias, scope, node.endIndex);
        return undefined;
      }
      case 'def':
      case 'lambda': {
        const inner = new Scope('function', scope, node);
        inner.deferred = () => {
          const params = node.childForFieldName('parameters');
          if (params) this.parameters(params, inner);
        };
        const name = capture === 'def' ? node.childForFieldName('name') : null;
        if (name) scope.bind(name.text, node.endIndex, { kind: 'def', node });
        // Defaults, annotations and decorators belong to the enclosing scope: only the body is inside.
        const body = node.childForFieldName('body');
        return body ? { start: body.startIndex, end: body.endIndex, scope: inner } : undefined;
      }
      case 'class': {
        const name = node.childForFieldName('name');
        if (name) scope.bind(name.text, node.endIndex, { kind: 'class', node, scope });
        const body = node.childForFieldName('body');
        return body ? { start: body.startIndex, end: body.endIndex, scope: new Scope('class', scope, node) } : undefined;
      }
      case 'comp':
        return { start: node.startIndex, end: node.endIndex, scope: new Scope('comprehension', scope, node) };
      default:
        return undefined;
    }
  }

  private importStatement(node: Node, scope: Scope): void {
    const at = node.endIndex;
    for (const item of node.childrenForFieldName('name')) {
      if (item.type === 'dotted_name') {
        // `import a.b.c` binds `a`, which refers to module `a`.
        const first = item.namedChild(0)?.text;
        if (first) scope.bind(first, at, { kind: 'import', qname: canonicalName(first) });
        this.index.imports.push(canonicalName(item.text.replace(/\s+/g, '')));
      } else if (item.type === 'aliased_import') {
        const name = item.childForFieldName('name')?.text;
        const alias = item.childForFieldName('alias')?.text;
        if (name && alias) scope.bind(alias, at, { kind: 'import', qname: canonicalName(name) });
        if (name) this.index.imports.push(canonicalName(name.replace(/\s+/g, '')));
      }
    }
  }

  private importFrom(node: Node, scope: Scope): void {
    const at = node.endIndex;
    const moduleNode = node.childForFieldName('module_name');
    const relative = !moduleNode || moduleNode.type === 'relative_import';
    const moduleName = relative ? undefined : moduleNode.text.replace(/\s+/g, '');
    for (const item of node.childrenForFieldName('name')) {
      let name: string | undefined;
      let alias: string | undefined;
      if (item.type === 'dotted_name') {
        name = item.text;
        alias = item.text;
      } else if (item.type === 'aliased_import') {
        name = item.childForFieldName('name')?.text;
        alias = item.childForFieldName('alias')?.text;
      }
      if (!name || !alias) continue;
      if (moduleName) this.index.imports.push(canonicalName(`${moduleName}.${name}`));
      scope.bind(
        alias,
        at,
        moduleName ? { kind: 'import', qname: canonicalName(`${moduleName}.${name}`) } : { kind: 'opaque', node },
      );
    }
    if (moduleName && node.children.some((c) => c?.type === 'wildcard_import')) {
      this.index.imports.push(canonicalName(moduleName));
      for (const exported of wildcardExports(moduleName)) {
        scope.bind(exported, at, { kind: 'import', qname: canonicalName(`${moduleName}.${exported}`) });
      }
    }
  }

  private assignment(node: Node, scope: Scope): void {
    const at = node.endIndex;
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (!left) return;
    if (left.type === 'identifier') {
      // `x: int` (no value) declares without binding.
      if (!right) return;
      // `a = b = value`: both names get the innermost value.
      let value: Node = right;
      while (value.type === 'assignment') {
        const inner = value.childForFieldName('right');
        if (!inner) break;
        value = inner;
      }
      scope.bind(left.text, at, { kind: 'assign', value, scope });
      return;
    }
    if ((left.type === 'pattern_list' || left.type === 'tuple_pattern') && right) {
      const targets = left.namedChildren.filter((c): c is Node => c !== null);
      const values =
        right.type === 'expression_list' || right.type === 'tuple'
          ? right.namedChildren.filter((c): c is Node => c !== null)
          : [];
      if (values.length === targets.length) {
        targets.forEach((target, i) => {
          if (target.type === 'identifier') scope.bind(target.text, at, { kind: 'assign', value: values[i], scope });
          else this.bindTargets(target, scope, at);
        });
        return;
      }
    }
    this.bindTargets(left, scope, at);
  }

  /** Binds every identifier of an assignment target as opaque (attributes and subscripts bind nothing). */
  private bindTargets(target: Node, scope: Scope, at: number): void {
    if (target.type === 'identifier') {
      scope.bind(target.text, at, { kind: 'opaque', node: target });
      return;
    }
    if (target.type === 'attribute' || target.type === 'subscript') return;
    for (const child of target.namedChildren) if (child) this.bindTargets(child, scope, at);
  }

  /** Binds parameters in the function's own scope (visible throughout its body). */
  private parameters(params: Node, inner: Scope): void {
    for (const param of params.namedChildren) {
      if (!param) continue;
      let nameNode: Node | null = null;
      switch (param.type) {
        case 'identifier':
          nameNode = param;
          break;
        case 'typed_parameter':
        case 'list_splat_pattern':
        case 'dictionary_splat_pattern':
          nameNode = param.namedChildren.find((c) => c?.type === 'identifier') ?? null;
          break;
        case 'default_parameter':
        case 'typed_default_parameter':
          nameNode = param.childForFieldName('name');
          break;
        default:
          break;
      }
      if (nameNode) inner.bind(nameNode.text, -1, { kind: 'opaque', node: param });
    }
  }
}
