/**
 * A small, strict command-line parser. Every command declares its options; anything else is a
 * usage error (exit status 2), so a typo never silently changes what a CI job checks.
 *
 * Accepted forms: `--name`, `--name value`, `--name=value`, `-x`, `-x value`, and `--` to end the
 * options. A value option cannot take a following word that starts with `--` as its value (write
 * `--output=--odd-name` for that), which catches `--output --format json`.
 */

/** A mistake in how the command was called. Reported as `threatlens: error: ...`, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface OptionSpec {
  /** Long name without the leading dashes. */
  readonly name: string;
  /** One-letter alias without the dash. */
  readonly short?: string;
  /** True when the option takes a value. */
  readonly takesValue?: boolean;
  /** True when a value option may be given several times (values accumulate). */
  readonly repeatable?: boolean;
}

export interface ParsedArgs {
  readonly positionals: string[];
  /** Boolean options that were given. */
  readonly flags: ReadonlySet<string>;
  /** Values of value options, in the order given. */
  readonly values: ReadonlyMap<string, readonly string[]>;
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const positionals: string[] = [];
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  const where = command ? ` for '${command}'` : '';

  const record = (spec: OptionSpec, shown: string, value: string | undefined): void => {
    if (!spec.takesValue) {
      if (value !== undefined) throw new UsageError(`option ${shown} takes no value`);
      flags.add(spec.name);
      return;
    }
    if (value === undefined) throw new UsageError(`option ${shown} needs a value`);
    const list = values.get(spec.name);
    if (list && !spec.repeatable) throw new UsageError(`option ${shown} given more than once`);
    if (list) list.push(value);
    else values.set(spec.name, [value]);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown option --${name}${where}`);
      let value = eq < 0 ? undefined : arg.slice(eq + 1);
      if (spec.takesValue && value === undefined) {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          value = next;
          i++;
        }
      }
      record(spec, `--${name}`, value);
      continue;
    }
    if (arg.length > 1 && arg.startsWith('-')) {
      const letter = arg.slice(1);
      const spec = letter.length === 1 ? byShort.get(letter) : undefined;
      if (!spec) throw new UsageError(`unknown option ${arg}${where}`);
      let value: string | undefined;
      if (spec.takesValue) {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          value = next;
          i++;
        }
      }
      record(spec, `${arg} (--${spec.name})`, value);
      continue;
    }
    positionals.push(arg);
  }
  return { positionals, flags, values };
}

/** The single value of a non-repeatable option, or undefined. */
export function single(args: ParsedArgs, name: string): string | undefined {
  return args.values.get(name)?.[0];
}

/** All values of a repeatable option, each split on commas, blanks dropped. */
export function listValues(args: ParsedArgs, name: string): string[] {
  return (args.values.get(name) ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Checks that `value` is one of `allowed`, else a usage error naming the option. */
export function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`invalid value '${value}' for --${option} (expected ${allowed.join(', ')})`);
}
