/**
 * Name resolution for Python source: which import, assignment, definition or parameter a name
 * refers to at a given point.
 *
 * One pass over the tree builds the scopes (module, def, lambda, class, comprehension) and records
 * every binding with the offset from which it is visible. Lookups follow Python's rules closely
 * enough for a linter:
 * - inside one scope, the binding in force is the last one that ends before the use (source order),
 *   so `def load(...)` or `load = json.load` after `from pickle import load` shadows the import
 *   from there on;
 * - a function body runs after its module has finished loading, so free names in a `def` or
 *   `lambda` see the enclosing scope's final binding;
 * - class bodies are not visible from the methods defined inside them.
 */
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
  constructor(
    readonly kind: ScopeKind,
    readonly parent: Scope | null,
    readonly node: Node,
  ) {}

  bind(name: string, from: number, binding: Binding): void {
    let list = this.table.get(name);
    if (!list) this.table.set(name, (list = []));
    list.push({ from, binding });
  }

  /** The binding of `name` visible at `offset` (in source order), or the final one when `offset` is undefined. */
  own(name: string, offset: number | undefined): Binding | undefined {
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
  /** Every comment node, in source order. */
  comments: Node[];
  /** ERROR and MISSING nodes left by tree-sitter's error recovery. */
  errors: Node[];
}

const COMPREHENSIONS = new Set([
  'list_comprehension',
  'set_comprehension',
  'dictionary_comprehension',
  'generator_expression',
]);

/** Builds the scopes and bindings of a parsed module and collects calls and comments. */
export function buildScopes(tree: Tree): ScopeIndex {
  const root = tree.rootNode;
  const module = new Scope('module', null, root);
  const index: ScopeIndex = { module, calls: [], comments: [], errors: [] };
  const builder = new Builder(index);
  builder.visitChildren(root, module);
  // Comments may sit between a header and its block, outside the nodes the builder visits.
  index.comments = root.descendantsOfType('comment').filter((c): c is Node => c !== null);
  return index;
}

class Builder {
  constructor(private readonly index: ScopeIndex) {}

  visitChildren(node: Node, scope: Scope): void {
    for (let i = 0, n = node.childCount; i < n; i++) {
      const child = node.child(i);
      if (child) this.visit(child, scope);
    }
  }

  visit(node: Node, scope: Scope): void {
    switch (node.type) {
      case 'comment':
        return;
      case 'ERROR':
        this.index.errors.push(node);
        this.visitChildren(node, scope);
        return;
      case 'call':
        this.index.calls.push({ node, scope });
        this.visitChildren(node, scope);
        return;
      case 'import_statement':
        this.importStatement(node, scope);
        return;
      case 'import_from_statement':
        this.importFrom(node, scope);
        return;
      case 'future_import_statement':
        return;
      case 'assignment':
        this.assignment(node, scope, node.endIndex);
        return;
      case 'augmented_assignment': {
        const left = node.childForFieldName('left');
        if (left?.type === 'identifier') scope.bind(left.text, node.endIndex, { kind: 'opaque', node });
        this.visitChildren(node, scope);
        return;
      }
      case 'named_expression': {
        const name = node.childForFieldName('name');
        const value = node.childForFieldName('value');
        this.visitChildren(node, scope);
        if (name && value) scope.bind(name.text, node.endIndex, { kind: 'assign', value, scope });
        return;
      }
      case 'for_statement':
      case 'for_in_clause': {
        const left = node.childForFieldName('left');
        // A loop variable is visible in the loop body; a comprehension's variable in the whole
        // comprehension, including the element expression written before the `for`.
        if (left) this.bindTargets(left, scope, node.type === 'for_statement' ? node.startIndex : -1);
        this.visitChildren(node, scope);
        return;
      }
      case 'as_pattern': {
        // `with x as y`, `except E as e`, `case P as name`
        const alias = node.childForFieldName('alias');
        if (alias) this.bindTargets(alias, scope, node.endIndex);
        this.visitChildren(node, scope);
        return;
      }
      case 'function_definition':
        this.functionDef(node, scope);
        return;
      case 'class_definition':
        this.classDef(node, scope);
        return;
      case 'lambda':
        this.lambda(node, scope);
        return;
      case 'global_statement':
      case 'nonlocal_statement':
        return;
      default:
        if (COMPREHENSIONS.has(node.type)) {
          const inner = new Scope('comprehension', scope, node);
          this.visitChildren(node, inner);
          return;
        }
        if (node.isMissing) this.index.errors.push(node);
        this.visitChildren(node, scope);
    }
  }

  private importStatement(node: Node, scope: Scope): void {
    const at = node.endIndex;
    for (const item of node.childrenForFieldName('name')) {
      if (item.type === 'dotted_name') {
        // `import a.b.c` binds `a`, which refers to module `a`.
        const first = item.namedChild(0)?.text;
        if (first) scope.bind(first, at, { kind: 'import', qname: canonicalName(first) });
      } else if (item.type === 'aliased_import') {
        const name = item.childForFieldName('name')?.text;
        const alias = item.childForFieldName('alias')?.text;
        if (name && alias) scope.bind(alias, at, { kind: 'import', qname: canonicalName(name) });
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
      scope.bind(
        alias,
        at,
        moduleName ? { kind: 'import', qname: canonicalName(`${moduleName}.${name}`) } : { kind: 'opaque', node },
      );
    }
    if (moduleName && node.children.some((c) => c?.type === 'wildcard_import')) {
      for (const exported of wildcardExports(moduleName)) {
        scope.bind(exported, at, { kind: 'import', qname: canonicalName(`${moduleName}.${exported}`) });
      }
    }
  }

  private assignment(node: Node, scope: Scope, at: number): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    // The value is evaluated first (and may hold calls or a chained assignment).
    if (right) this.visit(right, scope);
    const type = node.childForFieldName('type');
    if (type) this.visit(type, scope);
    if (!left) return;
    if (left.type === 'identifier') {
      if (right) {
        // `a = b = value`: both names get the innermost value.
        let value: Node = right;
        while (value.type === 'assignment') {
          const inner = value.childForFieldName('right');
          if (!inner) break;
          value = inner;
        }
        scope.bind(left.text, at, { kind: 'assign', value, scope });
      } else {
        // `x: int` declares without binding.
      }
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
    // Attribute and subscript targets bind no name, but their object expressions may hold calls.
    if (left.type === 'attribute' || left.type === 'subscript') {
      this.visitChildren(left, scope);
      return;
    }
    this.bindTargets(left, scope, at);
  }

  /** Binds every identifier of an assignment target as opaque. */
  private bindTargets(target: Node, scope: Scope, at: number): void {
    if (target.type === 'identifier') {
      scope.bind(target.text, at, { kind: 'opaque', node: target });
      return;
    }
    if (target.type === 'attribute' || target.type === 'subscript') return;
    for (const child of target.namedChildren) if (child) this.bindTargets(child, scope, at);
  }

  private functionDef(node: Node, scope: Scope): void {
    for (const child of node.children) if (child?.type === 'decorator') this.visit(child, scope);
    const params = node.childForFieldName('parameters');
    const inner = new Scope('function', scope, node);
    if (params) this.parameters(params, scope, inner);
    const returnType = node.childForFieldName('return_type');
    if (returnType) this.visit(returnType, scope);
    const body = node.childForFieldName('body');
    if (body) this.visit(body, inner);
    const name = node.childForFieldName('name');
    if (name) scope.bind(name.text, node.endIndex, { kind: 'def', node });
  }

  private lambda(node: Node, scope: Scope): void {
    const params = node.childForFieldName('parameters');
    const inner = new Scope('function', scope, node);
    if (params) this.parameters(params, scope, inner);
    const body = node.childForFieldName('body');
    if (body) this.visit(body, inner);
  }

  /** Binds parameters in `inner`; default values and annotations are evaluated in `outer`. */
  private parameters(params: Node, outer: Scope, inner: Scope): void {
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
          if (param.type === 'typed_parameter') {
            const type = param.childForFieldName('type');
            if (type) this.visit(type, outer);
          }
          break;
        case 'default_parameter':
        case 'typed_default_parameter': {
          nameNode = param.childForFieldName('name');
          const value = param.childForFieldName('value');
          if (value) this.visit(value, outer);
          break;
        }
        default:
          break;
      }
      if (nameNode) inner.bind(nameNode.text, -1, { kind: 'opaque', node: param });
    }
  }

  private classDef(node: Node, scope: Scope): void {
    for (const child of node.children) if (child?.type === 'decorator') this.visit(child, scope);
    const superclasses = node.childForFieldName('superclasses');
    if (superclasses) this.visit(superclasses, scope);
    const inner = new Scope('class', scope, node);
    const body = node.childForFieldName('body');
    if (body) this.visit(body, inner);
    const name = node.childForFieldName('name');
    if (name) scope.bind(name.text, node.endIndex, { kind: 'class', node, scope });
  }
}
