/**
 * A call expression with its callee resolved and its arguments matched to parameters.
 */
import type { Node } from './parser';
import type { Scope } from './scope';
import { qualifiedName, valueOf, type Value } from './values';

export interface Argument {
  /** The expression passed. */
  value: Node;
  /** The scope the expression is evaluated in. */
  scope: Scope;
  /** The `keyword_argument` node, when passed by keyword in the call itself. */
  keyword?: Node;
  /** True when the value comes from a literal `**{...}` dict (it cannot be edited in place). */
  fromSplat: boolean;
}

export class CallSite {
  private calleeNode: Node | undefined;
  /** The `arguments` field, read once: the argument list, or a bare generator (`f(x for x in y)`). */
  private argsField: { list: Node | null; generator: Node | null } | undefined;
  private positionalList: Node[] = [];
  private keywordMap = new Map<string, Argument>();
  private starArgs = false;
  private unknownKwargs = false;
  /** Arguments are matched on first use: most call sites a rule looks at are rejected by their callee alone. */
  private collected = false;

  constructor(
    readonly node: Node,
    readonly scope: Scope,
    /** Canonical qualified name of the callee, when it resolves. */
    readonly qname: string | undefined,
  ) {}

  static resolve(node: Node, scope: Scope): CallSite {
    const fn = node.childForFieldName('function');
    return new CallSite(node, scope, fn ? qualifiedName(fn, scope) : undefined);
  }

  get callee(): Node {
    return (this.calleeNode ??= this.node.childForFieldName('function')!);
  }

  /** The argument list; null for a call whose arguments are a bare generator (`f(x for x in y)`). */
  get args(): Node | null {
    return this.arguments().list;
  }

  private arguments(): { list: Node | null; generator: Node | null } {
    if (!this.argsField) {
      const node = this.node.childForFieldName('arguments');
      const type = node?.type;
      this.argsField = { list: type === 'argument_list' ? node : null, generator: type === 'generator_expression' ? node : null };
    }
    return this.argsField;
  }

  /** `*args` present: positions after it are unknown. */
  get hasStarArgs(): boolean {
    this.ensureCollected();
    return this.starArgs;
  }

  /** `**kwargs` that could not be resolved to a literal dict: any keyword may be hidden in it. */
  get hasUnknownKwargs(): boolean {
    this.ensureCollected();
    return this.unknownKwargs;
  }

  private ensureCollected(): void {
    if (this.collected) return;
    this.collected = true;
    const { list, generator } = this.arguments();
    // `f(x for x in y)` keeps a generator_expression as its arguments.
    if (generator) this.positionalList.push(generator);
    if (list) this.collect(list);
  }

  private collect(args: Node): void {
    for (const arg of args.namedChildren) {
      if (!arg || arg.type === 'comment') continue;
      switch (arg.type) {
        case 'keyword_argument': {
          const name = arg.childForFieldName('name');
          const value = arg.childForFieldName('value');
          if (name && value) this.keywordMap.set(name.text, { value, scope: this.scope, keyword: arg, fromSplat: false });
          break;
        }
        case 'list_splat':
          this.starArgs = true;
          break;
        case 'dictionary_splat': {
          const inner = arg.namedChild(0);
          const v = inner ? valueOf(inner, this.scope) : ({ kind: 'unknown' } as Value);
          if (v.kind === 'dict') {
            for (const [key, entry] of v.entries) {
              if (!this.keywordMap.has(key)) this.keywordMap.set(key, { value: entry.node, scope: entry.scope, fromSplat: true });
            }
            if (!v.complete) this.unknownKwargs = true;
          } else {
            this.unknownKwargs = true;
          }
          break;
        }
        default:
          if (!this.starArgs) this.positionalList.push(arg);
      }
    }
  }

  get positional(): readonly Node[] {
    this.ensureCollected();
    return this.positionalList;
  }

  keyword(name: string): Argument | undefined {
    this.ensureCollected();
    return this.keywordMap.get(name);
  }

  /** The argument for a parameter that may be passed by keyword `name` or at `index` (0-based). */
  arg(index: number | undefined, name?: string): Argument | undefined {
    this.ensureCollected();
    if (name !== undefined) {
      const kw = this.keywordMap.get(name);
      if (kw) return kw;
    }
    if (index !== undefined && index < this.positionalList.length) {
      return { value: this.positionalList[index], scope: this.scope, fromSplat: false };
    }
    return undefined;
  }

  /** Could a parameter have been passed in a way we cannot see (`*args` / unknown `**kwargs`)? */
  mayHide(index: number | undefined, name?: string): boolean {
    this.ensureCollected();
    if (name !== undefined && this.unknownKwargs) return true;
    if (index !== undefined && this.starArgs && index >= this.positionalList.length) return true;
    return false;
  }

  valueOf(arg: Argument): Value {
    return valueOf(arg.value, arg.scope);
  }
}
