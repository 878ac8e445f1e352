/**
 * `threatlens scan --cache`: remembers each file's result, keyed by a hash of the file's bytes and
 * of everything else the result depends on, so that a re-scan only analyses what changed.
 *
 * One cache file per combination of engine and options (`scan-<key>.json` in the cache folder):
 * the engine fingerprint (ThreatLens version, rules, and the bytes of the running bundle and of
 * the parser, which hold the rules' code, the threat catalog and the advisory snapshot), the
 * analysis options and the online advisories. Inside, entries are keyed by the file's kind and
 * bytes, plus, for manifests, its display path and the lock file next to it: equal files share an
 * entry, a renamed Python file is still a hit.
 *
 * The file is a header line (format, key, SHA-256 of the rest) and a JSON array of entries, most
 * recently used first, at most `MAX_ENTRIES` (or the size of the last scan when larger). It is
 * written whole, to a temporary file renamed over the old one, and only when a scan added to it.
 * A damaged cache is rebuilt, an unreadable or unwritable one is left alone: each says so once
 * on stderr and the scan goes on without it. Read errors and internal errors are never cached.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES, SEVERITIES, type Advisory, type AnalysisOptions } from '../engine';
import { locateAssets } from '../engine/parser';
import { TOOL_VERSION } from './meta';
import { fileKindOf, isReproducible, manifestInputs, readSource, scanFiles, siblingNames, type FileOutcome, type FileResult, type ScanFilesOptions } from './scan';
import { describeFsError, type SourceFile } from './walk';

/** Bumped whenever the layout of the cache file or of its entries changes. */
export const CACHE_FORMAT = 1;
/** The cache folder, relative to the current directory, unless `--cache-dir` or `THREATLENS_CACHE_DIR` says otherwise. */
export const DEFAULT_CACHE_DIR = '.threatlens-cache';
/** Entries kept in one cache file (more when the last scan alone had more files). */
export const MAX_ENTRIES = 20_000;
/** Cache files (engine and option combinations) kept in a folder; the least recently written go first. */
export const MAX_CACHE_FILES = 4;

const CACHE_FILE = /^scan-[0-9a-f]{16}\.json$/;

/**
 * Where `--cache` keeps its files: `--cache-dir` when given (relative to `cwd`), else
 * `$THREATLENS_CACHE_DIR/scan` (a folder next to the OSV cache, which that variable also moves),
 * else `.threatlens-cache` in `cwd`.
 */
export function scanCacheDir(cwd: string, option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== undefined) return path.resolve(cwd, option);
  const base = env.THREATLENS_CACHE_DIR;
  if (base && base.trim() !== '') return path.resolve(cwd, base, 'scan');
  return path.join(cwd, DEFAULT_CACHE_DIR);
}

function hashFile(hash: Hash, file: string): void {
  hash.update(path.basename(file));
  hash.update(fs.readFileSync(file));
}

let fingerprint: string | undefined;

/**
 * What identifies the analysis engine: a new version, rule, catalog or advisory snapshot, or a
 * new build of any of them, gives a new value. Costs a few milliseconds (hashing the bundle).
 */
export function engineFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash('sha256');
  hash.update(`${TOOL_VERSION}\0`);
  hash.update(JSON.stringify(RULES.map((r) => [r.meta.id, r.meta.name, r.meta.severity, r.meta.threats, r.meta.techniques])));
  // Bundled, this file is dist/cli.js: the engine, the rules, the catalog and the advisory data.
  // From sources (tests) there is no single file to hash, and the lines above have to do.
  if (__filename.endsWith('.js')) hashFile(hash, __filename);
  try {
    const assets = locateAssets();
    hashFile(hash, assets.runtimeWasm);
    hashFile(hash, assets.grammarWasm);
  } catch {
    // No parser: the scan itself will say so.
  }
  return (fingerprint = hash.digest('hex'));
}

/** `value` as JSON with object keys sorted, so that equal options give equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export interface CacheKeyParts {
  /** `engineFingerprint()`, or any other string (tests). */
  readonly engine: string;
  readonly analysis: AnalysisOptions;
  readonly maxFileBytes?: number;
  readonly extraAdvisories?: readonly Advisory[];
}

/** The key of one cache file: everything besides a file's own bytes that a result depends on. */
export function scanCacheKey(parts: CacheKeyParts): string {
  const sorted = (ids: readonly string[] | undefined) => [...new Set(ids ?? [])].sort();
  const analysis = { ...parts.analysis, selectedRules: sorted(parts.analysis.selectedRules), disabledRules: sorted(parts.analysis.disabledRules) };
  return createHash('sha256')
    .update(canonicalJson({ format: CACHE_FORMAT, engine: parts.engine, analysis, maxFileBytes: parts.maxFileBytes ?? null, extraAdvisories: parts.extraAdvisories ?? [] }))
    .digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Checking what was read back

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isPosition = (v: unknown) => isObject(v) && isCount(v.line) && isCount(v.character);
const isRange = (v: unknown) => isObject(v) && isPosition(v.start) && isPosition(v.end);
const isEdit = (v: unknown) => isObject(v) && isRange(v.range) && typeof v.newText === 'string';
const isFix = (v: unknown) => isObject(v) && typeof v.title === 'string' && (v.safety === 'safe' || v.safety === 'unsafe') && Array.isArray(v.edits) && v.edits.every(isEdit);
const isRelated = (v: unknown) => isObject(v) && isRange(v.range) && typeof v.message === 'string';
const isFinding = (v: unknown) =>
  isObject(v) &&
  typeof v.ruleId === 'string' &&
  (SEVERITIES as readonly unknown[]).includes(v.severity) &&
  typeof v.message === 'string' &&
  typeof v.sourceLine === 'string' &&
  isRange(v.range) &&
  Array.isArray(v.fixes) &&
  v.fixes.every(isFix) &&
  Array.isArray(v.related) &&
  v.related.every(isRelated) &&
  (v.cell === undefined || isCount(v.cell));
const isCell = (v: unknown) => isObject(v) && isCount(v.number) && isCount(v.startLine) && isCount(v.lineCount) && Array.isArray(v.magics) && typeof v.source === 'string';
const isProblem = (v: unknown) => isObject(v) && isCount(v.line) && isCount(v.character) && typeof v.message === 'string';

/** A plausible `FileOutcome` (the checksum already rules out damage; this guards against the unexpected). */
function isCachedOutcome(v: unknown): v is FileOutcome {
  if (!isObject(v)) return false;
  if (v.kind === 'error') return typeof v.message === 'string';
  return (
    v.kind === 'scanned' &&
    Array.isArray(v.findings) &&
    v.findings.every(isFinding) &&
    isCount(v.suppressed) &&
    typeof v.hasSyntaxErrors === 'boolean' &&
    (v.notebook === undefined || (isObject(v.notebook) && typeof v.notebook.text === 'string' && Array.isArray(v.notebook.cells) && v.notebook.cells.every(isCell))) &&
    (v.problems === undefined || (Array.isArray(v.problems) && v.problems.every(isProblem)))
  );
}

// ---------------------------------------------------------------------------------------------
// The cache

/** What `ResultCache.check` found for one file. */
export type CacheCheck =
  /** Nothing to analyse: the file is unreadable or too large (never cached). */
  | { readonly kind: 'final'; readonly outcome: FileOutcome }
  | { readonly kind: 'hit'; readonly outcome: FileOutcome }
  /** To analyse; `entry` is where its result goes. */
  | { readonly kind: 'miss'; readonly entry: string };

export interface CacheStats {
  /** Files whose result came from the cache. */
  readonly hits: number;
  /** Files analysed (their results are now in the cache). */
  readonly misses: number;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export class ResultCache {
  /** Entries used or added by this scan, in scan order: they go first when the file is written. */
  private readonly used = new Map<string, FileOutcome>();
  private readonly siblings = new Map<string, string[] | undefined>();
  private added = 0;

  private constructor(
    readonly dir: string,
    readonly key: string,
    readonly file: string,
    private readonly loaded: Map<string, FileOutcome>,
    /** Write even without new entries (the file on disk is damaged or stale). */
    private rewrite: boolean,
    /** The cache could not be read: leave it alone. */
    private readonly disabled: boolean,
    private readonly warn: (message: string) => void,
    private readonly maxEntries: number,
  ) {}

  /**
   * Reads the cache file of `key` in `dir`, if there is one. Never throws; problems go to `warn`.
   * `maxEntries` (default `MAX_ENTRIES`) bounds the entries kept when the file is written.
   */
  static open(dir: string, key: string, warn: (message: string) => void, maxEntries = MAX_ENTRIES): ResultCache {
    const file = path.join(dir, `scan-${key.slice(0, 16)}.json`);
    const open = (entries: Map<string, FileOutcome>, rewrite: boolean, disabled = false) => new ResultCache(dir, key, file, entries, rewrite, disabled, warn, maxEntries);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // No cache yet (or no folder: writing it will tell whether it can exist).
      if (code === 'ENOENT' || code === 'ENOTDIR') return open(new Map(), false);
      warn(`cannot read the result cache ${file}: ${describeFsError(err)}; scanning without it`);
      return open(new Map(), false, true);
    }
    const damaged = (why: string) => {
      warn(`the result cache ${file} is damaged (${why}); it is rebuilt`);
      return open(new Map(), true);
    };
    const newline = text.indexOf('\n');
    let header: unknown;
    try {
      header = JSON.parse(newline < 0 ? text : text.slice(0, newline));
    } catch {
      return damaged('unreadable header');
    }
    if (!isObject(header) || header.threatlens !== 'scan-cache') return damaged('not a ThreatLens cache file');
    // Another format or (very unlikely) another key with the same file name: replace it quietly.
    if (header.format !== CACHE_FORMAT || header.key !== key) return open(new Map(), true);
    const body = newline < 0 ? '' : text.slice(newline + 1);
    if (header.checksum !== sha256(body)) return damaged('checksum mismatch');
    let list: unknown;
    try {
      list = JSON.parse(body);
    } catch {
      return damaged('invalid JSON');
    }
    if (!Array.isArray(list)) return damaged('no entry list');
    const entries = new Map<string, FileOutcome>();
    for (const item of list) {
      if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== 'string' || !isCachedOutcome(item[1])) return damaged('invalid entry');
      entries.set(item[0], item[1]);
    }
    return open(entries, false);
  }

  /** Reads `file` and looks its result up. Never throws. */
  check(file: SourceFile, maxFileBytes?: number): CacheCheck {
    const read = readSource(file, maxFileBytes);
    if ('outcome' in read) return { kind: 'final', outcome: read.outcome };
    const entry = this.entryKey(file, read.bytes);
    const outcome = this.used.get(entry) ?? this.loaded.get(entry);
    if (!outcome) return { kind: 'miss', entry };
    this.used.set(entry, outcome);
    return { kind: 'hit', outcome };
  }

  /** Keeps the result of a missed file (`isReproducible` results only). */
  store(entry: string, outcome: FileOutcome): void {
    if (this.disabled || !isReproducible(outcome)) return;
    this.used.set(entry, outcome);
    this.added++;
  }

  private entryKey(file: SourceFile, bytes: Buffer): string {
    const kind = fileKindOf(file);
    const hash = createHash('sha256').update(`${kind}\0`);
    if (kind === 'manifest' || kind === 'setup-py') {
      // What a manifest's result depends on besides its text: its path and its lock file.
      const dir = path.dirname(file.abs);
      let names = this.siblings.get(dir);
      if (!this.siblings.has(dir)) this.siblings.set(dir, (names = siblingNames(dir)));
      hash.update(`${manifestInputs(file, names)}\0`);
    }
    return hash.update(bytes).digest('hex');
  }

  /**
   * Writes the cache file when this scan added to it: this scan's entries first, then the older
   * ones up to the size limit. Never throws; a failure goes to `warn`.
   */
  save(): void {
    if (this.disabled || (this.added === 0 && !this.rewrite)) return;
    const limit = Math.max(this.maxEntries, this.used.size);
    const entries: [string, FileOutcome][] = [...this.used];
    for (const item of this.loaded) {
      if (entries.length >= limit) break;
      if (!this.used.has(item[0])) entries.push(item);
    }
    const body = JSON.stringify(entries);
    const header = JSON.stringify({ threatlens: 'scan-cache', format: CACHE_FORMAT, key: this.key, checksum: sha256(body), entries: entries.length });
    const temp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      this.makeDir();
      fs.writeFileSync(temp, `${header}\n${body}`);
      fs.renameSync(temp, this.file);
      this.rewrite = false;
      this.added = 0;
    } catch (err) {
      try {
        fs.rmSync(temp, { force: true });
      } catch {
        // There was no temporary file (no folder to put it in).
      }
      this.warn(`cannot write the result cache in ${this.dir}: ${describeFsError(err)}; results were not cached`);
      return;
    }
    this.prune();
  }

  /** Creates the cache folder, marked as a cache for git and backup tools when it is new. */
  private makeDir(): void {
    if (fs.existsSync(this.dir)) return;
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(path.join(this.dir, '.gitignore'), '# Created by threatlens scan --cache: nothing here belongs in version control.\n*\n');
    // https://bford.info/cachedir/
    fs.writeFileSync(path.join(this.dir, 'CACHEDIR.TAG'), 'Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by threatlens.\n');
  }

  /** Deletes the least recently written cache files beyond `MAX_CACHE_FILES` (other engines or options). */
  private prune(): void {
    try {
      const files = fs
        .readdirSync(this.dir)
        .filter((name) => CACHE_FILE.test(name))
        .map((name) => {
          const file = path.join(this.dir, name);
          return { file, mtime: file === this.file ? Infinity : fs.statSync(file).mtimeMs };
        })
        .sort((a, b) => b.mtime - a.mtime);
      for (const { file } of files.slice(MAX_CACHE_FILES)) fs.rmSync(file, { force: true });
    } catch {
      // Old files stay a little longer.
    }
  }
}

/**
 * `scanFiles` with a result cache: every file is read and hashed here; only the ones the cache
 * does not know are analysed (in worker threads or not, as `scanFiles` decides), and when every
 * file hits no engine is created at all. Results come in file order, as from `scanFiles`. The
 * cache file is written at the end.
 */
export async function scanFilesCached(
  files: readonly SourceFile[],
  options: ScanFilesOptions,
  cache: ResultCache,
  onResult?: (result: FileResult) => void,
): Promise<{ results: FileResult[]; stats: CacheStats }> {
  const results: (FileResult | undefined)[] = new Array(files.length);
  const misses: { index: number; entry: string }[] = [];
  let hits = 0;
  files.forEach((file, index) => {
    const check = cache.check(file, options.maxFileBytes);
    if (check.kind === 'miss') misses.push({ index, entry: check.entry });
    else {
      results[index] = { file, outcome: check.outcome };
      if (check.kind === 'hit') hits++;
    }
  });
  let flushed = 0;
  const flush = () => {
    while (flushed < files.length && results[flushed]) {
      // Not `onResult?.(results[flushed++])`: without a callback the increment would be skipped.
      const result = results[flushed++]!;
      onResult?.(result);
    }
  };
  flush();
  let next = 0;
  await scanFiles(
    misses.map((m) => files[m.index]),
    options,
    (result) => {
      const miss = misses[next++];
      results[miss.index] = result;
      cache.store(miss.entry, result.outcome);
      flush();
    },
  );
  cache.save();
  // Complete unless the scan was cancelled.
  return { results: results.filter((r): r is FileResult => r !== undefined), stats: { hits, misses: next } };
}
