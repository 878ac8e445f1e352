/**
 * pyproject.toml: PEP 621 `[project]`, PEP 735 `[dependency-groups]`, `[build-system]`, Poetry,
 * uv and PDM tables. TOML is read with toml-eslint-parser (which keeps offsets); this file also holds
 * the small TOML helpers the Pipfile parser shares.
 */
import type * as TomlParser from 'toml-eslint-parser' with { 'resolution-mode': 'import' };
import type { AST } from 'toml-eslint-parser' with { 'resolution-mode': 'import' };
import { isProblem, isValidName, isValidVersion, lineSpanAt, makeRequirement, mapSpans, parseClauses, parseRequirementString, span, urlInfo } from './pep508';
import type { IndexDecl, Manifest, ManifestProblem, Requirement, Span, VersionClause } from './types';

// The package ships as an ES module only; Node 20.19+ (and the bundler) load it through require().
// eslint-disable-next-line @typescript-eslint/no-require-imports
const toml: typeof TomlParser = require('toml-eslint-parser');

// ---------------------------------------------------------------------------------------------
// TOML helpers

/** A TOML value with the offsets of its node: a table, an array or a scalar. */
export type TomlView =
  | { t: 'table'; entries: Map<string, TomlEntry>; span: Span }
  | { t: 'array'; items: TomlView[]; span: Span }
  | { t: 'value'; node: AST.TOMLValue; span: Span };

/** A key of a table and its value; `whole` covers `key = value` (or the `[table]` header). */
export interface TomlEntry {
  keySpan: Span;
  whole: Span;
  value: TomlView;
}

function rangeSpan(n: { range: [number, number] }): Span {
  return span(n.range[0], n.range[1]);
}

function keyName(k: AST.TOMLBare | AST.TOMLQuoted): string {
  return k.type === 'TOMLBare' ? k.name : k.value;
}

function contentView(n: AST.TOMLContentNode): TomlView {
  if (n.type === 'TOMLArray') return { t: 'array', items: n.elements.map(contentView), span: rangeSpan(n) };
  if (n.type === 'TOMLInlineTable') {
    const table: TomlView = { t: 'table', entries: new Map(), span: rangeSpan(n) };
    for (const kv of n.body) addKeyValue(table, kv);
    return table;
  }
  return { t: 'value', node: n, span: rangeSpan(n) };
}

function childTable(parent: TomlView & { t: 'table' }, key: string, keySpan: Span, whole: Span): TomlView & { t: 'table' } {
  const found = parent.entries.get(key);
  if (found?.value.t === 'table') return found.value;
  const table: TomlView & { t: 'table' } = { t: 'table', entries: new Map(), span: whole };
  parent.entries.set(key, { keySpan, whole, value: table });
  return table;
}

function addKeyValue(table: TomlView & { t: 'table' }, kv: AST.TOMLKeyValue): void {
  const keys = kv.key.keys;
  let target = table;
  for (const k of keys.slice(0, -1)) target = childTable(target, keyName(k), rangeSpan(k), rangeSpan(kv));
  const last = keys[keys.length - 1];
  target.entries.set(keyName(last), { keySpan: rangeSpan(last), whole: rangeSpan(kv), value: contentView(kv.value) });
}

/** The whole document as nested tables. */
function documentView(program: AST.TOMLProgram): TomlView & { t: 'table' } {
  const root: TomlView & { t: 'table' } = { t: 'table', entries: new Map(), span: rangeSpan(program) };
  for (const item of program.body[0].body) {
    if (item.type === 'TOMLKeyValue') {
      addKeyValue(root, item);
      continue;
    }
    const keys = item.key.keys;
    let target = root;
    for (const k of keys.slice(0, -1)) target = childTable(target, keyName(k), rangeSpan(k), rangeSpan(item));
    const last = keys[keys.length - 1];
    const name = keyName(last);
    let table: TomlView & { t: 'table' };
    if (item.kind === 'array') {
      let arr = target.entries.get(name);
      if (!arr || arr.value.t !== 'array') {
        arr = { keySpan: rangeSpan(last), whole: rangeSpan(item), value: { t: 'array', items: [], span: rangeSpan(item) } };
        target.entries.set(name, arr);
      }
      table = { t: 'table', entries: new Map(), span: rangeSpan(item) };
      (arr.value as TomlView & { t: 'array' }).items.push(table);
    } else {
      table = childTable(target, name, rangeSpan(last), rangeSpan(item));
      table.span = rangeSpan(item);
    }
    for (const kv of item.body) addKeyValue(table, kv);
  }
  return root;
}

/** The entry at `path` below `v`. */
export function entryAt(v: TomlView | undefined, ...path: string[]): TomlEntry | undefined {
  let cur = v;
  let entry: TomlEntry | undefined;
  for (const key of path) {
    if (!cur || cur.t !== 'table') return undefined;
    entry = cur.entries.get(key);
    cur = entry?.value;
  }
  return entry;
}

export function viewAt(v: TomlView | undefined, ...path: string[]): TomlView | undefined {
  return path.length === 0 ? v : entryAt(v, ...path)?.value;
}

export function tableEntries(v: TomlView | undefined): [string, TomlEntry][] {
  return v?.t === 'table' ? [...v.entries] : [];
}

export function stringOf(v: TomlView | undefined): string | undefined {
  return v?.t === 'value' && v.node.kind === 'string' ? v.node.value : undefined;
}

export function boolOf(v: TomlView | undefined): boolean | undefined {
  return v?.t === 'value' && v.node.kind === 'boolean' ? v.node.value : undefined;
}

/** Each item of an array (or the value itself when it is not an array). */
export function itemsOf(v: TomlView | undefined): TomlView[] {
  if (!v) return [];
  return v.t === 'array' ? v.items : [v];
}

/**
 * Where the characters of a string value are in the file: `base` when the value is written
 * verbatim after the quote, otherwise (escapes) undefined, in which case callers use the whole node.
 */
export function stringBase(text: string, v: TomlView): number | undefined {
  if (v.t !== 'value' || v.node.kind !== 'string') return undefined;
  const raw = text.slice(v.span.start, v.span.end);
  const q = v.node.multiline ? 3 : 1;
  let inner = raw.slice(q, raw.length - q);
  let base = v.span.start + q;
  if (v.node.multiline) {
    const nl = /^\r?\n/.exec(inner);
    if (nl) {
      inner = inner.slice(nl[0].length);
      base += nl[0].length;
    }
  }
  return inner === v.node.value ? base : undefined;
}

/**
 * Parses a requirement held in a TOML string. Spans point into the string, or cover the whole string
 * node when it has escapes.
 */
export function requirementInString(text: string, v: TomlView, section: string): Requirement | ManifestProblem | undefined {
  const value = stringOf(v);
  if (value === undefined) return undefined;
  const base = stringBase(text, v);
  if (base !== undefined) return parseRequirementString(value, base, section);
  const r = parseRequirementString(value, 0, section);
  const whole = (): Span => ({ ...v.span });
  if (isProblem(r)) return { span: whole(), message: r.message };
  return mapSpans(r, whole);
}

/** The span of a string's characters (inside the quotes when possible). */
export function stringSpan(text: string, v: TomlView): Span {
  const base = stringBase(text, v);
  const s = stringOf(v);
  return base !== undefined && s !== undefined ? span(base, base + s.length) : { ...v.span };
}

/**
 * Parses TOML, recovering from errors: the line of each error is reported and blanked out (so
 * offsets stay), then the text is parsed again, up to 20 times.
 */
export function parseTomlTolerant(text: string): { root?: TomlView & { t: 'table' }; problems: ManifestProblem[] } {
  const problems: ManifestProblem[] = [];
  let current = text;
  for (let attempt = 0; attempt <= 20; attempt++) {
    try {
      return { root: documentView(toml.parseTOML(current)), problems };
    } catch (e) {
      const err = e as { index?: number; message?: string };
      if (attempt === 20 || typeof err.index !== 'number') {
        problems.push({ span: lineSpanAt(text, typeof err.index === 'number' ? err.index : 0), message: `Invalid TOML: ${err.message ?? String(e)}` });
        return { problems };
      }
      // Blank the line of the error, or the nearest non-blank line before it.
      let at = Math.min(err.index, current.length);
      let line = lineSpanAt(current, at);
      while (line.start >= line.end) {
        const nl = current.lastIndexOf('\n', at - 1);
        if (nl < 0) break;
        at = nl;
        line = lineSpanAt(current, at);
      }
      if (line.start >= line.end) {
        problems.push({ span: lineSpanAt(text, err.index), message: `Invalid TOML: ${cleanMessage(err.message)}` });
        return { problems };
      }
      // `key =` with the value missing: the error shows on the next line, the culprit is before it.
      if (line.start > 0) {
        const prev = lineSpanAt(current, current.lastIndexOf('\n', line.start - 1));
        if (prev.end > prev.start && /=\s*$/.test(current.slice(prev.start, prev.end)) && !/^\s*#/.test(current.slice(prev.start, prev.end))) {
          line = prev;
        }
      }
      // An array or inline table left open swallows the lines after it: blank it up to here.
      const opener = unclosedOpener(current, line.start);
      if (opener !== undefined) {
        const from = current.lastIndexOf('\n', opener) + 1;
        problems.push({ span: lineSpanAt(current, opener), message: 'Invalid TOML: this array or inline table is not closed.' });
        current = current.slice(0, from) + current.slice(from, line.start).replace(/[^\r\n]/g, ' ') + current.slice(line.start);
        continue;
      }
      problems.push({ span: line, message: `Invalid TOML: ${cleanMessage(err.message)}` });
      current = current.slice(0, line.start) + ' '.repeat(line.end - line.start) + current.slice(line.end);
    }
  }
  return { problems };
}

/**
 * The offset of the outermost `[` or `{` value that is still open at `limit`, skipping strings,
 * comments and table headers. Only used to recover from syntax errors.
 */
function unclosedOpener(text: string, limit: number): number | undefined {
  const stack: number[] = [];
  let afterEq = false;
  let i = 0;
  while (i < limit) {
    const c = text[i];
    if (c === '\n') {
      afterEq = false;
      i++;
    } else if (c === '#') {
      while (i < limit && text[i] !== '\n') i++;
    } else if (c === '"' || c === "'") {
      const triple = text.startsWith(c.repeat(3), i);
      const close = triple ? c.repeat(3) : c;
      i += close.length;
      while (i < limit && !text.startsWith(close, i)) {
        if (!triple && text[i] === '\n') break;
        i += c === '"' && text[i] === '\\' ? 2 : 1;
      }
      i += close.length;
    } else if (c === '=') {
      afterEq = true;
      i++;
    } else if (c === '[' || c === '{') {
      if (stack.length === 0 && !afterEq) {
        // A table header: skip to the end of the line.
        while (i < limit && text[i] !== '\n') i++;
      } else {
        stack.push(i);
        i++;
      }
    } else if (c === ']' || c === '}') {
      stack.pop();
      i++;
    } else i++;
  }
  return stack[0];
}

function cleanMessage(m: string | undefined): string {
  return (m ?? 'syntax error').replace(/\s*\(\d+:\d+\)\s*$/, '');
}

// ---------------------------------------------------------------------------------------------
// Poetry constraints

function bump(release: number[], index: number, length: number): string {
  const out = release.slice(0, length);
  while (out.length < length) out.push(0);
  out[index] = (out[index] ?? 0) + 1;
  for (let i = index + 1; i < length; i++) out[i] = 0;
  return out.join('.');
}

/**
 * Translates one Poetry constraint (`^1.2`, `~1.2.3`, `1.2.*`, `>=1,<2`, `1.2.3`, `*`) found at
 * `base` into PEP 440 clauses. Returns the clauses and whether a tool syntax was translated, or a
 * problem. Alternatives (`||`) cannot be one clause set: they give no clauses.
 */
export function poetryClauses(text: string, base: number): { clauses: VersionClause[]; translated: boolean } | ManifestProblem {
  const whole = span(base, base + text.length);
  const trimmed = text.trim();
  if (!trimmed || trimmed === '*') return { clauses: [], translated: false };
  if (trimmed.includes('||')) return { clauses: [], translated: true };
  const clauses: VersionClause[] = [];
  let translated = false;
  // Poetry separates clauses with commas or blanks (`>= 1.2 < 2`).
  const parts = [...trimmed.matchAll(/(\^|~=|~|===|==|!=|<=|>=|<|>)?\s*([^\s,<>=!~^]+)/g)];
  if (parts.length === 0) return { span: whole, message: `\`${trimmed}\` is not a version constraint.` };
  const lead = text.length - text.trimStart().length;
  for (const m of parts) {
    const op = m[1] ?? '';
    const version = m[2];
    const at = base + lead + (m.index ?? 0);
    const s = span(at, at + m[0].length);
    if (op === '^' || op === '~') {
      const rel = /^(\d+(?:\.\d+)*)/.exec(version);
      if (!rel || !isValidVersion(version)) return { span: s, message: `\`${version}\` is not a valid version.` };
      const release = rel[1].split('.').map(Number);
      let upper: string;
      if (op === '^') {
        let first = release.findIndex((x) => x !== 0);
        if (first < 0) first = release.length - 1;
        upper = bump(release, first, release.length);
      } else {
        upper = release.length === 1 ? bump(release, 0, 1) : bump(release, 1, release.length);
      }
      clauses.push({ op: '>=', version, span: s }, { op: '<', version: upper, span: s });
      translated = true;
    } else if (op === '') {
      if (version === '*') continue;
      if (!isValidVersion(version, true)) return { span: s, message: `\`${version}\` is not a valid version.` };
      clauses.push({ op: '==', version, span: s });
      translated = true;
    } else {
      const c = parseClauses(op + version, at);
      if (!Array.isArray(c)) return c;
      clauses.push({ ...c[0], span: s });
    }
  }
  return { clauses, translated };
}

// ---------------------------------------------------------------------------------------------
// Tool tables

const UNSAFE_UV = new Set(['unsafe-first-match', 'unsafe-best-match']);

interface Ctx {
  text: string;
  manifest: Manifest;
}

function pushString(ctx: Ctx, v: TomlView, section: string): void {
  const r = requirementInString(ctx.text, v, section);
  if (!r) {
    if (v.t === 'table') return; // `{include-group = "x"}` and similar
    ctx.manifest.problems.push({ span: { ...v.span }, message: 'Expected a requirement string.' });
    return;
  }
  if (isProblem(r)) ctx.manifest.problems.push(r);
  else ctx.manifest.requirements.push(r);
}

function pushArray(ctx: Ctx, v: TomlView | undefined, section: string): void {
  if (!v) return;
  if (v.t !== 'array') {
    ctx.manifest.problems.push({ span: { ...v.span }, message: `\`${section}\` should be an array of requirement strings.` });
    return;
  }
  for (const item of v.items) pushString(ctx, item, section);
}

/** A Poetry / Pipfile style dependency (`name = "^1.2"` or `name = { … }`). */
export function toolRequirement(
  ctx: Ctx,
  name: string,
  entry: TomlEntry,
  v: TomlView,
  section: string,
  tool: 'poetry' | 'pipenv',
): Requirement | ManifestProblem | undefined {
  const { text } = ctx;
  if (!isValidName(name)) return { span: entry.keySpan, message: `\`${name}\` is not a valid project name.` };
  const req = makeRequirement(name, entry.keySpan, v === entry.value ? entry.whole : { ...v.span }, section);
  const version = v.t === 'table' ? viewAt(v, 'version') : v;
  if (version) {
    const s = stringOf(version);
    if (s === undefined) return { span: { ...version.span }, message: `The version of \`${name}\` should be a string.` };
    const vs = stringSpan(text, version);
    req.constraint = { text: s, span: vs };
    const base = stringBase(text, version);
    if (tool === 'poetry') {
      const c = poetryClauses(s, base ?? 0);
      if (isProblem(c as Requirement | ManifestProblem)) {
        return { span: base !== undefined ? (c as ManifestProblem).span : vs, message: (c as ManifestProblem).message };
      }
      const ok = c as { clauses: VersionClause[]; translated: boolean };
      req.clauses = base !== undefined ? ok.clauses : ok.clauses.map((x) => ({ ...x, span: vs }));
      if (ok.translated) req.translated = true;
    } else if (s.trim() !== '*' && s.trim() !== '') {
      const bare = /^\s*[0-9]/.test(s);
      const c = parseClauses(bare ? `==${s.trim()}` : s, bare ? 0 : (base ?? 0));
      if (!Array.isArray(c)) return { span: base !== undefined && !bare ? c.span : vs, message: c.message };
      req.clauses = base !== undefined && !bare ? c : c.map((x) => ({ ...x, span: vs }));
      if (bare) req.translated = true;
    }
  }
  if (v.t === 'table') {
    for (const e of itemsOf(viewAt(v, 'extras'))) {
      const x = stringOf(e);
      if (x !== undefined) req.extras.push(x);
    }
    const markers = stringOf(viewAt(v, 'markers'));
    if (markers !== undefined) req.marker = markers;
    const git = viewAt(v, 'git');
    const url = viewAt(v, 'url') ?? viewAt(v, 'file');
    const path = viewAt(v, 'path');
    if (git && stringOf(git) !== undefined) {
      req.url = { text: stringOf(git)!, span: stringSpan(text, git), vcs: 'git' };
      for (const kind of ['rev', 'tag', 'branch', 'ref'] as const) {
        const r = viewAt(v, kind);
        const rs = stringOf(r);
        if (r && rs !== undefined) req.url.ref = { text: rs, span: stringSpan(text, r), kind: kind === 'rev' && !/^[0-9a-fA-F]{7,40}$/.test(rs) ? 'ref' : kind };
      }
    } else if (url && stringOf(url) !== undefined) {
      const base = stringBase(text, url);
      req.url = urlInfo(stringOf(url)!, base ?? 0);
      if (base === undefined) req.url.span = { ...url.span };
    } else if (path && stringOf(path) !== undefined) {
      req.url = { text: stringOf(path)!, span: stringSpan(text, path), local: true };
    }
    if (boolOf(viewAt(v, 'editable')) === true) req.editable = true;
  }
  return req;
}

function poetryTable(ctx: Ctx, table: TomlView | undefined, section: string): void {
  for (const [name, entry] of tableEntries(table)) {
    if (name.toLowerCase() === 'python') continue;
    for (const item of itemsOf(entry.value)) {
      const r = toolRequirement(ctx, name, entry, item, section, 'poetry');
      if (!r) continue;
      if (isProblem(r)) ctx.manifest.problems.push(r);
      else ctx.manifest.requirements.push(r);
    }
  }
}

function uvSources(ctx: Ctx, sources: TomlView | undefined): void {
  const { text, manifest } = ctx;
  for (const [name, entry] of tableEntries(sources)) {
    for (const src of itemsOf(entry.value)) {
      if (src.t !== 'table') continue;
      const git = viewAt(src, 'git');
      const url = viewAt(src, 'url');
      const path = viewAt(src, 'path');
      let info: Requirement['url'];
      if (git && stringOf(git) !== undefined) {
        info = { text: stringOf(git)!, span: stringSpan(text, git), vcs: 'git' };
        for (const kind of ['rev', 'tag', 'branch'] as const) {
          const r = viewAt(src, kind);
          const rs = stringOf(r);
          if (r && rs !== undefined) info.ref = { text: rs, span: stringSpan(text, r), kind };
        }
      } else if (url && stringOf(url) !== undefined) {
        const base = stringBase(text, url);
        info = urlInfo(stringOf(url)!, base ?? 0);
        if (base === undefined) info.span = { ...url.span };
      } else if (path && stringOf(path) !== undefined) {
        info = { text: stringOf(path)!, span: stringSpan(text, path), local: true };
      }
      if (!info) continue;
      const norm = makeRequirement(name, entry.keySpan, entry.whole, '').normalized;
      const matches = manifest.requirements.filter((r) => r.normalized === norm && r.ecosystem === 'pypi');
      if (matches.length) {
        for (const r of matches) r.url = { ...info, span: { ...info.span } };
      } else if (isValidName(name)) {
        const r = makeRequirement(name, entry.keySpan, entry.whole, 'tool.uv.sources');
        r.url = info;
        manifest.requirements.push(r);
      }
      if (boolOf(viewAt(src, 'editable')) === true) for (const r of manifest.requirements.filter((x) => x.normalized === norm)) r.editable = true;
    }
  }
}

function index(ctx: Ctx, kind: IndexDecl['kind'], tool: IndexDecl['tool'], v: TomlView, mixes: boolean, name?: string, keySpan?: Span): void {
  const url = stringOf(v);
  if (url === undefined) return;
  const decl: IndexDecl = { kind, tool, url, span: stringSpan(ctx.text, v), mixesWithDefault: mixes };
  if (name !== undefined) decl.name = name;
  if (keySpan) decl.optionSpan = keySpan;
  ctx.manifest.indexes.push(decl);
}

function pyprojectIndexes(ctx: Ctx, root: TomlView): void {
  // uv
  const uv = viewAt(root, 'tool', 'uv');
  const strategy = stringOf(viewAt(uv, 'index-strategy')) ?? stringOf(viewAt(uv, 'pip', 'index-strategy'));
  const unsafe = strategy !== undefined && UNSAFE_UV.has(strategy);
  for (const where of [uv, viewAt(uv, 'pip')]) {
    const iu = entryAt(where, 'index-url');
    if (iu) index(ctx, 'index-url', 'uv', iu.value, false, undefined, iu.keySpan);
    for (const [key, kind] of [
      ['extra-index-url', 'extra-index-url'],
      ['find-links', 'find-links'],
    ] as const) {
      const e = entryAt(where, key);
      if (e) for (const item of itemsOf(e.value)) index(ctx, kind, 'uv', item, unsafe, undefined, e.keySpan);
    }
  }
  for (const ix of itemsOf(viewAt(uv, 'index'))) {
    const url = viewAt(ix, 'url');
    if (!url) continue;
    const isDefault = boolOf(viewAt(ix, 'default')) === true;
    const explicit = boolOf(viewAt(ix, 'explicit')) === true;
    index(ctx, isDefault ? 'index-url' : 'source', 'uv', url, unsafe && !explicit && !isDefault, stringOf(viewAt(ix, 'name')));
  }
  // Poetry
  for (const src of itemsOf(viewAt(root, 'tool', 'poetry', 'source'))) {
    const url = viewAt(src, 'url');
    if (!url) continue;
    const priority = stringOf(viewAt(src, 'priority'));
    const secondary = boolOf(viewAt(src, 'secondary')) === true;
    const isDefault = boolOf(viewAt(src, 'default')) === true || priority === 'default';
    const mixes = priority === 'supplemental' || priority === 'secondary' || (priority === undefined && secondary);
    index(ctx, isDefault ? 'index-url' : 'source', 'poetry', url, mixes, stringOf(viewAt(src, 'name')));
  }
  // PDM
  const pdm = viewAt(root, 'tool', 'pdm');
  const ordered = boolOf(viewAt(pdm, 'resolution', 'respect-source-order')) === true;
  for (const src of itemsOf(viewAt(pdm, 'source'))) {
    const url = viewAt(src, 'url');
    if (!url) continue;
    const name = stringOf(viewAt(src, 'name'));
    const type = stringOf(viewAt(src, 'type'));
    const kind = type === 'find_links' ? 'find-links' : name === 'pypi' ? 'index-url' : 'source';
    index(ctx, kind, 'pdm', url, kind !== 'index-url' && !ordered, name);
    const verify = entryAt(src, 'verify_ssl');
    if (verify && boolOf(verify.value) === false) ctx.manifest.indexes[ctx.manifest.indexes.length - 1].verifySslOff = verify.whole;
  }
}

/** Reads a pyproject.toml. Never throws. */
export function parsePyproject(text: string): Manifest {
  const manifest: Manifest = { kind: 'pyproject', requirements: [], indexes: [], includes: [], abstract: false, problems: [] };
  const { root, problems } = parseTomlTolerant(text);
  manifest.problems.push(...problems);
  if (!root) return manifest;
  const ctx: Ctx = { text, manifest };
  try {
    pushArray(ctx, viewAt(root, 'project', 'dependencies'), 'project.dependencies');
    for (const [extra, e] of tableEntries(viewAt(root, 'project', 'optional-dependencies'))) {
      pushArray(ctx, e.value, `project.optional-dependencies.${extra}`);
    }
    for (const [group, e] of tableEntries(viewAt(root, 'dependency-groups'))) pushArray(ctx, e.value, `dependency-groups.${group}`);
    pushArray(ctx, viewAt(root, 'build-system', 'requires'), 'build-system.requires');

    const poetry = viewAt(root, 'tool', 'poetry');
    poetryTable(ctx, viewAt(poetry, 'dependencies'), 'tool.poetry.dependencies');
    poetryTable(ctx, viewAt(poetry, 'dev-dependencies'), 'tool.poetry.dev-dependencies');
    for (const [group, e] of tableEntries(viewAt(poetry, 'group'))) {
      poetryTable(ctx, viewAt(e.value, 'dependencies'), `tool.poetry.group.${group}.dependencies`);
    }

    const uv = viewAt(root, 'tool', 'uv');
    pushArray(ctx, viewAt(uv, 'dev-dependencies'), 'tool.uv.dev-dependencies');
    pushArray(ctx, viewAt(uv, 'constraint-dependencies'), 'tool.uv.constraint-dependencies');
    pushArray(ctx, viewAt(uv, 'override-dependencies'), 'tool.uv.override-dependencies');

    for (const [group, e] of tableEntries(viewAt(root, 'tool', 'pdm', 'dev-dependencies'))) {
      pushArray(ctx, e.value, `tool.pdm.dev-dependencies.${group}`);
    }
    uvSources(ctx, viewAt(uv, 'sources'));
    pyprojectIndexes(ctx, root);

    const packageMode = boolOf(viewAt(poetry, 'package-mode'));
    const uvPackage = boolOf(viewAt(uv, 'package'));
    const described = viewAt(root, 'build-system') !== undefined || (poetry !== undefined && packageMode !== false);
    manifest.abstract = described && packageMode !== false && uvPackage !== false;
  } catch (e) {
    manifest.problems.push({ span: span(0, 0), message: `Could not read pyproject.toml: ${(e as Error).message}` });
  }
  return manifest;
}
