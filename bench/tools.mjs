// The tools `npm run bench` times on each corpus, each as one child process per measurement.
// Every tool gets the same corpus file list (paths relative to the corpus root, which is the
// working directory), so they all scan exactly the same files; each row checks how many files the
// tool reports having seen.
//
// Reports are written to a temporary file (instead of /dev/null) and read back afterwards for the
// file and finding counts; writing them costs milliseconds against runs of seconds.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { measure } from './measure.mjs';
import { BENCH_DIR, BUILD_DIR, ROOT } from './setup.mjs';

const CLI = join(ROOT, 'dist', 'cli.js');

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  } finally {
    rmSync(file, { force: true });
  }
}

function lastJsonLine(stdout) {
  const line = stdout.trim().split('\n').pop();
  try {
    return line ? JSON.parse(line) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which files of the corpus `Engine.analyze` analyses (the rest it skips after a text search), for
 * the engine rows: written to bench-results/.build/<corpus>.analysed.json, once, untimed. Returns
 * the classify result (its `totalMs` is the time of that text search over the corpus).
 */
export function classifyCorpus(engineBench, corpus) {
  const analysedFile = join(BUILD_DIR, `${corpus.name}.analysed.json`);
  const r = spawnSync(process.execPath, [engineBench, 'classify', corpus.listFile, analysedFile], { cwd: corpus.root, encoding: 'utf8' });
  const inner = r.status === 0 ? lastJsonLine(r.stdout) : undefined;
  if (!inner) throw new Error(`engine-bench classify failed on ${corpus.name} (exit ${r.status}): ${r.stderr}`);
  corpus.analysedFile = analysedFile;
  corpus.prefilter = inner;
  return inner;
}

/** What `threatlens scan --help` says about a result cache: undefined, or { flag, takesValue }. */
export function cliCacheOption() {
  const help = spawnSync(process.execPath, [CLI, 'scan', '--help'], { encoding: 'utf8' });
  const text = `${help.stdout}\n${help.stderr}`;
  // A folder option keeps the cache out of the corpus (a system folder): prefer it.
  if (/--cache-dir\s+<[^>]+>/.test(text)) return { flag: '--cache-dir', takesValue: true };
  const m = /(--cache)\b(\s+<[^>]+>)?/.exec(text);
  return m ? { flag: m[1], takesValue: Boolean(m[2]) } : undefined;
}

export function banditVersion() {
  const r = spawnSync('bandit', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.split('\n')[0].trim();
}

/** A failed measurement: the benchmark reports it and exits 1. */
function failure(what, r) {
  const why = r.error ?? (r.signal ? `killed by ${r.signal}` : `exit ${r.code}`);
  return `${what} failed (${why}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`;
}

function threatlensTool({ id, label, jobs, cache }) {
  return {
    id,
    label,
    group: 'threatlens',
    run(corpus) {
      const out = join(BUILD_DIR, `report-${id}.json`);
      const args = [CLI, 'scan', '--format', 'json', '--output', out, '-q'];
      if (jobs) args.push('--jobs', String(jobs));
      if (cache) args.push(cache.flag, ...(cache.takesValue ? [cache.dir] : []));
      args.push(...corpus.files);
      const r = measure(process.execPath, args, { cwd: corpus.root, node: true });
      const report = readJson(out);
      if ((r.code !== 0 && r.code !== 1) || r.signal || !report) return { ...r, failed: failure(label, r) };
      return {
        ...r,
        files: report.summary?.files,
        findings: report.summary?.findings,
        errors: (report.errors?.length ?? 0) + (report.skipped?.length ?? 0),
      };
    },
  };
}

/**
 * The tools, in the order they run in each round. `available: false` rows are reported with their
 * `reason` and never run.
 */
export function tools({ engineBench, ruff, bandit, cache }) {
  const list = [
    threatlensTool({ id: 'threatlens', label: 'ThreatLens CLI (all cores)' }),
    threatlensTool({ id: 'threatlens-j1', label: 'ThreatLens CLI --jobs 1', jobs: 1 }),
    cache
      ? { ...threatlensTool({ id: 'threatlens-warm', label: 'ThreatLens CLI, warm cache', cache }), warm: true }
      : { id: 'threatlens-warm', label: 'ThreatLens CLI, warm cache', group: 'threatlens', available: false, reason: 'not implemented (the CLI has no --cache option)' },
    ...['parse', 'analyse'].map((mode) => ({
      id: mode === 'parse' ? 'parse-floor' : 'engine',
      label: mode === 'parse' ? 'parse floor (engine parser only)' : 'engine alone (Engine.analyze)',
      group: 'engine',
      run(corpus) {
        const r = measure(process.execPath, [engineBench, mode, corpus.listFile, corpus.analysedFile], { cwd: corpus.root, node: true });
        const inner = lastJsonLine(r.stdout);
        if (r.code !== 0 || !inner) return { ...r, failed: failure(this.label, r) };
        return { ...r, files: inner.files, findings: mode === 'analyse' ? inner.findings : undefined, inner };
      },
    })),
    bandit
      ? {
          id: 'bandit',
          label: `Bandit ${bandit.replace(/^bandit\s*/, '')}`,
          group: 'other',
          run(corpus) {
            const out = join(BUILD_DIR, 'report-bandit.json');
            const r = measure('bandit', ['-r', '-f', 'json', '-o', out, '-q', ...corpus.files], { cwd: corpus.root });
            const report = readJson(out);
            // Exit 1 means "issues found".
            if ((r.code !== 0 && r.code !== 1) || r.signal || !report) return { ...r, failed: failure('Bandit', r) };
            return {
              ...r,
              files: Object.keys(report.metrics ?? {}).filter((k) => k !== '_totals').length,
              findings: report.results?.length,
              errors: report.errors?.length ?? 0,
            };
          },
        }
      : { id: 'bandit', label: 'Bandit', group: 'other', available: false, reason: 'not available (apt-get install bandit)' },
    ruff.available
      ? {
          id: 'ruff',
          label: `Ruff ${ruff.version} wasm, S rules`,
          group: 'other',
          run(corpus) {
            const r = measure(process.execPath, [join(BENCH_DIR, 'ruff-check.mjs'), corpus.listFile], { cwd: corpus.root, node: true });
            const inner = lastJsonLine(r.stdout);
            if (r.code !== 0 || !inner) return { ...r, failed: failure('Ruff', r) };
            return { ...r, files: inner.files, findings: inner.findings, errors: inner.failures, inner };
          },
        }
      : { id: 'ruff', label: 'Ruff wasm, S rules', group: 'other', available: false, reason: `not available (${ruff.error})` },
  ];
  return list.map((t) => ({ available: true, ...t }));
}
