#!/usr/bin/env node
// `npm run bench`: how fast ThreatLens is, against Bandit and Ruff on the same real code.
// See docs/performance.md for what each number means.
//
//   npm run bench                       all corpora (torch, sklearn, stdlib), 3 runs each
//   npm run bench -- --runs 5           5 runs per measurement (the median is reported)
//   npm run bench -- --quick            sklearn only, 1 run
//   npm run bench -- --edits 400        one-character edits in the language server test (default 200)
//   npm run bench -- --no-install       do not apt-get / npm ci anything; use what is there
//   npm run bench -- --no-lsp           skip the language server measurements
//
// It installs what it needs (Debian's python3-torch, python3-sklearn and bandit when root; Ruff's
// wasm build with `npm ci` in bench/toolchain), builds ThreatLens when dist/ is stale, then times
// every tool on every corpus, each measurement a separate child process from spawn to exit, in
// rounds (every tool once per round) so that load changes on the machine hit them all alike.
// Results are printed and written to bench-results/bench-<date>.json. Targets that are missed are
// reported, never fatal: the exit status is 1 only when the benchmark itself broke.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, relative } from 'node:path';
import { loadCorpus, corpusDefinitions } from '../bench/corpus.mjs';
import { memoryMethod } from '../bench/measure.mjs';
import { addRatios, checkTargets, engineDetails, engineTable, lspLines, resultsTable, summarise } from '../bench/report.mjs';
import { buildBenchScripts, BUILD_DIR, ensureBuilt, ensureDebianPackages, ensureRuff, RESULTS_DIR, ROOT } from '../bench/setup.mjs';
import { banditVersion, classifyCorpus, cliCacheOption, tools } from '../bench/tools.mjs';

const USAGE = 'usage: npm run bench -- [--runs N] [--quick] [--edits N] [--no-install] [--no-lsp]';

function parseArgs(argv) {
  const opts = { runs: 3, quick: false, edits: 200, install: true, lsp: true, runsGiven: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (name) => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive whole number`);
      return v;
    };
    if (a === '--runs') (opts.runs = num('--runs')), (opts.runsGiven = true);
    else if (a === '--quick') opts.quick = true;
    else if (a === '--edits') opts.edits = num('--edits');
    else if (a === '--no-install') opts.install = false;
    else if (a === '--no-lsp') opts.lsp = false;
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (opts.quick && !opts.runsGiven) opts.runs = 1;
  return opts;
}

const say = (msg) => console.log(`[bench] ${msg}`);
const loadavg = () => os.loadavg().map((n) => Number(n.toFixed(2)));

function gitRevision() {
  const rev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  return rev ? `${rev}${dirty ? ' (with uncommitted changes)' : ''}` : undefined;
}

function runLsp(lspBench, corpus, opts) {
  const options = {
    serverBundle: join(ROOT, 'dist', 'server.js'),
    corpusRoot: corpus.root,
    files: corpus.files,
    runs: Math.max(opts.runs, 3),
    edits: Math.max(opts.edits, 2),
    bigFileLines: 5000,
    memoryFiles: 200,
    bigFileOut: join(BUILD_DIR, 'lsp-typing', `typing_${corpus.name}.py`),
  };
  mkdirSync(join(BUILD_DIR, 'lsp-typing'), { recursive: true });
  const r = spawnSync(process.execPath, [lspBench, JSON.stringify(options)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !line) {
    return { corpus: corpus.name, error: `lsp-bench exit ${r.status ?? r.signal}: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(0, 8).join(' | ')}` };
  }
  return { corpus: corpus.name, ...JSON.parse(line) };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = new Date();
  const loadBefore = loadavg();
  say(`load average ${loadBefore.join(' ')} on ${os.cpus().length} cores${loadBefore[0] > os.cpus().length / 2 ? ' (busy machine: expect noisy numbers)' : ''}`);

  mkdirSync(BUILD_DIR, { recursive: true });
  const debian = ensureDebianPackages({ install: opts.install });
  const ruff = ensureRuff({ install: opts.install });
  ensureBuilt();
  const { engineBench, lspBench } = await buildBenchScripts();

  const corpora = [];
  for (const def of corpusDefinitions(opts.quick)) {
    const corpus = loadCorpus(def);
    if (!corpus) say(`corpus ${def.name}: not available (${def.root ?? 'python3 not found'}; ${def.source})`);
    else {
      corpora.push(corpus);
      say(`corpus ${corpus.name}: ${corpus.files.length} files, ${corpus.lines.toLocaleString('en-US')} lines in ${corpus.root}`);
    }
  }
  if (corpora.length === 0) throw new Error('no corpus available: install python3-sklearn (apt-get install -y python3-sklearn)');
  for (const corpus of corpora) classifyCorpus(engineBench, corpus);

  const cacheOption = cliCacheOption();
  const cache = cacheOption ? { ...cacheOption, dir: join(BUILD_DIR, 'cli-cache') } : undefined;
  const bandit = banditVersion();
  const toolList = tools({ engineBench, ruff, bandit, cache });

  // Warm-cache rows start from a filled cache: one unmeasured scan first.
  for (const tool of toolList.filter((t) => t.available && t.warm)) for (const corpus of corpora) tool.run(corpus);

  const raw = new Map(); // `${tool}|${corpus}` -> measurement[]
  for (let round = 1; round <= opts.runs; round++) {
    for (const corpus of corpora) {
      for (const tool of toolList.filter((t) => t.available)) {
        const key = `${tool.id}|${corpus.name}`;
        if (raw.get(key)?.some((m) => m.failed)) continue;
        const m = tool.run(corpus);
        const { stdout: _o, stderr: _e, ...kept } = m;
        raw.set(key, [...(raw.get(key) ?? []), kept]);
        say(`round ${round}/${opts.runs} ${corpus.name} ${tool.label}: ${m.failed ? `FAILED ${m.failed}` : `${(m.ms / 1000).toFixed(2)} s, ${m.peakMiB?.toFixed(0) ?? '?'} MiB`}`);
      }
    }
  }

  const rows = [];
  for (const corpus of corpora) for (const tool of toolList) rows.push(summarise(tool, corpus, raw.get(`${tool.id}|${corpus.name}`) ?? []));
  addRatios(rows);
  const details = engineDetails(rows, corpora);

  let lsp;
  if (opts.lsp) {
    const corpus = corpora[0];
    say(`language server: start-up, ${opts.edits} edits in a 5,000+ line file, 200 open files (corpus ${corpus.name})`);
    lsp = runLsp(lspBench, corpus, opts);
  }
  const targets = checkTargets(rows, details, lsp);
  const loadAfter = loadavg();

  const out = [
    '',
    `ThreatLens benchmark, ${started.toISOString()} — ${opts.runs} run(s) per measurement, median shown; load average ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after (${os.cpus().length} cores)`,
    '',
    resultsTable(rows),
    '',
    '× ThreatLens: the tool\'s time divided by ThreatLens CLI (all cores) on the same corpus (above 1 = slower than ThreatLens).',
    '',
    'Engine, in-process (time inside the loop, no start-up; medians):',
    engineTable(details),
    '',
    ...lspLines(lsp),
    '',
    'Targets:',
    ...targets.map((t) => `  ${t.status.padEnd(12)} ${t.target}\n               ${t.detail}`),
    '',
  ];
  console.log(out.join('\n'));

  const failures = [...rows.filter((r) => r.status === 'failed').map((r) => r.error), ...(lsp?.error ? [lsp.error] : [])];
  const result = {
    date: started.toISOString(),
    options: { runs: opts.runs, quick: opts.quick, edits: opts.edits },
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
      loadavgBefore: loadBefore,
      loadavgAfter: loadAfter,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    threatlens: { revision: gitRevision() },
    tools: { bandit: bandit ?? null, ruff: ruff.available ? ruff.version : null, debian: debian.packages, memoryMethod: memoryMethod() },
    corpora: corpora.map((c) => ({ name: c.name, root: c.root, source: c.source, files: c.files.length, lines: c.lines, bytes: c.bytes, analysedFiles: c.prefilter?.analysedFiles })),
    results: rows,
    engine: details,
    lsp: lsp ?? null,
    targets,
    markdown: [resultsTable(rows, true), engineTable(details, true), lspLines(lsp).join('\n'), targets.map((t) => `- **${t.status}** ${t.target}: ${t.detail}`).join('\n')].join('\n\n'),
    runs: Object.fromEntries(raw),
    failures,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  say(`results written to ${relative(ROOT, file)}`);
  if (failures.length) {
    console.error(`[bench] the benchmark itself failed:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
