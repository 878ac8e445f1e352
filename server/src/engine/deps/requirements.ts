/**
 * pip requirements files (`requirements*.txt`, `constraints*.txt`, pip-tools `*.in`) and pip
 * command-line arguments. The requirement-file syntax is pip's own (no library reads it); the
 * requirements themselves are PEP 508 strings or direct references.
 *
 * Offsets always point into the original text: logical lines joined with `\` keep a map from each
 * character back to the file, and shell-like tokens keep one for their unquoted characters.
 */
import {
  eggName,
  isProblem,
  isValidName,
  lineSpanAt,
  looksLikeUrl,
  makeRequirement,
  mapSpans,
  parseRequirementString,
  span,
  urlInfo,
} from './pep508';
import type { IndexDecl, IndexKind, Manifest, ManifestProblem, Requirement, Span } from './types';

/** A word of a command line with the original offset of each of its (unquoted) characters. */
export interface Token {
  value: string;
  /** `pos[i]` is the offset of `value[i]` in the tokenised text; `pos[value.length]` its end. */
  pos: number[];
  /** The raw token, quotes included. */
  start: number;
  end: number;
}

/** Maps `[a, b)` of a token's value to an original span. */
export function tokenSpan(t: Token, a = 0, b = t.value.length): Span {
  if (b <= a) return span(t.pos[a] ?? t.end, t.pos[a] ?? t.end);
  return span(t.pos[a], t.pos[b - 1] + 1);
}

/**
 * Splits `text[from, to)` into shell words: blanks separate words, `'…'` and `"…"` quote, `\` escapes
 * (and `\` + newline continues the line). With `operators`, stops at an unquoted `&&`, `||`, `;`,
 * `|`, `>`, `<`, `&` or a `#` that starts a word (requirement files have no such operators); `stop`
 * is where it stopped.
 */
export function shellTokens(text: string, from = 0, to = text.length, operators = true): { tokens: Token[]; stop: number } {
  const tokens: Token[] = [];
  let i = from;
  for (;;) {
    while (i < to && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r' || (text[i] === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))))) {
      i += text[i] === '\\' ? (text[i + 1] === '\r' ? 3 : 2) : 1;
    }
    if (i >= to || text[i] === '\n') return { tokens, stop: i };
    const c = text[i];
    if (operators && (c === '#' || c === ';' || c === '|' || c === '&' || c === '>' || c === '<')) return { tokens, stop: i };
    const start = i;
    let value = '';
    const pos: number[] = [];
    while (i < to) {
      const ch = text[i];
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') break;
      if (operators && (ch === ';' || ch === '|' || ch === '&' || ch === '<')) break;
      if (operators && ch === '>') {
        // `2>&1`: the digits belong to the redirection, not to the command.
        if (/^\d+$/.test(value)) return { tokens, stop: start };
        break;
      }
      if (ch === '\\') {
        if (text[i + 1] === '\n') {
          i += 2;
          continue;
        }
        if (i + 1 < to) {
          value += text[i + 1];
          pos.push(i + 1);
          i += 2;
          continue;
        }
        value += ch;
        pos.push(i);
        i++;
        continue;
      }
      if (ch === "'" || ch === '"') {
        let j = i + 1;
        while (j < to && text[j] !== ch) {
          if (ch === '"' && text[j] === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\' || text[j + 1] === '$' || text[j + 1] === '`')) j++;
          value += text[j];
          pos.push(j);
          j++;
        }
        i = Math.min(j + 1, to);
        continue;
      }
      value += ch;
      pos.push(i);
      i++;
    }
    pos.push(i);
    // An unquoted word ending the run: its end offset is where the raw text ends.
    tokens.push({ value, pos, start, end: i });
  }
}

/** pip options that take a value, and what they declare. */
const VALUE_OPTIONS = new Map<string, string>([
  ['-i', 'index-url'],
  ['--index-url', 'index-url'],
  ['--extra-index-url', 'extra-index-url'],
  ['-f', 'find-links'],
  ['--find-links', 'find-links'],
  ['--trusted-host', 'trusted-host'],
  ['-r', 'requirement'],
  ['--requirement', 'requirement'],
  ['-c', 'constraint'],
  ['--constraint', 'constraint'],
  ['-e', 'editable'],
  ['--editable', 'editable'],
  ['--hash', 'hash'],
  // Taken and ignored.
  ['--target', ''],
  ['-t', ''],
  ['--prefix', ''],
  ['--root', ''],
  ['--python-version', ''],
  ['--platform', ''],
  ['--implementation', ''],
  ['--abi', ''],
  ['--only-binary', ''],
  ['--no-binary', ''],
  ['--upgrade-strategy', ''],
  ['--progress-bar', ''],
  ['--cache-dir', ''],
  ['--src', ''],
  ['--config-settings', ''],
  ['-C', ''],
  ['--global-option', ''],
  ['--install-option', ''],
  ['--build-option', ''],
  ['--use-feature', ''],
  ['--use-deprecated', ''],
  ['--log', ''],
  ['--timeout', ''],
  ['--retries', ''],
  ['--proxy', ''],
  ['--cert', ''],
  ['--client-cert', ''],
  ['--exists-action', ''],
  ['--report', ''],
  ['--python', ''],
  ['-p', ''],
  ['--index-strategy', ''],
  ['--override', ''],
  ['--extra', ''],
  ['--keyring-provider', ''],
  ['--resolution', ''],
  ['--prerelease', ''],
  ['--find-links-url', ''],
]);

const INDEX_KINDS: Record<string, IndexKind> = {
  'index-url': 'index-url',
  'extra-index-url': 'extra-index-url',
  'find-links': 'find-links',
  'trusted-host': 'trusted-host',
};

export interface Collected {
  requirements: Requirement[];
  indexes: IndexDecl[];
  problems: ManifestProblem[];
  includes: Manifest['includes'];
  requireHashes?: Span;
}

/** Splits `-iURL`, `--index-url=URL` and `--index-url URL` into option name and inline value. */
function splitOption(value: string): { name: string; inline?: number } {
  if (value.startsWith('--')) {
    const eq = value.indexOf('=');
    return eq >= 0 ? { name: value.slice(0, eq), inline: eq + 1 } : { name: value };
  }
  const short = value.slice(0, 2);
  if (value.length > 2 && VALUE_OPTIONS.has(short)) return { name: short, inline: value[2] === '=' ? 3 : 2 };
  return { name: value };
}

function isUrlOrPath(text: string): boolean {
  if (looksLikeUrl(text)) return true;
  const head = text.split(/[;\s]/)[0];
  if (head.includes('@')) return false;
  return /^[./\\~]/.test(head) || /[/\\]/.test(head) || /^[A-Za-z]:[\\/]/.test(head) || /\.(whl|zip|tar\.gz|tgz|tar\.bz2|tar)$/i.test(head);
}

/**
 * A requirement given as a URL or path (`git+https://…#egg=name`, `./pkg[extra]`, `x.whl`). `base`
 * is the offset of `text`. The name comes from `#egg=` or a wheel file name; unnamed ones get `''`.
 */
export function parseDirectReference(text: string, base: number, section: string): Requirement | ManifestProblem {
  let body = text.trim();
  const lead = text.length - text.trimStart().length;
  const start = base + lead;
  let marker: string | undefined;
  const m = /\s;|;\s/.exec(body);
  if (m) {
    marker = body.slice(m.index + 2).trim() || undefined;
    body = body.slice(0, m.index).trimEnd();
  }
  let extras: string[] = [];
  const ex = /\[([^\]]*)\]$/.exec(body);
  if (ex && !looksLikeUrl(body)) {
    extras = ex[1].split(',').map((e) => e.trim()).filter(Boolean);
    body = body.slice(0, ex.index);
  }
  if (!body) return { span: span(start, start + text.trim().length), message: 'Empty requirement.' };
  const url = urlInfo(body, start);
  let name = '';
  let nameSpan = span(start, start);
  const egg = eggName(body);
  if (egg) {
    const eggText = egg.name.replace(/\[.*$/, '');
    if (isValidName(eggText)) {
      name = eggText;
      nameSpan = span(start + egg.at, start + egg.at + eggText.length);
    }
  }
  const req = makeRequirement(name, nameSpan, span(start, start + text.trim().length), section);
  req.url = url;
  req.extras = extras;
  if (marker) req.marker = marker;
  if (!name) {
    // A wheel's file name starts with its project name and version.
    const path = body.split('#')[0].split('?')[0];
    const file = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
    const whl = /^([A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?)-([^-]+)-.*\.whl$/i.exec(file);
    if (whl) {
      const at = start + path.length - file.length;
      req.name = whl[1];
      req.normalized = makeRequirement(whl[1], nameSpan, nameSpan, section).normalized;
      req.nameSpan = span(at, at + whl[1].length);
    }
  }
  return req;
}

/** A requirement string as pip reads it: a direct reference or a PEP 508 specifier. */
export function parseRequirementLike(text: string, base: number, section: string): Requirement | ManifestProblem {
  return isUrlOrPath(text.trim()) ? parseDirectReference(text, base, section) : parseRequirementString(text, base, section);
}

function addIndex(out: Collected, what: string, url: string, urlSpan: Span, optionSpan: Span): void {
  const kind = INDEX_KINDS[what];
  out.indexes.push({
    kind,
    tool: 'pip',
    url,
    span: urlSpan,
    optionSpan,
    mixesWithDefault: kind === 'extra-index-url' || kind === 'find-links',
  });
}

/**
 * Handles the option `tokens[k]`; returns the index of the next unread token. `hashTarget` collects
 * `--hash` values for the requirement of the same line.
 */
function readOption(tokens: Token[], k: number, out: Collected, section: string, hashes: Requirement['hashes']): number {
  const t = tokens[k];
  const { name, inline } = splitOption(t.value);
  let next = k + 1;
  const optSpan = tokenSpan(t, 0, inline !== undefined ? (t.value[inline - 1] === '=' ? inline - 1 : inline) : t.value.length);
  if (name === '--require-hashes') {
    out.requireHashes = tokenSpan(t);
    return next;
  }
  const what = VALUE_OPTIONS.get(name);
  if (what === undefined) return next; // a flag, or an option pip would reject: nothing to model
  let vt: Token;
  let a: number;
  if (inline !== undefined) {
    vt = t;
    a = inline;
  } else if (k + 1 < tokens.length) {
    vt = tokens[k + 1];
    a = 0;
    next = k + 2;
  } else {
    out.problems.push({ span: tokenSpan(t), message: `\`${name}\` needs a value.` });
    return next;
  }
  const value = vt.value.slice(a);
  const vSpan = tokenSpan(vt, a);
  if (!value) {
    out.problems.push({ span: tokenSpan(t), message: `\`${name}\` needs a value.` });
    return next;
  }
  if (INDEX_KINDS[what]) {
    addIndex(out, what, value, vSpan, optSpan);
  } else if (what === 'requirement' || what === 'constraint') {
    out.includes.push({ kind: what, path: value, span: vSpan });
  } else if (what === 'hash') {
    const m = /^([A-Za-z0-9]+):(.+)$/.exec(value);
    if (m) hashes.push({ algorithm: m[1].toLowerCase(), value: m[2], span: vSpan });
    else out.problems.push({ span: vSpan, message: `\`${value}\` is not a hash (expected \`algorithm:value\`).` });
  } else if (what === 'editable') {
    const r = parseRequirementLike(value, 0, section);
    if (isProblem(r)) out.problems.push({ span: remapSpan(vt, a, r.span), message: r.message });
    else {
      const req = mapSpans(r, (s) => remapSpan(vt, a, s));
      req.editable = true;
      out.requirements.push(req);
    }
  }
  return next;
}

/** Maps a span relative to `token.value.slice(a)` back to the tokenised text. */
function remapSpan(t: Token, a: number, s: Span): Span {
  const lo = a + s.start;
  const hi = a + s.end;
  if (hi <= lo) {
    const p = t.pos[lo] ?? t.end;
    return span(p, p);
  }
  return span(t.pos[lo], t.pos[hi - 1] + 1);
}

const LAUNCHERS = /^(?:pip\d*(?:\.\d+)?|python\d*(?:\.\d+)?|py|-m|uv|uvx|conda|mamba|micromamba|poetry|pipenv|sudo|\{sys\.executable\}|\$\{?\w+\}?|.*[/\\](?:pip|python)\d*(?:\.\d+)?(?:\.exe)?)$/i;

/**
 * Reads pip command-line arguments (`-U "torch>=2" --extra-index-url https://x torchvision`) in
 * `text`, which sits at `base` in the file. A leading `pip install` (or `python -m pip install`) is
 * skipped. Reading stops at a shell operator or a comment.
 */
export function parsePipArguments(
  text: string,
  base: number,
): { requirements: Requirement[]; indexes: IndexDecl[]; problems: ManifestProblem[]; includes: Manifest['includes']; requireHashes?: Span } {
  const out: Collected = { requirements: [], indexes: [], problems: [], includes: [] };
  const { tokens } = shellTokens(text);
  let k = 0;
  const install = tokens.findIndex((t) => t.value === 'install');
  if (install >= 0 && tokens.slice(0, install).every((t) => LAUNCHERS.test(t.value) || t.value.startsWith('-'))) k = install + 1;
  readArguments(tokens, k, out, 'install');
  const shift = (s: Span): Span => span(s.start + base, s.end + base);
  for (const r of out.requirements) mapSpans(r, shift);
  for (const p of out.problems) p.span = shift(p.span);
  for (const x of out.indexes) {
    x.span = shift(x.span);
    if (x.optionSpan) x.optionSpan = shift(x.optionSpan);
  }
  for (const inc of out.includes) inc.span = shift(inc.span);
  if (out.requireHashes) out.requireHashes = shift(out.requireHashes);
  return out;
}

/** Reads words from `tokens[k]` on: options and requirements. Spans stay in token coordinates. */
export function readArguments(tokens: Token[], k: number, out: Collected, section: string): void {
  const hashes: Requirement['hashes'] = [];
  while (k < tokens.length) {
    const t = tokens[k];
    if (t.value.startsWith('-') && t.value.length > 1) {
      k = readOption(tokens, k, out, section, hashes);
      continue;
    }
    k++;
    // Shell and IPython variables (`$PKG`, `{sys.executable}`, f-string fields) are not packages.
    if (!t.value || t.value.startsWith('$') || t.value.includes('{')) continue;
    const r = parseRequirementLike(t.value, 0, section);
    if (isProblem(r)) out.problems.push({ span: remapSpan(t, 0, r.span), message: r.message });
    else out.requirements.push(mapSpans(r, (s) => remapSpan(t, 0, s)));
  }
  for (const h of hashes) out.requirements.at(-1)?.hashes.push(h);
}

/** A logical line of a requirements file: its text and the file offset of each character. */
interface LogicalLine {
  text: string;
  pos: number[];
  /** The first physical line (for problems). */
  lineStart: number;
}

const COMMENT_LINE = /^\s*#/;

/** Joins `\`-continued lines the way pip does (a comment line ends a continuation). */
function logicalLines(text: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let cur: LogicalLine | undefined;
  let at = 0;
  while (at <= text.length) {
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    let end = nl;
    if (end > at && text[end - 1] === '\r') end--;
    const raw = text.slice(at, end);
    const isComment = COMMENT_LINE.test(raw);
    const continued = !isComment && /\\$/.test(raw) && !/(^|\s)#/.test(raw);
    const line: LogicalLine = cur ?? { text: '', pos: [], lineStart: at };
    if (isComment && cur) {
      // pip ends the continuation here; the comment itself adds nothing.
    } else {
      const keep = continued ? raw.replace(/\\+$/, '') : raw;
      for (let i = 0; i < keep.length; i++) {
        line.text += keep[i];
        line.pos.push(at + i);
      }
    }
    if (continued) cur = line;
    else {
      lines.push(line);
      cur = undefined;
    }
    if (nl >= text.length) break;
    at = nl + 1;
  }
  if (cur) lines.push(cur);
  return lines;
}

/** Removes a `#` comment (at the start or after a blank), keeping positions. */
function stripComment(line: LogicalLine): LogicalLine {
  const m = /(^|\s)#/.exec(line.text);
  if (!m) return line;
  const cut = m.index;
  return { text: line.text.slice(0, cut), pos: line.pos.slice(0, cut), lineStart: line.lineStart };
}

/** Reads a pip requirements or constraints file. Never throws. */
export function parseRequirementsFile(text: string, kind: 'requirements' | 'constraints'): Manifest {
  const manifest: Manifest = { kind, requirements: [], indexes: [], includes: [], abstract: false, problems: [] };
  try {
    for (const raw of logicalLines(text)) {
      const line = stripComment(raw);
      if (!line.text.trim()) continue;
      readLine(line, manifest, text);
    }
  } catch (e) {
    manifest.problems.push({ span: span(0, 0), message: `Could not read the file: ${(e as Error).message}` });
  }
  return manifest;
}

/** Maps a span of a logical line to the file. */
function lineSpan(line: LogicalLine, s: Span): Span {
  const end = line.pos.length ? line.pos[line.pos.length - 1] + 1 : line.lineStart;
  if (s.end <= s.start) {
    const p = line.pos[s.start] ?? end;
    return span(p, p);
  }
  return span(line.pos[s.start] ?? end, (line.pos[s.end - 1] ?? end - 1) + 1);
}

function readLine(line: LogicalLine, manifest: Manifest, file: string): void {
  const t = line.text;
  const out: Collected = { requirements: [], indexes: [], problems: [], includes: [] };
  const hashes: Requirement['hashes'] = [];
  const lead = t.length - t.trimStart().length;
  if (t[lead] === '-') {
    const { tokens } = shellTokens(t, lead, t.length, false);
    let k = 0;
    while (k < tokens.length) {
      if (tokens[k].value.startsWith('-')) k = readOption(tokens, k, out, 'install', hashes);
      else {
        out.problems.push({ span: tokenSpan(tokens[k]), message: `Unexpected \`${tokens[k].value}\` after an option.` });
        break;
      }
    }
    for (const h of hashes) out.requirements.at(-1)?.hashes.push(h);
  } else {
    // The requirement runs up to the first word that starts with `-` (per-requirement options).
    const opt = /\s-{1,2}[A-Za-z]/.exec(t);
    const reqText = opt ? t.slice(0, opt.index) : t;
    const r = parseRequirementLike(reqText, 0, 'install');
    if (isProblem(r)) out.problems.push(r);
    else out.requirements.push(r);
    if (opt) {
      const { tokens } = shellTokens(t, opt.index + 1, t.length, false);
      let k = 0;
      while (k < tokens.length) {
        if (tokens[k].value.startsWith('-')) k = readOption(tokens, k, out, 'install', hashes);
        else {
          out.problems.push({ span: tokenSpan(tokens[k]), message: `Unexpected \`${tokens[k].value}\` in the options of a requirement.` });
          k++;
        }
      }
      if (!isProblem(r)) r.hashes.push(...hashes);
    }
  }
  const f = (s: Span): Span => lineSpan(line, s);
  for (const r of out.requirements) manifest.requirements.push(mapSpans(r, f));
  for (const x of out.indexes) {
    x.span = f(x.span);
    if (x.optionSpan) x.optionSpan = f(x.optionSpan);
    manifest.indexes.push(x);
  }
  for (const inc of out.includes) manifest.includes.push({ ...inc, span: f(inc.span) });
  if (out.requireHashes) manifest.requireHashes = f(out.requireHashes);
  // One problem per line: the first one, widened to the line when it has no extent.
  if (out.problems.length) {
    const p = out.problems[0];
    let s = f(p.span);
    if (s.end <= s.start) s = lineSpanAt(file, line.lineStart);
    manifest.problems.push({ span: s, message: p.message });
  }
}

