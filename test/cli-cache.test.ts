/**
 * The scan result cache (server/src/cli/cache.ts) and the thread pool of `scanFiles` with the main
 * thread scanning too (server/src/cli/scan.ts), in process. The CLI end of both (`--cache`,
 * `--jobs`) is tested through the built CLI in cli.test.ts.
 *
 *   node --import tsx --test test/cli-cache.test.ts
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, type Advisory } from '../server/src/engine';
import { MAX_CACHE_FILES, ResultCache, scanCacheDir, scanCacheKey, scanFilesCached, type CacheStats } from '../server/src/cli/cache';
import { scanFiles, type FileResult } from '../server/src/cli/scan';
import type { SourceFile } from '../server/src/cli/walk';
import { bundledScanFiles, type ScanFiles } from './helpers';

const PICKLE = 'import pickle\npickle.loads(b)\n';
const TORCH = 'import torch\nmodel = torch.load("model.pt")\n';
const CLEAN = 'import json\nprint(json.loads("{}"))\n';

const temps: string[] = [];
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'threatlens-cache-test-')));
  temps.push(dir);
  return dir;
}

/** Writes `files` (relative path → text) into a new folder and returns them as scan input, in that order. */
function sources(files: Record<string, string>): { dir: string; list: SourceFile[] } {
  const dir = tempDir();
  const list = Object.entries(files).map(([rel, text]) => {
    const abs = path.join(dir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
    return { abs, display: rel };
  });
  return { dir, list };
}

const key = (engine: string) => scanCacheKey({ engine, analysis: {} });

async function cachedScan(list: SourceFile[], dir: string, cacheKey: string, maxEntries?: number): Promise<{ results: FileResult[]; stats: CacheStats; warnings: string[] }> {
  const warnings: string[] = [];
  const cache = ResultCache.open(dir, cacheKey, (m) => warnings.push(m), maxEntries);
  const { results, stats } = await scanFilesCached(list, { analysis: {}, jobs: 1 }, cache);
  return { results, stats, warnings };
}

/** Results as JSON (what the reports are made of): `undefined` fields drop out, as in the cache. */
const plain = (results: FileResult[]) => JSON.parse(JSON.stringify(results)) as unknown;

const cacheFiles = (dir: string) => fs.readdirSync(dir).filter((f) => /^scan-[0-9a-f]{16}\.json$/.test(f));

describe('scanCacheKey', () => {
  it('changes with the engine and every option that changes results, not with their order', () => {
    const base = scanCacheKey({ engine: 'v1', analysis: { selectedRules: ['TL101', 'TL108'], disabledRules: ['TL203'] } });
    assert.equal(scanCacheKey({ engine: 'v1', analysis: { disabledRules: ['TL203'], selectedRules: ['TL108', 'TL101'] } }), base);
    const advisory = { id: 'GHSA-test', package: 'x' } as unknown as Advisory;
    const others = [
      scanCacheKey({ engine: 'v2', analysis: { selectedRules: ['TL101', 'TL108'], disabledRules: ['TL203'] } }),
      scanCacheKey({ engine: 'v1', analysis: { selectedRules: ['TL101'], disabledRules: ['TL203'] } }),
      scanCacheKey({ engine: 'v1', analysis: { selectedRules: ['TL101', 'TL108'] } }),
      scanCacheKey({ engine: 'v1', analysis: { selectedRules: ['TL101', 'TL108'], disabledRules: ['TL203'], honorNosec: false } }),
      scanCacheKey({ engine: 'v1', analysis: { selectedRules: ['TL101', 'TL108'], disabledRules: ['TL203'], severityOverrides: { TL101: 'low' } } }),
      scanCacheKey({ engine: 'v1', analysis: { selectedRules: ['TL101', 'TL108'], disabledRules: ['TL203'] }, extraAdvisories: [advisory] }),
      scanCacheKey({ engine: 'v1', analysis: { selectedRules: ['TL101', 'TL108'], disabledRules: ['TL203'] }, maxFileBytes: 1024 }),
    ];
    assert.equal(new Set([base, ...others]).size, others.length + 1);
  });

  it('puts the cache in --cache-dir, else $THREATLENS_CACHE_DIR/scan, else ./.threatlens-cache', () => {
    const cwd = path.resolve('/work/project');
    assert.equal(scanCacheDir(cwd, 'c', { THREATLENS_CACHE_DIR: '/x' }), path.join(cwd, 'c'));
    assert.equal(scanCacheDir(cwd, undefined, { THREATLENS_CACHE_DIR: path.resolve('/x') }), path.join(path.resolve('/x'), 'scan'));
    assert.equal(scanCacheDir(cwd, undefined, { THREATLENS_CACHE_DIR: '' }), path.join(cwd, '.threatlens-cache'));
    assert.equal(scanCacheDir(cwd, undefined, {}), path.join(cwd, '.threatlens-cache'));
  });
});

describe('ResultCache', () => {
  const create = Engine.create;
  afterEach(() => {
    Engine.create = create;
  });

  it('answers a second scan from the cache without creating an engine', async () => {
    const { dir, list } = sources({ 'a.py': PICKLE, 'b.py': TORCH, 'c.py': CLEAN, 'd.py': CLEAN, 'requirements.txt': 'numpy\n', 'bad.py': '\u0000' });
    const cacheDir = path.join(dir, 'cache');
    const cold = await cachedScan(list, cacheDir, key('v1'));
    assert.deepEqual(cold.stats, { hits: 0, misses: 6 });
    assert.deepEqual(cold.warnings, []);
    Engine.create = () => Promise.reject(new Error('the warm path created an engine'));
    const warm = await cachedScan(list, cacheDir, key('v1'));
    assert.deepEqual(warm.stats, { hits: 6, misses: 0 });
    assert.deepEqual(plain(warm.results), plain(cold.results));
    assert.deepEqual(
      warm.results.map((r) => (r.outcome.kind === 'scanned' ? r.outcome.findings.map((f) => f.ruleId).join() : r.outcome.kind)),
      ['TL101', 'TL108', '', '', 'TL001', 'error'],
    );
  });

  it('misses everything for another engine version, and keeps both', async () => {
    const { dir, list } = sources({ 'a.py': PICKLE, 'b.py': TORCH });
    await cachedScan(list, dir, key('v1'));
    assert.deepEqual((await cachedScan(list, dir, key('v2'))).stats, { hits: 0, misses: 2 });
    assert.deepEqual((await cachedScan(list, dir, key('v1'))).stats, { hits: 2, misses: 0 });
    assert.deepEqual((await cachedScan(list, dir, key('v2'))).stats, { hits: 2, misses: 0 });
    assert.equal(cacheFiles(dir).length, 2);
  });

  it('never caches a file it could not read', async () => {
    const { dir, list } = sources({ 'a.py': PICKLE });
    const gone = { abs: path.join(dir, 'gone.py'), display: 'gone.py' };
    fs.symlinkSync(path.join(dir, 'nowhere.py'), gone.abs);
    const first = await cachedScan([...list, gone], dir, key('v1'));
    assert.deepEqual(first.stats, { hits: 0, misses: 1 });
    assert.match(first.results[1].outcome.kind === 'error' ? first.results[1].outcome.message : '', /cannot read file/);
    fs.writeFileSync(path.join(dir, 'nowhere.py'), TORCH);
    const second = await cachedScan([...list, gone], dir, key('v1'));
    assert.deepEqual(second.stats, { hits: 1, misses: 1 });
    assert.equal(second.results[1].outcome.kind === 'scanned' && second.results[1].outcome.findings[0].ruleId, 'TL108');
  });

  it('keeps the last scan and the most recently used entries up to the limit', async () => {
    const { dir, list } = sources({ 'a.py': PICKLE, 'b.py': TORCH, 'c.py': CLEAN });
    const other = sources({ 'd.py': `${CLEAN}# d\n` }).list;
    assert.deepEqual((await cachedScan(list, dir, key('v1'), 2)).stats, { hits: 0, misses: 3 }, 'a scan larger than the limit is kept whole');
    assert.deepEqual((await cachedScan(other, dir, key('v1'), 2)).stats, { hits: 0, misses: 1 });
    // d.py, then the first of the older entries.
    assert.deepEqual((await cachedScan(list, dir, key('v1'), 2)).stats, { hits: 1, misses: 2 });
    const [file] = cacheFiles(dir);
    const header = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8').split('\n', 1)[0]) as { entries: number };
    assert.equal(header.entries, 3);
  });

  it(`keeps at most ${MAX_CACHE_FILES} cache files in a folder, the latest ones`, async () => {
    const { dir, list } = sources({ 'a.py': PICKLE });
    for (let v = 0; v < MAX_CACHE_FILES + 2; v++) {
      await cachedScan(list, dir, key(`v${v}`));
      // Increasing modification times, whatever the file system's resolution.
      const written = new Date(Date.now() - 1000 * (100 - v));
      fs.utimesSync(path.join(dir, `scan-${key(`v${v}`).slice(0, 16)}.json`), written, written);
    }
    assert.equal(cacheFiles(dir).length, MAX_CACHE_FILES);
    assert.deepEqual((await cachedScan(list, dir, key(`v${MAX_CACHE_FILES + 1}`))).stats, { hits: 1, misses: 0 });
    assert.deepEqual((await cachedScan(list, dir, key('v0'))).stats, { hits: 0, misses: 1 });
  });

  it('rebuilds a cache whose entries do not hold results, with one warning', async () => {
    const { dir, list } = sources({ 'a.py': PICKLE });
    await cachedScan(list, dir, key('v1'));
    const file = path.join(dir, cacheFiles(dir)[0]);
    const [headerLine, body] = fs.readFileSync(file, 'utf8').split('\n');
    // Well-formed and with a matching checksum, but not a result.
    const forged = JSON.stringify((JSON.parse(body) as [string, unknown][]).map(([k]) => [k, { kind: 'scanned', findings: 'none' }]));
    const header = { ...(JSON.parse(headerLine) as object), checksum: createHash('sha256').update(forged).digest('hex') };
    fs.writeFileSync(file, `${JSON.stringify(header)}\n${forged}`);
    const damaged = await cachedScan(list, dir, key('v1'));
    assert.deepEqual(damaged.warnings.length, 1);
    assert.match(damaged.warnings[0], /is damaged \(invalid entry\); it is rebuilt/);
    assert.deepEqual(damaged.stats, { hits: 0, misses: 1 });
    assert.equal(damaged.results[0].outcome.kind === 'scanned' && damaged.results[0].outcome.findings[0].ruleId, 'TL101');
    assert.deepEqual(await cachedScan(list, dir, key('v1')).then((r) => [r.stats, r.warnings]), [{ hits: 1, misses: 0 }, []]);
  });

  it('leaves a cache it cannot read alone, with one warning', async () => {
    const { dir, list } = sources({ 'a.py': PICKLE });
    const cacheKey = key('v1');
    // A folder where the cache file should be.
    const blocked = path.join(dir, 'cache', `scan-${cacheKey.slice(0, 16)}.json`);
    fs.mkdirSync(blocked, { recursive: true });
    for (let run = 0; run < 2; run++) {
      const r = await cachedScan(list, path.join(dir, 'cache'), cacheKey);
      assert.deepEqual(r.warnings.length, 1);
      assert.match(r.warnings[0], /^cannot read the result cache .*: is a directory; scanning without it$/);
      assert.deepEqual(r.stats, { hits: 0, misses: 1 });
      assert.equal(r.results[0].outcome.kind === 'scanned' && r.results[0].outcome.findings[0].ruleId, 'TL101');
    }
    assert.ok(fs.statSync(blocked).isDirectory());
  });
});

describe('scanFiles with the main thread scanning too', () => {
  let bundled: { scanFiles: ScanFiles; dir: string };
  let list: SourceFile[];

  before(() => {
    bundled = bundledScanFiles();
    const files: Record<string, string> = {};
    // Large files (the workers take them first) and small ones, with findings at known places.
    const big = (n: number) => `import torch\n${Array.from({ length: n }, (_, i) => `def f${i}(p):\n    return torch.load(p)\n`).join('')}`;
    files['big1.py'] = big(2500); // ~100 KB
    files['big2.py'] = big(1800);
    for (let i = 0; i < 40; i++) files[`pkg/m${i}.py`] = i % 3 === 0 ? PICKLE : i % 3 === 1 ? TORCH : CLEAN;
    files['big3.py'] = big(2000);
    files['requirements.txt'] = 'numpy\n';
    list = sources(files).list;
    list.splice(10, 0, { abs: path.join(os.tmpdir(), 'threatlens-no-such-file.py'), display: 'missing.py' });
  });

  after(() => fs.rmSync(bundled?.dir ?? '', { recursive: true, force: true }));

  const summary = (results: FileResult[]) =>
    results.map((r) => `${r.file.display} ${r.outcome.kind === 'scanned' ? r.outcome.findings.map((f) => f.ruleId).join(',').slice(0, 40) + ` (${r.outcome.findings.length})` : r.outcome.kind}`);

  it('gives the results of a one-thread scan, in file order', async () => {
    const one = await scanFiles(list, { analysis: {}, jobs: 1 });
    assert.equal(one.filter((r) => r.outcome.kind === 'scanned' && r.outcome.findings.length === 2500).length, 1);
    for (const jobs of [2, 3]) {
      const seen: string[] = [];
      const failures: unknown[] = [];
      const results = await bundled.scanFiles(list, { analysis: {}, jobs, explicitJobs: true, mainThreadScans: true, onWorkerFailure: (e) => failures.push(e) }, (r) => seen.push(r.file.display));
      assert.deepEqual(summary(results), summary(one), `jobs ${jobs}`);
      assert.deepEqual(plain(results), plain(one));
      assert.deepEqual(seen, list.map((f) => f.display), 'onResult in file order');
      assert.deepEqual(failures, []);
    }
  });

  it('scans the files of a worker that runs out of memory on the main thread', async () => {
    const one = await scanFiles(list, { analysis: {}, jobs: 1 });
    const failures: unknown[] = [];
    const results = await bundled.scanFiles(list, {
      analysis: {},
      jobs: 2,
      explicitJobs: true,
      mainThreadScans: true,
      workerLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 },
      onWorkerFailure: (e) => failures.push(e),
    });
    assert.deepEqual(
      failures.map((e) => (e as NodeJS.ErrnoException).code),
      ['ERR_WORKER_OUT_OF_MEMORY'],
    );
    assert.deepEqual(summary(results), summary(one));
  });

  it('stops when the signal aborts and resolves with what finished, in file order', async () => {
    const controller = new AbortController();
    let seen = 0;
    const results = await bundled.scanFiles(list, { analysis: {}, jobs: 2, explicitJobs: true, mainThreadScans: true, signal: controller.signal }, () => {
      if (++seen === 2) controller.abort();
    });
    assert.ok(results.length >= 2 && results.length < list.length, `results: ${results.length}`);
    const order = results.map((r) => list.findIndex((f) => f.abs === r.file.abs));
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
  });

  it('creates no engine for an empty list', async () => {
    const create = Engine.create;
    Engine.create = () => Promise.reject(new Error('an engine for nothing'));
    try {
      assert.deepEqual(await scanFiles([], { analysis: {} }), []);
    } finally {
      Engine.create = create;
    }
  });
});
