/**
 * Optional online lookup of advisories in OSV (https://osv.dev), for packages and versions newer
 * than the offline snapshot. Off unless the caller asks for it: nothing here runs by itself.
 *
 * One lookup = one `POST /v1/querybatch` (repeated for paginated answers) and one
 * `GET /v1/vulns/{id}` per advisory not already cached, at most `CONCURRENCY` at a time, all under
 * a single time limit. Answers are cached (in memory, and on disk when `cacheDir` is given: one JSON
 * file per `package@version` query and per advisory id). Nothing throws: on a network error, a bad
 * answer or the time limit, the result holds what the cache had (stale entries included) and an
 * `error` text for the user.
 *
 * Plain TypeScript: no editor or LSP import.
 */

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { AdvisoryDb, severityOfVector, type Advisory, type AdvisoryRange, type AdvisorySeverity } from './advisories';
import { normalizeName } from './types';
import { compareVersions, isValidVersion } from './versions';

export interface OsvOptions {
  /** Default: `$THREATLENS_OSV_URL` when set (a mirror), else `https://api.osv.dev`. */
  baseUrl?: string;
  /** Time limit for the whole lookup, default 4000 ms. */
  timeoutMs?: number;
  /** On-disk JSON cache; without it answers are only kept in memory for this process. */
  cacheDir?: string;
  /** How long a cached answer is used without asking again, default 24 h. */
  ttlMs?: number;
  /** `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
}

export interface OsvResult {
  advisories: Advisory[];
  /** Queries (`package@version`) answered from the network, from the cache, or not at all. */
  online: number;
  cached: number;
  failed: number;
  /** Why part of the lookup failed, e.g. `timed out after 4000 ms; used the offline snapshot of 2024-10-10`. */
  error?: string;
}

const DEFAULT_BASE = 'https://api.osv.dev';
const DEFAULT_TIMEOUT = 4000;
const DEFAULT_TTL = 24 * 60 * 60 * 1000;
const CONCURRENCY = 6;
/** A querybatch answer can be paginated; follow at most this many pages. */
const MAX_PAGES = 20;

/** `$XDG_CACHE_HOME/threatlens/osv`, or `~/.cache/threatlens/osv`. */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.trim() !== '' ? xdg : join(homedir(), '.cache'), 'threatlens', 'osv');
}

// ---------------------------------------------------------------------------------------------
// Cache

interface CacheEntry<T> {
  at: number;
  value: T;
}

/** What querybatch said about one package@version: the advisory ids and their `modified` stamps. */
type QueryAnswer = { id: string; modified?: string }[];

/** Entries kept for the life of the process, per base URL, when there is no cache folder. */
const memory = new Map<string, CacheEntry<unknown>>();

function safeFile(key: string): string {
  return `${encodeURIComponent(key).replace(/[*]/g, '%2A')}.json`;
}

class Cache {
  constructor(
    private readonly baseUrl: string,
    private readonly dir: string | undefined,
  ) {}

  private file(kind: 'queries' | 'vulns', key: string): string {
    return join(this.dir!, kind, safeFile(key));
  }

  async get<T>(kind: 'queries' | 'vulns', key: string, valid: (v: unknown) => v is T): Promise<CacheEntry<T> | undefined> {
    let entry: unknown;
    if (this.dir === undefined) entry = memory.get(`${this.baseUrl}\0${kind}\0${key}`);
    else {
      try {
        entry = JSON.parse(await readFile(this.file(kind, key), 'utf8'));
      } catch {
        return undefined; // missing or corrupted: as if not cached
      }
    }
    if (!entry || typeof entry !== 'object') return undefined;
    const { at, value } = entry as { at?: unknown; value?: unknown };
    if (typeof at !== 'number' || !Number.isFinite(at) || !valid(value)) return undefined;
    return { at, value };
  }

  async put(kind: 'queries' | 'vulns', key: string, value: unknown): Promise<void> {
    const entry = { at: Date.now(), value };
    if (this.dir === undefined) {
      memory.set(`${this.baseUrl}\0${kind}\0${key}`, entry);
      return;
    }
    try {
      await mkdir(join(this.dir, kind), { recursive: true });
      const target = this.file(kind, key);
      const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(temp, JSON.stringify(entry));
      await rename(temp, target);
    } catch {
      // A cache that cannot be written only costs a request next time.
    }
  }
}

function isQueryAnswer(v: unknown): v is QueryAnswer {
  return (
    Array.isArray(v) &&
    v.every(
      (x) =>
        x && typeof x === 'object' && typeof x.id === 'string' && (x.modified === undefined || typeof x.modified === 'string'),
    )
  );
}

function isRecord(v: unknown): v is OsvRecord {
  return !!v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string';
}

// ---------------------------------------------------------------------------------------------
// OSV records → Advisory

interface OsvEvent {
  introduced?: unknown;
  fixed?: unknown;
  last_affected?: unknown;
  limit?: unknown;
}
interface OsvRecord {
  id: string;
  aliases?: unknown;
  published?: unknown;
  modified?: unknown;
  withdrawn?: unknown;
  affected?: {
    package?: { name?: unknown; ecosystem?: unknown };
    ranges?: { type?: unknown; events?: unknown }[];
    versions?: unknown;
  }[];
  severity?: { type?: unknown; score?: unknown }[];
  database_specific?: { severity?: unknown };
}

function day(v: unknown): string | undefined {
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : undefined;
}

function byVersion(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '0') return -1;
  if (b === '0') return 1;
  return compareVersions(a, b);
}

/**
 * OSV events → intervals, as scripts/gen-advisories.mjs does for the offline data: in version
 * order, `introduced` opens an interval, `fixed` (exclusive) or `last_affected` (inclusive) closes
 * it; one still open has no end. Events with versions that are not PEP 440 are skipped.
 */
export function eventsToRanges(events: unknown): AdvisoryRange[] {
  const list: { kind: 'introduced' | 'fixed' | 'last_affected'; version: string }[] = [];
  for (const e of Array.isArray(events) ? (events as OsvEvent[]) : []) {
    for (const kind of ['introduced', 'fixed', 'last_affected'] as const) {
      const v = e?.[kind];
      if (typeof v !== 'string') continue;
      if (kind === 'introduced' && v === '0') list.push({ kind, version: '0' });
      else if (isValidVersion(v)) list.push({ kind, version: v });
    }
  }
  list.sort((a, b) => byVersion(a.version, b.version));
  const out: AdvisoryRange[] = [];
  let open: string | undefined;
  for (const { kind, version } of list) {
    if (kind === 'introduced') open ??= version;
    else if (open !== undefined) {
      out.push({ ...(open === '0' ? {} : { introduced: open }), [kind]: version });
      open = undefined;
    }
  }
  if (open !== undefined) out.push(open === '0' ? {} : { introduced: open });
  return out;
}

function uniqueVersions(values: string[]): string[] {
  const out: string[] = [];
  for (const v of [...values].sort(compareVersions)) {
    if (out.length === 0 || compareVersions(out[out.length - 1], v) !== 0) out.push(v);
  }
  return out;
}

const LEVELS: Record<string, AdvisorySeverity['level']> = {
  LOW: 'low',
  MODERATE: 'medium',
  MEDIUM: 'medium',
  HIGH: 'high',
  CRITICAL: 'critical',
};

function severityOf(record: OsvRecord): AdvisorySeverity | undefined {
  for (const s of Array.isArray(record.severity) ? record.severity : []) {
    if (s?.type === 'CVSS_V3' && typeof s.score === 'string') {
      const sev = severityOfVector(s.score);
      if (sev) return sev;
    }
  }
  const named = record.database_specific?.severity;
  if (typeof named === 'string' && Object.hasOwn(LEVELS, named.toUpperCase())) return { level: LEVELS[named.toUpperCase()] };
  return undefined;
}

/** The part of an OSV record about one PyPI package, or undefined when it does not name it. */
export function osvToAdvisory(record: unknown, pkg: string): Advisory | undefined {
  if (!isRecord(record)) return undefined;
  const name = normalizeName(pkg);
  const ranges: AdvisoryRange[] = [];
  const versions: string[] = [];
  let mentioned = false;
  let hasRanges = false;
  for (const affected of Array.isArray(record.affected) ? record.affected : []) {
    const p = affected?.package;
    if (p?.ecosystem !== 'PyPI' || typeof p.name !== 'string' || normalizeName(p.name) !== name) continue;
    mentioned = true;
    for (const r of Array.isArray(affected.ranges) ? affected.ranges : []) {
      if (r?.type !== 'ECOSYSTEM') continue;
      hasRanges = true;
      for (const x of eventsToRanges(r.events)) {
        if (!ranges.some((y) => y.introduced === x.introduced && y.fixed === x.fixed && y.last_affected === x.last_affected)) {
          ranges.push(x);
        }
      }
    }
    if (Array.isArray(affected.versions)) {
      for (const v of affected.versions) if (typeof v === 'string' && isValidVersion(v)) versions.push(v);
    }
  }
  if (!mentioned) return undefined;
  const modified = day(record.modified);
  const aliases = Array.isArray(record.aliases)
    ? [...new Set(record.aliases.filter((a): a is string => typeof a === 'string' && a !== record.id))].sort()
    : [];
  const advisory: Advisory = {
    id: record.id,
    aliases,
    package: name,
    published: day(record.published) ?? modified ?? '',
    ranges: ranges.sort((a, b) => byVersion(a.introduced ?? '0', b.introduced ?? '0')),
    fixed: uniqueVersions(ranges.flatMap((r) => (r.fixed === undefined ? [] : [r.fixed]))),
    source: 'osv',
  };
  if (modified !== undefined) advisory.modified = modified;
  const withdrawn = day(record.withdrawn);
  if (withdrawn !== undefined) advisory.withdrawn = withdrawn;
  if (!hasRanges) advisory.versions = uniqueVersions(versions);
  const severity = severityOf(record);
  if (severity) advisory.severity = severity;
  return advisory;
}

// ---------------------------------------------------------------------------------------------
// The lookup

class LookupError extends Error {}

function describeFailure(err: unknown, timedOut: boolean, timeoutMs: number, baseUrl: string): string {
  if (timedOut) return `timed out after ${timeoutMs} ms`;
  if (err instanceof LookupError) return err.message;
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return `could not reach ${baseUrl}${code}`;
}

async function requestJson(
  doFetch: typeof fetch,
  url: string,
  signal: AbortSignal,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const init: RequestInit = body === undefined
    ? { method: 'GET', signal, headers: { accept: 'application/json' } }
    : {
        method: 'POST',
        signal,
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      };
  const response = await doFetch(url, init);
  const text = await response.text();
  if (response.status === 404 && body === undefined) return { status: 404, json: undefined };
  if (!response.ok) throw new LookupError(`OSV answered HTTP ${response.status} to ${new URL(url).pathname}`);
  try {
    return { status: response.status, json: JSON.parse(text) };
  } catch {
    throw new LookupError(`OSV sent an answer that is not JSON (${new URL(url).pathname})`);
  }
}

/** Runs `task` over `items`, at most `limit` at a time; stops starting new ones after a failure. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++];
      try {
        await task(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}

interface Query {
  key: string;
  name: string;
  version: string;
  answer?: QueryAnswer;
  /** `network`, `cache` (fresh), `stale` (expired but kept in case the network fails). */
  from?: 'network' | 'cache' | 'stale';
}

/**
 * Asks OSV which advisories affect each `name@version` (PyPI), using and filling the cache.
 * Returns every advisory found, one per (package, id), as `source: 'osv'`.
 */
export async function lookupOsv(queries: { name: string; version: string }[], options: OsvOptions = {}): Promise<OsvResult> {
  const baseUrl = (options.baseUrl ?? (process.env.THREATLENS_OSV_URL || DEFAULT_BASE)).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT;
  const ttlMs = options.ttlMs ?? DEFAULT_TTL;
  const doFetch = options.fetch ?? globalThis.fetch;
  const cache = new Cache(baseUrl, options.cacheDir);
  const now = Date.now();
  const fresh = (at: number) => now - at >= 0 && now - at < ttlMs;

  // One query per normalised package@version.
  const byKey = new Map<string, Query>();
  for (const q of queries) {
    const name = normalizeName(q.name.trim());
    const version = q.version.trim();
    if (name === '' || version === '') continue;
    const key = `${name}@${version}`;
    if (!byKey.has(key)) byKey.set(key, { key, name, version });
  }
  const all = [...byKey.values()];

  const records = new Map<string, OsvRecord>();
  const staleRecords = new Map<string, OsvRecord>();
  let error: string | undefined;

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  timer.unref?.();
  // The whole lookup races the timer, so even a `fetch` that ignores the signal cannot hold it up.
  const deadline = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
  deadline.catch(() => undefined);

  const network = async () => {
    for (const q of all) {
      const hit = await cache.get('queries', q.key, isQueryAnswer);
      if (hit) {
        q.answer = hit.value;
        q.from = fresh(hit.at) ? 'cache' : 'stale';
      }
    }

    // 1. querybatch for the queries without a fresh cached answer, following page tokens.
    const asking = all.filter((q) => q.from !== 'cache');
    const collected = new Map<Query, QueryAnswer>(asking.map((q) => [q, []]));
    let pending: { q: Query; token?: string }[] = asking.map((q) => ({ q }));
    for (let page = 0; pending.length > 0; page++) {
      if (page >= MAX_PAGES) throw new LookupError(`OSV kept paginating after ${MAX_PAGES} pages`);
      const body = {
        queries: pending.map(({ q, token }) => ({
          package: { name: q.name, ecosystem: 'PyPI' },
          version: q.version,
          ...(token !== undefined ? { page_token: token } : {}),
        })),
      };
      const { json } = await requestJson(doFetch, `${baseUrl}/v1/querybatch`, controller.signal, body);
      const results = (json as { results?: unknown })?.results;
      if (!Array.isArray(results) || results.length !== pending.length) {
        throw new LookupError('OSV sent a querybatch answer of the wrong shape');
      }
      const next: { q: Query; token?: string }[] = [];
      results.forEach((r: unknown, i: number) => {
        const { q } = pending[i];
        const vulns = (r as { vulns?: unknown })?.vulns;
        const list = collected.get(q)!;
        if (Array.isArray(vulns)) {
          for (const v of vulns) {
            if (v && typeof v.id === 'string' && !list.some((x) => x.id === v.id)) {
              list.push(typeof v.modified === 'string' ? { id: v.id, modified: v.modified } : { id: v.id });
            }
          }
        }
        const token = (r as { next_page_token?: unknown })?.next_page_token;
        if (typeof token === 'string' && token !== '') next.push({ q, token });
      });
      pending = next;
    }
    for (const [q, answer] of collected) {
      q.answer = answer;
      q.from = 'network';
      await cache.put('queries', q.key, answer);
    }

    // 2. The advisory records: from the cache when fresh (or unchanged since), else from OSV.
    const wanted = new Map<string, string | undefined>();
    for (const q of all) for (const v of q.answer ?? []) if (!wanted.has(v.id)) wanted.set(v.id, v.modified);
    const missing: string[] = [];
    for (const [id, modified] of wanted) {
      const hit = await cache.get('vulns', id, isRecord);
      if (hit && (fresh(hit.at) || (modified !== undefined && hit.value.modified === modified))) records.set(id, hit.value);
      else {
        if (hit) staleRecords.set(id, hit.value);
        missing.push(id);
      }
    }
    await pool(missing, CONCURRENCY, async (id) => {
      const { status, json } = await requestJson(
        doFetch,
        `${baseUrl}/v1/vulns/${encodeURIComponent(id)}`,
        controller.signal,
      );
      if (status === 404) return; // gone since the batch answer: nothing to report
      if (!isRecord(json)) throw new LookupError(`OSV sent a malformed record for ${id}`);
      records.set(id, json);
      await cache.put('vulns', id, json);
    });
  };

  try {
    await Promise.race([network(), deadline]);
  } catch (err) {
    error = describeFailure(err, timedOut, timeoutMs, baseUrl);
    // Whatever was cached, however old, is better than nothing. Read it again: the lookup may
    // have stopped before reaching the record cache.
    try {
      for (const q of all) {
        if (q.answer === undefined) {
          const hit = await cache.get('queries', q.key, isQueryAnswer);
          if (hit) {
            q.answer = hit.value;
            q.from = 'stale';
          }
        }
        for (const v of q.answer ?? []) {
          if (records.has(v.id)) continue;
          const stale = staleRecords.get(v.id) ?? (await cache.get('vulns', v.id, isRecord))?.value;
          if (stale) records.set(v.id, stale);
        }
      }
    } catch {
      // the cache is a best effort
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }

  const advisories: Advisory[] = [];
  let online = 0;
  let cached = 0;
  let failed = 0;
  for (const q of all) {
    const complete = q.answer !== undefined && q.answer.every((v) => records.has(v.id) || !error);
    if (q.answer === undefined || !complete) failed++;
    else if (q.from === 'network') online++;
    else cached++;
    for (const v of q.answer ?? []) {
      const record = records.get(v.id);
      const advisory = record && osvToAdvisory(record, q.name);
      if (advisory && !advisories.some((a) => a.id === advisory.id && a.package === advisory.package)) {
        advisories.push(advisory);
      }
    }
  }
  if (error !== undefined) {
    const snapshot = AdvisoryDb.bundled().snapshot;
    error += cached > 0 ? `; used cached OSV answers and the offline snapshot of ${snapshot}` : `; used the offline snapshot of ${snapshot}`;
  }
  return { advisories, online, cached, failed, ...(error !== undefined ? { error } : {}) };
}
