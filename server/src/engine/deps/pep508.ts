/**
 * PEP 508 dependency specifiers (`name[extra] (>=1,<2) ; marker`, `name @ url`) and the pieces the
 * other manifest parsers share: version clauses, direct-reference URLs, span helpers.
 *
 * Version strings are checked with @renovatebot/pep440; the specifier syntax around them is small
 * enough to read here. Nothing in this file throws on bad input: a malformed specifier becomes a
 * `ManifestProblem`.
 */
import type * as Pep440 from '@renovatebot/pep440' with { 'resolution-mode': 'import' };
import { normalizeName, type ManifestProblem, type Requirement, type Span, type VersionClause } from './types';

// The package ships as an ES module only; Node 20.19+ (and the bundler) load it through require().
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pep440: typeof Pep440 = require('@renovatebot/pep440');

/** PEP 508 project names: letters and digits, with `-_.` allowed inside. */
export const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

const OPS = ['===', '~=', '==', '!=', '<=', '>=', '<', '>'];

export function isValidName(name: string): boolean {
  return NAME_RE.test(name);
}

export function isProblem(x: Requirement | ManifestProblem): x is ManifestProblem {
  return (x as ManifestProblem).message !== undefined;
}

export function span(start: number, end: number): Span {
  return { start, end };
}

/** The span of the (trimmed) line holding `offset`. */
export function lineSpanAt(text: string, offset: number): Span {
  const at = Math.max(0, Math.min(offset, text.length));
  let start = text.lastIndexOf('\n', at - 1) + 1;
  let end = text.indexOf('\n', at);
  if (end < 0) end = text.length;
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return { start, end };
}

/** True when `version` is a valid PEP 440 version (`1.2.*` prefixes are accepted when `wildcard`). */
export function isValidVersion(version: string, wildcard = false): boolean {
  let v = version;
  if (wildcard && v.endsWith('.*')) v = v.slice(0, -2);
  if (!v || /\s/.test(v)) return false;
  try {
    return pep440.valid(v) !== null;
  } catch {
    return false;
  }
}

/** A fresh requirement with the fields every parser fills the same way. */
export function makeRequirement(name: string, nameSpan: Span, whole: Span, section: string, ecosystem: 'pypi' | 'conda' = 'pypi'): Requirement {
  return {
    name,
    normalized: name ? normalizeName(name) : '',
    nameSpan,
    span: whole,
    extras: [],
    clauses: [],
    hashes: [],
    section,
    ecosystem,
  };
}

/**
 * Reads a comma-separated specifier set (`>=1.0, <2,!=1.5.*`) found at `base`. Returns the clauses
 * or a problem for the first clause that is not `op version` with a valid version.
 */
export function parseClauses(text: string, base: number): VersionClause[] | ManifestProblem {
  const clauses: VersionClause[] = [];
  let pos = 0;
  for (const part of text.split(',')) {
    const partStart = pos;
    pos += part.length + 1;
    const lead = part.length - part.trimStart().length;
    const body = part.trim();
    const at = base + partStart + lead;
    if (!body) {
      return { span: span(base, base + text.length), message: `Empty version clause in \`${text.trim()}\`.` };
    }
    const op = OPS.find((o) => body.startsWith(o));
    if (!op) {
      return { span: span(at, at + body.length), message: `\`${body}\` is not a version clause (expected an operator such as \`>=\` or \`==\`).` };
    }
    const version = body.slice(op.length).trim();
    const ok =
      op === '===' ? version.length > 0 && !/\s/.test(version) : isValidVersion(version, op === '==' || op === '!=');
    if (!ok) {
      return { span: span(at, at + body.length), message: `\`${version || body}\` is not a valid PEP 440 version.` };
    }
    clauses.push({ op, version, span: span(at, at + body.length) });
  }
  return clauses;
}

const VCS = ['git', 'hg', 'svn', 'bzr'];

/** The scheme of a URL-ish string (`git+https`, `https`, `file`), lower case, or undefined. */
export function urlScheme(text: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  if (!m || m[1].length < 2) return undefined; // `C:` is a Windows drive
  return m[1].toLowerCase();
}

/** True when `text` starts like a URL that pip accepts as a direct reference. */
export function looksLikeUrl(text: string): boolean {
  const scheme = urlScheme(text);
  if (!scheme) return false;
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) || scheme === 'file' || scheme.includes('+');
}

/**
 * Builds the `url` part of a requirement from a direct reference (`https://…#sha256=…`,
 * `git+https://host/o/r.git@v1#egg=x`, `file:///…`, `./pkg`) found at `base`.
 */
export function urlInfo(text: string, base: number): NonNullable<Requirement['url']> {
  const info: NonNullable<Requirement['url']> = { text, span: span(base, base + text.length) };
  const scheme = urlScheme(text);
  if (!scheme || scheme === 'file' || !looksLikeUrl(text)) info.local = true;
  const hashAt = text.indexOf('#');
  const fragment = hashAt >= 0 ? text.slice(hashAt + 1) : '';
  const body = hashAt >= 0 ? text.slice(0, hashAt) : text;
  for (const param of fragment.split('&')) {
    const m = /^(sha1|sha224|sha256|sha384|sha512|md5)=([0-9A-Fa-f]+)$/.exec(param);
    if (m) info.hash = `${m[1]}=${m[2]}`;
  }
  const vcs = scheme?.split('+')[0];
  if (scheme && scheme.includes('+') && vcs && VCS.includes(vcs)) {
    info.vcs = vcs;
    // The revision follows the last `@` of the path; an `@` in the host part is user info.
    const sep = body.indexOf('://');
    let pathStart: number;
    if (sep >= 0) {
      const slash = body.indexOf('/', sep + 3);
      pathStart = slash >= 0 ? slash : body.length;
    } else {
      pathStart = scheme.length + 1;
    }
    const at = body.lastIndexOf('@');
    if (at >= pathStart && at + 1 < body.length) {
      const ref = body.slice(at + 1);
      info.ref = {
        text: ref,
        span: span(base + at + 1, base + body.length),
        kind: /^[0-9a-fA-F]{7,40}$/.test(ref) ? 'rev' : 'ref',
      };
      info.refInsertAt = base + at;
    } else {
      info.refInsertAt = base + body.length;
    }
  }
  return info;
}

/** The `#egg=name` fragment of a URL, with its offset in `text`. */
export function eggName(text: string): { name: string; at: number } | undefined {
  const m = /[#&]egg=([^&#\s]+)/.exec(text);
  if (!m) return undefined;
  return { name: m[1], at: m.index + 5 };
}

/** Applies `f` to every span of a requirement (used to map offsets of unquoted or joined text back). */
export function mapSpans(req: Requirement, f: (s: Span) => Span): Requirement {
  req.nameSpan = f(req.nameSpan);
  req.span = f(req.span);
  for (const c of req.clauses) c.span = f(c.span);
  if (req.constraint) req.constraint.span = f(req.constraint.span);
  if (req.url) {
    req.url.span = f(req.url.span);
    if (req.url.ref) req.url.ref.span = f(req.url.ref.span);
    if (req.url.refInsertAt !== undefined) req.url.refInsertAt = f(span(req.url.refInsertAt, req.url.refInsertAt)).start;
  }
  for (const h of req.hashes) h.span = f(h.span);
  return req;
}

/**
 * Parses one PEP 508 requirement. `base` is the offset of `text` in the file, so the spans of the
 * result point into the file. Leading and trailing blanks are allowed.
 */
export function parseRequirementString(text: string, base: number, section: string): Requirement | ManifestProblem {
  const lead = text.length - text.trimStart().length;
  const body = text.trim();
  const start = base + lead;
  const whole = span(start, start + body.length);
  const fail = (message: string, s: Span = whole): ManifestProblem => ({ span: s, message });
  if (!body) return fail('Empty requirement.');

  const nameMatch = /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(body);
  if (!nameMatch) return fail(`\`${body}\` does not start with a project name.`);
  let name = nameMatch[0];
  // A name cannot end with `-_.`; give those characters back (`foo-` is then an error below).
  while (name.length > 1 && /[._-]$/.test(name)) name = name.slice(0, -1);
  if (!isValidName(name)) return fail(`\`${name}\` is not a valid project name.`);
  const req = makeRequirement(name, span(start, start + name.length), whole, section);
  let i = name.length;
  const skipWs = (): void => {
    while (i < body.length && /\s/.test(body[i])) i++;
  };

  skipWs();
  if (body[i] === '[') {
    const close = body.indexOf(']', i);
    if (close < 0) return fail('Unclosed `[` in the extras.');
    const inner = body.slice(i + 1, close);
    for (const raw of inner.split(',')) {
      const extra = raw.trim();
      if (!extra) {
        if (inner.trim()) return fail('Empty extra name.');
        continue;
      }
      if (!isValidName(extra)) return fail(`\`${extra}\` is not a valid extra name.`);
      req.extras.push(extra);
    }
    i = close + 1;
    skipWs();
  }

  let markerAt = -1;
  if (body[i] === '@') {
    i++;
    skipWs();
    // The URL ends at whitespace; a marker must follow after a blank and `;`.
    let end = i;
    while (end < body.length && !/\s/.test(body[end])) end++;
    const url = body.slice(i, end);
    if (!url) return fail('Missing URL after `@`.');
    if (!urlScheme(url) && !/^[./\\~]/.test(url)) return fail(`\`${url}\` is not a URL.`);
    req.url = urlInfo(url, start + i);
    i = end;
    skipWs();
    if (i < body.length) {
      if (body[i] !== ';') return fail(`Unexpected \`${body.slice(i)}\` after the URL.`);
      markerAt = i;
    }
  } else {
    let specEnd = body.indexOf(';', i);
    if (specEnd < 0) specEnd = body.length;
    else markerAt = specEnd;
    let spec = body.slice(i, specEnd);
    let specStart = i;
    const trimmed = spec.trim();
    if (trimmed.startsWith('(')) {
      if (!trimmed.endsWith(')')) return fail('Unclosed `(` in the version specifier.');
      specStart = i + spec.indexOf('(') + 1;
      spec = body.slice(specStart, i + spec.lastIndexOf(')'));
    }
    if (spec.trim()) {
      const specLead = spec.length - spec.trimStart().length;
      const specText = spec.trim();
      const clauses = parseClauses(specText, start + specStart + specLead);
      if (!Array.isArray(clauses)) return clauses;
      req.clauses = clauses;
      req.constraint = { text: specText, span: span(start + specStart + specLead, start + specStart + specLead + specText.length) };
    }
  }

  if (markerAt >= 0) {
    const marker = body.slice(markerAt + 1).trim();
    if (!marker) return fail('Empty environment marker after `;`.');
    if (!/^[\w\s'"().<>=!~,*+\-/:[\]]+$/.test(marker) || !/[<>=!~]|\bin\b/.test(marker)) {
      return fail(`\`${marker}\` is not a valid environment marker.`);
    }
    req.marker = marker;
  }
  return req;
}
