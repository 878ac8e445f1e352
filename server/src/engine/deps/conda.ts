/**
 * conda environment files (`environment.yml`): `channels`, `dependencies` (conda match specs) and
 * the `- pip:` list (requirements-file lines). YAML is read with the `yaml` package, which keeps
 * node offsets and collects errors instead of throwing.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode, type Scalar } from 'yaml';
import { isValidVersion, lineSpanAt, makeRequirement, mapSpans, parseClauses, span } from './pep508';
import { parseRequirementsFile } from './requirements';
import type { Manifest, ManifestProblem, Requirement, Span, VersionClause } from './types';

const CONDA_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*/;

/** `1.26` / `1.26*` / `1.26.*` as a prefix clause `==1.26.*`. */
function fuzzy(version: string, s: Span): VersionClause | undefined {
  const bare = version.replace(/\.?\*$/, '');
  if (!isValidVersion(bare)) return undefined;
  return { op: '==', version: `${bare}.*`, span: s };
}

/**
 * Parses a conda match spec (`numpy`, `numpy=1.26`, `numpy==1.26.4`, `numpy>=1.20,<2`,
 * `pytorch::pytorch=2.1`, `numpy=1.26=py311h*`, `numpy 1.26.4 py311_0`) found at `base`.
 */
export function parseCondaSpec(text: string, base: number, section: string): Requirement | ManifestProblem {
  const lead = text.length - text.trimStart().length;
  const body = text.trim();
  const start = base + lead;
  const whole = span(start, start + body.length);
  if (!body) return { span: whole, message: 'Empty package spec.' };
  let i = 0;
  const channel = /^[^\s:=<>!]+::/.exec(body);
  if (channel) i = channel[0].length;
  const nameMatch = CONDA_NAME.exec(body.slice(i));
  if (!nameMatch) return { span: whole, message: `\`${body}\` is not a conda package spec.` };
  const name = nameMatch[0];
  const req = makeRequirement(name, span(start + i, start + i + name.length), whole, section, 'conda');
  i += name.length;
  let rest = body.slice(i);
  let restAt = i;
  // `name[version='>=1.2', build=...]`
  const bracket = /^\s*\[([^\]]*)\]/.exec(rest);
  if (bracket) {
    const v = /version\s*=\s*(['"]?)([^'",\]]+)\1/.exec(bracket[1]);
    if (!v) return req;
    rest = v[2];
    restAt = i + bracket[0].indexOf(bracket[1]) + (v.index ?? 0) + v[0].indexOf(v[2]);
  }
  const wsLead = rest.length - rest.trimStart().length;
  rest = rest.trimStart();
  restAt += wsLead;
  if (!rest) return req;
  const at = start + restAt;
  let version: string;
  let clauses: VersionClause[] = [];
  if (rest.startsWith('==')) {
    version = /^==([^\s=]*)/.exec(rest)![1];
    const s = span(at, at + 2 + version.length);
    const c = version.includes('*') ? fuzzy(version, s) : isValidVersion(version) ? { op: '==', version, span: s } : undefined;
    if (c) clauses = [c];
    req.constraint = { text: rest.slice(0, 2 + version.length), span: s };
  } else if (rest.startsWith('=')) {
    version = /^=([^\s=]*)/.exec(rest)![1];
    const s = span(at, at + 1 + version.length);
    if (!version) return { span: whole, message: `\`${body}\` has an empty version.` };
    const c = fuzzy(version, s);
    if (c) clauses = [c];
    req.constraint = { text: rest.slice(0, 1 + version.length), span: s };
    req.translated = true;
  } else {
    // An operator spec (`>=1.2,<2`) or a space-separated exact version (`1.26.4 py311_0`).
    version = /^[^\s]*/.exec(rest)![0];
    // `numpy>=1.2=py_0`: a build string after a single `=` that is not part of an operator.
    const build = /(?<![=<>!~])=(?!=)/.exec(version);
    if (build) version = version.slice(0, build.index);
    const s = span(at, at + version.length);
    req.constraint = { text: version, span: s };
    if (version.includes('|')) {
      req.translated = true;
    } else if (/^[<>=!~]/.test(version)) {
      const c = parseClauses(version, at);
      if (Array.isArray(c)) {
        clauses = c.map((x) => (x.version.endsWith('*') && !x.version.endsWith('.*') ? { ...x, version: x.version.replace(/\*$/, '.*') } : x));
      } else return c;
    } else if (version.includes('*')) {
      const c = fuzzy(version, s);
      if (c) clauses = [c];
      req.translated = true;
    } else if (isValidVersion(version)) {
      clauses = [{ op: '==', version, span: s }];
      req.translated = true;
    }
  }
  req.clauses = clauses;
  return req;
}

/** Where a scalar's value is in the file, or undefined when it is written with escapes or folding. */
function scalarBase(text: string, node: Scalar): number | undefined {
  const range = node.range;
  if (!range || typeof node.value !== 'string') return undefined;
  const value = node.value;
  if (text.slice(range[0], range[0] + value.length) === value && (node.type === 'PLAIN' || node.type === undefined)) return range[0];
  if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && text.slice(range[0] + 1, range[0] + 1 + value.length) === value) {
    return range[0] + 1;
  }
  return undefined;
}

function nodeSpan(n: { range?: [number, number, number] | null }): Span {
  return n.range ? span(n.range[0], n.range[1]) : span(0, 0);
}

/** A map's value for `key`, following `<<` merge keys. */
function mapGet(doc: Document, map: unknown, key: string): unknown {
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    if (isScalar(pair.key) && pair.key.value === key) return pair.value;
  }
  for (const pair of map.items) {
    if (isScalar(pair.key) && pair.key.value === '<<') {
      const target = isAlias(pair.value) ? pair.value.resolve(doc) : pair.value;
      const found = mapGet(doc, target, key);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** At most this many malformed lines are blanked out before the rest of the file is read as it is. */
const MAX_RECOVERIES = 20;

/**
 * Reads an environment.yml. Never throws. A malformed line (bad indentation, a stray quote) is
 * reported once and blanked out, and the file is parsed again, so one bad line does not hide the
 * entries after it (YAML would otherwise swallow them into the broken node). Blanking keeps every
 * offset, so spans still point into `text`.
 */
export function parseCondaEnv(text: string): Manifest {
  let current = text;
  const problems: Manifest['problems'] = [];
  for (let round = 0; round < MAX_RECOVERIES; round++) {
    let errors: { pos: [number, number]; message: string }[];
    try {
      errors = parseDocument(current, { uniqueKeys: false, prettyErrors: false }).errors;
    } catch {
      break;
    }
    if (errors.length === 0) break;
    const at = lineSpanAt(current, Math.min(...errors.map((e) => e.pos[0])));
    if (at.end <= at.start) break; // an error on an empty line: nothing left to blank
    const first = errors.reduce((a, b) => (b.pos[0] < a.pos[0] ? b : a));
    problems.push({ span: at, message: `Invalid YAML: ${first.message.split('\n')[0]}` });
    current = current.slice(0, at.start) + ' '.repeat(at.end - at.start) + current.slice(at.end);
  }
  const manifest = parseCondaOnce(current);
  manifest.problems.unshift(...problems);
  return manifest;
}

/** Reads an environment.yml as it is (errors are reported, entries inside broken nodes skipped). */
function parseCondaOnce(text: string): Manifest {
  const manifest: Manifest = { kind: 'conda', requirements: [], indexes: [], includes: [], abstract: false, problems: [] };
  try {
    const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
    const seen = new Set<number>();
    const errorAt = doc.errors.map((e) => e.pos[0]);
    /** True when a YAML error falls inside the node: its value is not trusted. */
    const broken = (n: { range?: [number, number, number] | null }): boolean =>
      !!n.range && errorAt.some((p) => p >= n.range![0] && p <= n.range![2]);
    for (const err of doc.errors) {
      let s = lineSpanAt(text, err.pos[0]);
      // An error at the end of a blank line (unterminated quote at the end of the file) belongs to
      // the last line with text.
      for (let at = s.start; s.end <= s.start && at > 0; ) {
        at = text.lastIndexOf('\n', at - 1);
        if (at < 0) break;
        s = lineSpanAt(text, at);
      }
      if (seen.has(s.start)) continue;
      seen.add(s.start);
      manifest.problems.push({ span: s, message: `Invalid YAML: ${err.message.split('\n')[0]}` });
    }
    const root = doc.contents;
    /** The scalar behind an item (aliases resolved) and the span to report it at when not its own. */
    const scalarOf = (item: unknown): { node: Scalar; whole?: Span } | undefined => {
      if (isAlias(item)) {
        const target = item.resolve(doc);
        return isScalar(target) ? { node: target, whole: nodeSpan(item as YamlNode) } : undefined;
      }
      return isScalar(item) ? { node: item } : undefined;
    };
    const channels = mapGet(doc, root, 'channels');
    if (isSeq(channels)) {
      for (const item of channels.items) {
        const sc = scalarOf(item);
        if (!sc || typeof sc.node.value !== 'string' || sc.node.value === 'nodefaults') continue;
        const base = sc.whole ? undefined : scalarBase(text, sc.node);
        manifest.indexes.push({
          kind: 'source',
          tool: 'conda',
          url: sc.node.value,
          span: sc.whole ?? (base !== undefined ? span(base, base + sc.node.value.length) : nodeSpan(sc.node)),
          mixesWithDefault: false,
        });
      }
    }
    const deps = mapGet(doc, root, 'dependencies');
    if (isSeq(deps)) {
      for (const item of deps.items) {
        if (isMap(item)) {
          const pip = mapGet(doc, item, 'pip');
          if (isSeq(pip)) for (const line of pip.items) pipLine(text, scalarOf(line), manifest);
          continue;
        }
        const sc = scalarOf(item);
        if (!sc || broken(sc.node)) continue;
        const value = sc.node.value;
        if (typeof value !== 'string' && typeof value !== 'number') continue;
        const str = String(value);
        const base = sc.whole || typeof value !== 'string' ? undefined : scalarBase(text, sc.node);
        let r = parseCondaSpec(str, base ?? 0, 'conda');
        if (base === undefined) {
          const whole = sc.whole ?? nodeSpan(sc.node);
          r = 'message' in r ? { span: whole, message: r.message } : mapSpans(r, () => ({ ...whole }));
        }
        if ('message' in r) manifest.problems.push(r);
        else if (r.normalized !== 'python' && r.normalized !== 'pip') manifest.requirements.push(r);
      }
    }
  } catch (e) {
    manifest.problems.push({ span: span(0, 0), message: `Could not read the environment file: ${(e as Error).message}` });
  }
  return manifest;
}

/** One entry of the `pip:` list, read as a requirements-file line. */
function pipLine(text: string, sc: { node: Scalar; whole?: Span } | undefined, manifest: Manifest): void {
  if (!sc || typeof sc.node.value !== 'string') return;
  const base = sc.whole ? undefined : scalarBase(text, sc.node);
  const whole = sc.whole ?? nodeSpan(sc.node);
  const f = base !== undefined ? (s: Span): Span => span(s.start + base, s.end + base) : (): Span => ({ ...whole });
  const m = parseRequirementsFile(sc.node.value, 'requirements');
  for (const r of m.requirements) {
    r.section = 'conda.pip';
    manifest.requirements.push(mapSpans(r, f));
  }
  for (const x of m.indexes) {
    x.span = f(x.span);
    if (x.optionSpan) x.optionSpan = f(x.optionSpan);
    manifest.indexes.push(x);
  }
  for (const inc of m.includes) manifest.includes.push({ ...inc, span: f(inc.span) });
  if (m.requireHashes) manifest.requireHashes = f(m.requireHashes);
  for (const p of m.problems) manifest.problems.push({ span: f(p.span), message: p.message });
}
