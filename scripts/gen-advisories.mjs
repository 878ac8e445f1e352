#!/usr/bin/env node
// Generates threat-catalog/advisories.json from the snapshot of the Python Packaging Advisory
// Database kept in the shared data folder (a sibling of the repository: ../shared/data/advisories,
// or $THREATLENS_SHARED/data/advisories, or --source <dir>).
//
//   node scripts/gen-advisories.mjs                  write threat-catalog/advisories.json
//   node scripts/gen-advisories.mjs --check          exit 1 when the committed file differs from the generated one
//   node scripts/gen-advisories.mjs --source <dir>   read <dir>/vulns/<package>/*.yaml (or <dir>/<package>/*.yaml)
//   node scripts/gen-advisories.mjs --out <file>     write (or check) <file> instead
//
// Only facts are kept from each OSV record: the id, the CVE/GHSA aliases, the dates, the ECOSYSTEM
// version ranges of each PyPI package (events turned into intervals), the fixed versions and a CVSS v3
// vector when the record has one. The advisories' prose (`details`, `summary`) and references are
// not copied; the OSV page of an advisory is derived from its id. Withdrawn advisories are kept with
// their `withdrawn` date so the lookup can ignore them and say why.
// The output is deterministic (no clock time, everything sorted) so --check can compare it byte for
// byte: one advisory per line, packages and advisories in a fixed order.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { compare as pepCompare, valid as pepValid } from '@renovatebot/pep440';
import { parse as parseYaml } from 'yaml';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const defaultOut = join(repoRoot, 'threat-catalog', 'advisories.json');

const UPSTREAM = 'https://github.com/pypa/advisory-database';
const SOURCE_NAME = 'Python Packaging Advisory Database';
const ATTRIBUTION = `${SOURCE_NAME}, ${UPSTREAM}, licensed under CC-BY-4.0`;

class InputError extends Error {}

function fail(message) {
  throw new InputError(message);
}

function args(argv) {
  const out = { check: false, source: undefined, out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') out.check = true;
    else if (a === '--source' || a === '--out') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) fail(`${a} needs a path`);
      out[a.slice(2)] = resolve(value);
    } else fail(`unknown argument ${a} (expected --check, --source <dir>, --out <file>)`);
  }
  return out;
}

/** PEP 503 name normalisation, as in server/src/engine/deps/types.ts. */
function normalizeName(name) {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Code-point order, independent of the locale. */
function byString(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `PYSEC-2021-18` before `PYSEC-2021-142`: digit runs compare as numbers, the rest by code point. */
function byId(a, b) {
  const x = a.match(/\d+|\D+/g) ?? [];
  const y = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const nx = /^\d/.test(x[i]);
    const ny = /^\d/.test(y[i]);
    const c = nx && ny ? Number(x[i]) - Number(y[i]) || byString(x[i], y[i]) : byString(x[i], y[i]);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

/** PEP 440 order; `0` (OSV's "from the first version") sorts first. */
function byVersion(a, b) {
  if (a === b) return 0;
  if (a === '0') return -1;
  if (b === '0') return 1;
  return pepCompare(a, b);
}

function sortedVersions(values) {
  const unique = [];
  for (const v of [...values].sort(byVersion)) {
    if (unique.length === 0 || byVersion(unique[unique.length - 1], v) !== 0) unique.push(v);
  }
  return unique;
}

/** `2020-02-19T04:15:00Z` → `2020-02-19`. */
function day(value, where) {
  if (value === undefined || value === null) return undefined;
  const text = value instanceof Date ? value.toISOString() : String(value);
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(text);
  if (!m) fail(`${where}: not a date: ${JSON.stringify(text)}`);
  return m[1];
}

function version(value, where) {
  const text = String(value);
  if (pepValid(text) === null) fail(`${where}: not a PEP 440 version: ${JSON.stringify(text)}`);
  return text;
}

/**
 * OSV events → intervals. Events are evaluated in version order: `introduced` opens an interval,
 * `fixed` closes it (exclusive) and `last_affected` closes it (inclusive); an interval still open at
 * the end has no upper bound. `introduced: "0"` is stored as a missing `introduced`. `limit` events
 * only concern GIT ranges and are ignored. (server/src/engine/deps/osv.ts does the same for online
 * records.)
 */
function intervals(events, where) {
  const list = [];
  for (const event of events ?? []) {
    for (const kind of ['introduced', 'fixed', 'last_affected']) {
      if (event?.[kind] === undefined) continue;
      const v = String(event[kind]);
      list.push({ kind, version: kind === 'introduced' && v === '0' ? '0' : version(v, `${where} ${kind}`) });
    }
  }
  list.sort((a, b) => byVersion(a.version, b.version));
  const out = [];
  let open;
  for (const { kind, version: v } of list) {
    if (kind === 'introduced') {
      open ??= v;
    } else if (open !== undefined) {
      const range = open === '0' ? {} : { introduced: open };
      range[kind] = v;
      out.push(range);
      open = undefined;
    }
  }
  if (open !== undefined) out.push(open === '0' ? {} : { introduced: open });
  return out;
}

function rangeKey(r) {
  return `${r.introduced ?? '0'}|${r.fixed ?? ''}|${r.last_affected ?? ''}`;
}

/** The CVSS v3 vector of a record, if it has one (PyPA records rarely do). */
function cvssVector(doc) {
  for (const s of Array.isArray(doc.severity) ? doc.severity : []) {
    if (s?.type === 'CVSS_V3' && typeof s.score === 'string' && /^CVSS:3\.[01]\//.test(s.score)) return s.score;
  }
  return undefined;
}

/** One OSV record → { package name → advisory } for each PyPI package it affects. */
function convert(doc, where) {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail(`${where}: not a YAML mapping`);
  if (typeof doc.id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(doc.id)) {
    fail(`${where}: missing or malformed id ${JSON.stringify(doc.id)}`);
  }
  if (!Array.isArray(doc.affected)) fail(`${where}: no affected list`);
  const aliases = [...new Set((doc.aliases ?? []).map(String))].filter((a) => a !== doc.id).sort(byString);
  const modified = day(doc.modified, `${where} modified`);
  // Three PyPA records have no `published`; their `modified` date stands in for it.
  const published = day(doc.published, `${where} published`) ?? modified;
  if (published === undefined) fail(`${where}: neither published nor modified`);
  const withdrawn = day(doc.withdrawn, `${where} withdrawn`);
  const cvss = cvssVector(doc);

  const byPackage = new Map();
  for (const [n, affected] of doc.affected.entries()) {
    const pkg = affected?.package;
    if (pkg?.ecosystem !== 'PyPI' || typeof pkg.name !== 'string') continue;
    const name = normalizeName(pkg.name);
    const entry = byPackage.get(name) ?? { ranges: [], versions: [], hasEcosystemRange: false };
    for (const range of affected.ranges ?? []) {
      if (range?.type !== 'ECOSYSTEM') continue;
      entry.hasEcosystemRange = true;
      entry.ranges.push(...intervals(range.events, `${where} affected[${n}]`));
    }
    for (const v of affected.versions ?? []) entry.versions.push(String(v));
    byPackage.set(name, entry);
  }

  const out = new Map();
  for (const [name, entry] of byPackage) {
    const seen = new Set();
    const ranges = entry.ranges
      .filter((r) => !seen.has(rangeKey(r)) && seen.add(rangeKey(r)))
      .sort((a, b) => byVersion(a.introduced ?? '0', b.introduced ?? '0') || byString(rangeKey(a), rangeKey(b)));
    const advisory = { id: doc.id, aliases, published };
    if (modified !== undefined) advisory.modified = modified;
    if (withdrawn !== undefined) advisory.withdrawn = withdrawn;
    advisory.ranges = ranges;
    // The explicit version list is only needed when there is no range to check against.
    if (!entry.hasEcosystemRange) {
      advisory.versions = sortedVersions(entry.versions.filter((v) => pepValid(v) !== null));
    }
    advisory.fixed = sortedVersions(ranges.flatMap((r) => (r.fixed === undefined ? [] : [r.fixed])));
    if (cvss !== undefined) advisory.cvss = cvss;
    out.set(name, advisory);
  }
  return out;
}

/** The folder holding `<package>/*.yaml`, and the folder of the README/LICENSE. */
function locate(sourceArg) {
  let base;
  if (sourceArg) base = sourceArg;
  else if (process.env.THREATLENS_SHARED) base = join(resolve(process.env.THREATLENS_SHARED), 'data', 'advisories');
  else base = resolve(repoRoot, '..', 'shared', 'data', 'advisories');
  const vulns = existsSync(join(base, 'vulns')) ? join(base, 'vulns') : base;
  const meta = vulns === base ? dirname(base) : base;
  return { base, vulns, meta, explicit: Boolean(sourceArg) };
}

function listFiles(vulns) {
  const files = [];
  for (const dir of readdirSync(vulns).sort(byString)) {
    const full = join(vulns, dir);
    if (!statSync(full).isDirectory()) continue;
    for (const f of readdirSync(full).sort(byString)) {
      if (/\.ya?ml$/.test(f)) files.push(join(full, f));
    }
  }
  return files;
}

/** Snapshot date and upstream commit, from the README of the snapshot when it says so. */
function readMeta(meta) {
  const readme = join(meta, 'README.md');
  if (!existsSync(readme)) return {};
  const text = readFileSync(readme, 'utf8');
  const commit = /\bCommit:\s*`?([0-9a-f]{40})`?/i.exec(text)?.[1];
  const date = /\bCommit date:\s*(\d{4}-\d{2}-\d{2})/i.exec(text)?.[1];
  return { commit, date };
}

function generate(where) {
  const files = listFiles(where.vulns);
  if (files.length === 0) fail(`no advisory files (<package>/*.yaml) under ${where.vulns}`);
  const hash = createHash('sha256');
  const packages = new Map();
  let newest = '';
  for (const file of files) {
    const rel = relative(where.vulns, file).split('\\').join('/');
    const text = readFileSync(file, 'utf8');
    hash.update(`${rel}\0${text}\0`);
    let doc;
    try {
      // Failsafe schema: every scalar stays a string, so `1.10` is never read as the number 1.1.
      doc = parseYaml(text, { schema: 'failsafe' });
    } catch (err) {
      fail(`${rel}: not valid YAML (${err.message})`);
    }
    for (const [name, advisory] of convert(doc, rel)) {
      const list = packages.get(name) ?? [];
      const clash = list.find((a) => a.id === advisory.id);
      if (clash) fail(`${rel}: advisory ${advisory.id} appears twice for ${name}`);
      list.push(advisory);
      packages.set(name, list);
      if ((advisory.modified ?? '') > newest) newest = advisory.modified;
    }
  }
  const meta = readMeta(where.meta);
  const snapshot = meta.date ?? newest;
  if (!snapshot) fail('cannot tell the snapshot date (no "Commit date:" in README.md and no modified dates)');

  const names = [...packages.keys()].sort(byString);
  const all = names.flatMap((n) => packages.get(n));
  const source = { name: SOURCE_NAME, url: UPSTREAM };
  if (meta.commit) source.commit = meta.commit;
  source.license = 'CC-BY-4.0';
  source.attribution = ATTRIBUTION;
  const header = {
    $schema: './schema/advisories.schema.json',
    source,
    snapshot,
    generated: { by: 'scripts/gen-advisories.mjs', inputFiles: files.length, inputSha256: hash.digest('hex') },
    counts: {
      packages: names.length,
      advisories: all.length,
      ids: new Set(all.map((a) => a.id)).size,
      cves: new Set(all.flatMap((a) => a.aliases.filter((x) => x.startsWith('CVE-')))).size,
      withdrawn: all.filter((a) => a.withdrawn !== undefined).length,
    },
  };
  // Hand-made layout: one line per header field and per advisory, so diffs stay readable.
  const lines = ['{'];
  for (const [key, value] of Object.entries(header)) lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)},`);
  lines.push('  "packages": {');
  names.forEach((name, i) => {
    const list = packages.get(name).sort((a, b) => byId(a.id, b.id));
    lines.push(`    ${JSON.stringify(name)}: [`);
    list.forEach((a, j) => lines.push(`      ${JSON.stringify(a)}${j < list.length - 1 ? ',' : ''}`));
    lines.push(`    ]${i < names.length - 1 ? ',' : ''}`);
  });
  lines.push('  }', '}');
  return `${lines.join('\n')}\n`;
}

function firstDifference(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return { line: i + 1, committed: x[i], generated: y[i] };
  }
  return undefined;
}

function clip(line) {
  if (line === undefined) return '(end of file)';
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}

function main() {
  const opts = args(process.argv.slice(2));
  const where = locate(opts.source);
  const outFile = opts.out ?? defaultOut;
  const shown = relative(process.cwd(), outFile) || outFile;
  if (!existsSync(where.vulns) || !statSync(where.vulns).isDirectory()) {
    // Like gen-atlas: a check run on a machine without the shared folder has nothing to compare.
    if (opts.check && !where.explicit) {
      console.log('gen-advisories: shared data not found, skipping (set THREATLENS_SHARED or pass --source to check)');
      return 0;
    }
    console.error(
      `gen-advisories: advisory source folder not found: ${where.base} (pass --source <dir> or set THREATLENS_SHARED)`,
    );
    return 1;
  }
  const generated = generate(where);
  if (!opts.check) {
    writeFileSync(outFile, generated);
    console.log(`gen-advisories: wrote ${shown}`);
    return 0;
  }
  const committed = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
  if (committed === generated) {
    console.log(`gen-advisories: ${shown} is up to date`);
    return 0;
  }
  const diff = firstDifference(committed, generated);
  const cmd = ['node scripts/gen-advisories.mjs', opts.source ? ` --source ${opts.source}` : '', opts.out ? ` --out ${opts.out}` : ''];
  console.error(`gen-advisories: ${shown} is out of date; run: ${cmd.join('')}`);
  if (diff) {
    console.error(`  first difference at line ${diff.line}`);
    console.error(`  committed: ${clip(diff.committed)}`);
    console.error(`  generated: ${clip(diff.generated)}`);
  }
  return 1;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`gen-advisories: ${err instanceof InputError ? err.message : (err?.stack ?? err)}`);
  process.exitCode = 2;
}
