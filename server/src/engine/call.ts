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
  readonly callee: Node;
  readonly args: Node | null;
  private positionalList: Node[] = [];
  private keywordMap = new Map<string, Argument>();
  /** `*args` present: positions after it are unknown. */
  hasStarArgs = false;
  /** `**kwargs` that could not be resolved to a literal dict: any keyword may be hidden in it. */
  hasUnknownKwargs = false;

  constructor(
    readonly node: Node,
    readonly scope: Scope,
    /** Canonical qualified name of the callee, when it resolves. */
    readonly qname: string | undefined,
  ) {
    this.callee = node.childForFieldName('function')!;
    const args = node.childForFieldName('arguments');
    // `f"..."` generator calls (`f(x for x in y)`) keep a generator_expression as arguments.
    this.args = args && args.type === 'argument_list' ? args : null;
    if (args && args.type === 'generator_expression') this.positionalList.push(args);
    if (this.args) this.collect(this.args);
  }

  static resolve(node: Node, scope: Scope): CallSite {
    const fn = node.childForFieldName('function');
    return new CallSite(node, scope, fn ? qualifiedName(fn, scope) : undefined);
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
          this.hasStarArgs = true;
          break;
        case 'dictionary_splat': {
          const inner = arg.namedChild(0);
          const v = inner ? valueOf(inner, this.scope) : ({ kind: 'unknown' } as Value);
          if (v.kind === 'dict') {
            for (const [key, entry] of v.entries) {
              if (!this.keywordMap.has(key)) this.keywordMap.set(key, { value: entry.node, scope: entry.scope, fromSplat: true });
            }
            if (!v.complete) this.hasUnknownKwargs = true;
          } else {
            this.hasUnknownKwargs = true;
          }
          break;
        }
        default:
          if (!this.hasStarArgs) this.positionalList.push(arg);
      }
    }
  }

  get positional(): readonly Node[] {
    return this.positionalList;
  }

  keyword(name: string): Argument | undefined {
    return this.keywordMap.get(name);
  }

  /** The argument for a parameter that may be passed by keyword `name` or at `index` (0-based). */
  arg(index: number | undefined, name?: string): Argument | undefined {
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
    if (name !== undefined && this.hasUnknownKwargs) return true;
    if (index !== undefined && this.hasStarArgs && index >= this.positionalList.length) return true;
    return false;
  }

  valueOf(arg: Argument): Value {
    return valueOf(arg.value, arg.scope);
  }
}
