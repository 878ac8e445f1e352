/**
 * PEP 440 versions and specifiers, as the advisory checks need them. A thin wrapper around
 * `@renovatebot/pep440`: the library parses and orders versions; this module only fixes the few
 * places where its specifier matching differs from PEP 440 (see `exclusiveOrdered`) and gives the
 * rest of the engine one small, total API (nothing here throws on bad input).
 *
 * Plain TypeScript: no editor or LSP import.
 */

// The library ships only as an ES module while the engine compiles as CommonJS. Node 20.19+ loads
// ES modules through `require`, tsx does too, and the bundler inlines the library, so a typed
// `require` is enough; the `import type` keeps the library's own declarations.
import type * as Pep440 from '@renovatebot/pep440' with { 'resolution-mode': 'import' };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pep440: typeof Pep440 = require('@renovatebot/pep440');

type Explained = NonNullable<ReturnType<typeof Pep440.explain>>;

/** One version clause (`op` is `==`, `!=`, `<`, `<=`, `>`, `>=`, `~=` or `===`). */
export interface Clause {
  readonly op: string;
  readonly version: string;
}

/** An OSV ECOSYSTEM interval: `introduced <= v < fixed`, or `introduced <= v <= last_affected`. */
export interface VersionRange {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
}

const OPERATORS = new Set(['==', '!=', '<', '<=', '>', '>=', '~=', '===']);

/** Parsed versions, memoised: the same few hundred range ends are looked at again and again. */
const explained = new Map<string, Explained | null>();
const EXPLAIN_CACHE_LIMIT = 10000;

function explain(v: string): Explained | undefined {
  const key = v.trim();
  let hit = explained.get(key);
  if (hit === undefined) {
    try {
      hit = pep440.explain(key) ?? null;
    } catch {
      hit = null;
    }
    if (explained.size >= EXPLAIN_CACHE_LIMIT) explained.clear();
    explained.set(key, hit);
  }
  return hit ?? undefined;
}

/** True when `v` is a valid PEP 440 version (any normal spelling: `1.0RC1`, `v1.0`, `1!2.0+cpu`). */
export function isValidVersion(v: string): boolean {
  return explain(v) !== undefined;
}

/**
 * PEP 440 order: negative when `a` sorts before `b`, 0 when they are the same version (`1.0.0` and
 * `1.0`), positive after. Epochs, pre-, post-, dev-releases and local labels are all ordered as the
 * specification says. Strings that are not valid versions sort before every valid one and among
 * themselves by code point, so sorting mixed input never throws.
 */
export function compareVersions(a: string, b: string): number {
  const va = isValidVersion(a);
  const vb = isValidVersion(b);
  if (va && vb) return Math.sign(pep440.compare(a.trim(), b.trim()));
  if (va !== vb) return va ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function same(a: string, b: string): boolean {
  return pep440.compare(a, b) === 0;
}

/**
 * `<V` and `>V` as PEP 440 defines them. The library short-cuts both to "false whenever the release
 * numbers are equal", which is wrong whenever V is itself a pre- or post-release: it says `1.7.post1`
 * is not `>1.7.post0`, `1.7rc1` is not `<1.7rc2`, `1.7` is not `>1.7rc1` and `1.7` is not `<1.7.post1`.
 * The specification instead:
 *   - `>V` excludes post-releases of V unless V is a post-release, and local versions of V;
 *   - `<V` excludes pre-releases (dev releases included) of V unless V is a pre-release;
 *   - local labels of the candidate are otherwise ignored (compare its public part).
 */
function exclusiveOrdered(op: '<' | '>', cand: Explained, spec: Explained): boolean {
  const c = pep440.compare(cand.public, spec.public);
  const sameBase = same(cand.base_version, spec.base_version);
  if (op === '>') {
    if (c <= 0) return false;
    if (sameBase && cand.is_postrelease && !spec.is_postrelease) return false;
    return true;
  }
  if (c >= 0) return false;
  if (sameBase && cand.is_prerelease && !spec.is_prerelease) return false;
  return true;
}

/** One clause; `version` already trimmed and valid (or any string for `===`). */
function satisfiesClause(version: string, cand: Explained | undefined, clause: Clause): boolean {
  const op = clause.op.trim();
  const target = clause.version.trim();
  if (!OPERATORS.has(op)) return false;
  // Arbitrary equality is a plain (case-insensitive) string comparison and works on any string.
  if (op === '===') return version.toLowerCase() === target.toLowerCase();
  if (cand === undefined) return false;
  if (op === '<' || op === '>') {
    const spec = explain(target);
    // Ordered comparisons take no wildcard and no local label.
    if (spec === undefined || spec.local !== null) return false;
    return exclusiveOrdered(op, cand, spec);
  }
  // Everything else follows the specification in the library. Pre-releases are allowed: we check a
  // given version, we do not pick one to install.
  try {
    return pep440.satisfies(version, `${op}${target}`, { prereleases: true });
  } catch {
    return false;
  }
}

/**
 * Does `version` satisfy every clause (PEP 440 specifier semantics: `!=`, `~=`, `===`, `==1.2.*`
 * wildcards, local versions)? No clauses: true. A pinned pre-release is checked as given, so
 * `1.0rc1` satisfies `>=0.9`. An invalid version only ever satisfies `===` clauses; an invalid
 * clause is satisfied by nothing.
 */
export function satisfiesClauses(version: string, clauses: readonly Clause[]): boolean {
  const v = version.trim();
  const cand = explain(v);
  return clauses.every((clause) => satisfiesClause(v, cand, clause));
}

/** The exact version a requirement pins (`==1.2.3` without wildcard, or `===x`), else undefined. */
export function pinnedVersion(clauses: readonly Clause[]): string | undefined {
  for (const { op, version } of clauses) {
    const o = op.trim();
    const v = version.trim();
    if (o === '===' && v !== '') return v;
    if (o === '==' && !v.endsWith('.*') && isValidVersion(v)) return v;
  }
  return undefined;
}

/**
 * OSV ECOSYSTEM range check: `introduced <= v < fixed`, or `introduced <= v <= last_affected`; a
 * missing or `"0"` introduced means from the first version, a range with neither `fixed` nor
 * `last_affected` is open-ended. Versions compare in full PEP 440 order, so `5.1b1` is inside a
 * range fixed at `5.1`, and `1.13.0+cu117` inside one fixed at `1.13.1`. Invalid versions are in no
 * range.
 */
export function inRange(version: string, range: VersionRange): boolean {
  const v = version.trim();
  if (!isValidVersion(v)) return false;
  const { introduced, fixed, last_affected: last } = range;
  if (introduced !== undefined && introduced !== '0') {
    if (!isValidVersion(introduced) || compareVersions(v, introduced) < 0) return false;
  }
  if (fixed !== undefined) {
    if (!isValidVersion(fixed)) return false;
    if (compareVersions(v, fixed) >= 0) return false;
  }
  if (last !== undefined) {
    if (!isValidVersion(last)) return false;
    if (compareVersions(v, last) > 0) return false;
  }
  return true;
}

/** `v` is a pre-release or dev release (`1.0rc1`, `2.0.dev3`). False for invalid versions. */
export function isPrerelease(v: string): boolean {
  return explain(v)?.is_prerelease ?? false;
}

/** A bound of an interval of versions; `version` undefined means unbounded. */
export interface Bound {
  version: string;
  inclusive: boolean;
}

/**
 * A superset of the versions `clauses` allow, as one interval `[lower, upper]` (either side may be
 * open). `!=` clauses are ignored (they only remove versions), so the interval may be larger than
 * the real set but never smaller. Undefined when a clause cannot be understood or the interval is
 * empty.
 */
export function clauseInterval(clauses: readonly Clause[]): { lower?: Bound; upper?: Bound } | undefined {
  let lower: Bound | undefined;
  let upper: Bound | undefined;
  const raiseLower = (b: Bound) => {
    if (lower === undefined) lower = b;
    else {
      const c = compareVersions(b.version, lower.version);
      if (c > 0 || (c === 0 && !b.inclusive)) lower = b;
    }
  };
  const lowerUpper = (b: Bound) => {
    if (upper === undefined) upper = b;
    else {
      const c = compareVersions(b.version, upper.version);
      if (c < 0 || (c === 0 && !b.inclusive)) upper = b;
    }
  };
  for (const clause of clauses) {
    const op = clause.op.trim();
    const text = clause.version.trim();
    if (op === '!=') continue;
    if (op === '===') {
      if (!isValidVersion(text)) return undefined;
      raiseLower({ version: text, inclusive: true });
      lowerUpper({ version: text, inclusive: true });
      continue;
    }
    const wildcard = op === '==' && text.endsWith('.*');
    const spec = explain(wildcard ? text.slice(0, -2) : text);
    if (spec === undefined || !OPERATORS.has(op)) return undefined;
    const epoch = spec.epoch ? `${spec.epoch}!` : '';
    switch (op) {
      case '>=':
        raiseLower({ version: text, inclusive: true });
        break;
      case '>':
        raiseLower({ version: text, inclusive: false });
        break;
      case '<=':
      case '==':
        if (op === '==' && wildcard) {
          // `==1.4.*`: from 1.4.dev0 up to (not including) 1.5.dev0.
          const release = spec.release;
          const next = [...release.slice(0, -1), release[release.length - 1] + 1];
          raiseLower({ version: `${epoch}${release.join('.')}.dev0`, inclusive: true });
          lowerUpper({ version: `${epoch}${next.join('.')}.dev0`, inclusive: false });
          break;
        }
        if (op === '==') raiseLower({ version: text, inclusive: true });
        lowerUpper({ version: text, inclusive: true });
        break;
      case '<':
        // `<9` leaves out 9's pre-releases, so nothing at or above 9.dev0 is allowed. For a post- or
        // pre-release V keep V itself (a superset).
        lowerUpper(
          !spec.is_prerelease && !spec.is_postrelease
            ? { version: `${epoch}${spec.release.join('.')}.dev0`, inclusive: false }
            : { version: text, inclusive: false },
        );
        break;
      case '~=': {
        if (spec.release.length < 2) return undefined;
        const prefix = spec.release.slice(0, -1);
        const next = [...prefix.slice(0, -1), prefix[prefix.length - 1] + 1];
        raiseLower({ version: text, inclusive: true });
        lowerUpper({ version: `${epoch}${next.join('.')}.dev0`, inclusive: false });
        break;
      }
    }
  }
  if (lower && upper) {
    const c = compareVersions(lower.version, upper.version);
    if (c > 0 || (c === 0 && !(lower.inclusive && upper.inclusive))) return undefined;
  }
  return { lower, upper };
}
