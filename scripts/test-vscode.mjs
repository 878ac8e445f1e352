#!/usr/bin/env node
// `npm run test:vscode`: ThreatLens in a real VS Code (the one code-server bundles).
//
//   1. installs the toolchain when needed (scripts/vscode-toolchain.mjs);
//   2. builds the extension (`npm run build`) and bundles every test/vscode/suite/**/*.test.ts into
//      dist-test/vscode-suite/index.js (`vscode` external; mocha from the toolchain);
//   3. runs that Mocha suite in VS Code's extension host through @vscode/test-electron's runTests(),
//      with test/vscode/stand-in/code as the VS Code executable, on a temporary copy of demo/ plus
//      test/vscode/fixtures/ (as threatlens-fixtures/);
//   4. runs test/vscode/person.test.mjs: the packaged VSIX installed into a fresh code-server and
//      used through the browser like a person would.
//
//   node scripts/test-vscode.mjs [--suite-only | --person-only] [--no-build] [--keep]
//     --keep    leave the temporary workspace and profile folders in place (their path is printed)
//
// Where the toolchain cannot be installed (not root and Debian packages missing, no registry...)
// this prints a SKIP with the reason and exits 0, unless CI is set: then it fails.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import * as esbuild from 'esbuild';
import { ROOT, ToolchainError, ensureToolchain, toolchainRequire, toolchainResolve } from './vscode-toolchain.mjs';

const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!['--suite-only', '--person-only', '--no-build', '--keep'].includes(a)) {
    console.error(`test-vscode: unknown option ${a} (use --suite-only, --person-only, --no-build, --keep)`);
    process.exit(2);
  }
}
const runSuite = !args.has('--person-only');
const runPerson = !args.has('--suite-only');
const inCI = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

const SUITE_DIR = path.join(ROOT, 'test', 'vscode', 'suite');
const FIXTURES_DIR = path.join(ROOT, 'test', 'vscode', 'fixtures');
const STAND_IN = path.join(ROOT, 'test', 'vscode', 'stand-in', 'code');
const BUNDLE = path.join(ROOT, 'dist-test', 'vscode-suite', 'index.js');

const say = (msg) => console.log(`[test-vscode] ${msg}`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const timings = [];
async function timed(label, fn) {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    timings.push(`${label}: ${seconds(Date.now() - started)}`);
  }
}

function skipOrFail(reason, hint) {
  const bar = '!'.repeat(78);
  if (inCI) {
    console.error(`${bar}\n[test-vscode] FAILED: the real-VS-Code toolchain cannot be installed (CI is set, so this is an error)\n  ${reason}\n  ${hint ?? ''}\n${bar}`);
    process.exit(1);
  }
  console.log(`${bar}\n[test-vscode] SKIP: the tests in a real VS Code did NOT run\n  ${reason}\n  ${hint ?? ''}\n${bar}`);
  process.exit(0);
}

function npm(script) {
  const r = spawnSync('npm', ['run', '--silent', script], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm run ${script} failed (exit ${r.status ?? r.signal})`);
}

function suiteFiles(dir = SUITE_DIR) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...suiteFiles(p));
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

/** One CommonJS file the extension host can load: mocha set up with every suite file in it. */
async function bundleSuite() {
  const files = suiteFiles();
  if (files.length === 0) throw new Error(`no *.test.ts under ${path.relative(ROOT, SUITE_DIR)}`);
  const mocha = toolchainResolve('mocha');
  const rel = (p) => `./${path.relative(ROOT, p).split(path.sep).join('/')}`;
  // The suite files are required after Mocha's 'pre-require' event so they see suite()/test().
  const entry = `
const mochaModule = require(${JSON.stringify(mocha)});
const Mocha = mochaModule.default ?? mochaModule;
exports.run = async function run() {
  const mocha = new Mocha({ ui: 'tdd', color: false, reporter: 'spec', timeout: 30000, grep: process.env.THREATLENS_VSCODE_GREP || undefined });
  mocha.suite.emit('pre-require', globalThis, 'threatlens-vscode-suite', mocha);
${files.map((f) => `  mocha.suite.emit('require', require(${JSON.stringify(rel(f))}), ${JSON.stringify(rel(f))}, mocha);`).join('\n')}
  const failures = await new Promise((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(failures + ' test(s) failed');
};
`;
  fs.rmSync(path.dirname(BUNDLE), { recursive: true, force: true });
  await esbuild.build({
    stdin: { contents: entry, resolveDir: ROOT, sourcefile: 'vscode-suite-entry.js', loader: 'js' },
    outfile: BUNDLE,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', mocha],
    logLevel: 'warning',
    absWorkingDir: ROOT,
  });
  say(`bundled ${files.length} suite file(s): ${files.map((f) => path.relative(SUITE_DIR, f)).join(', ')}`);
}

/** A throwaway workspace: demo/ plus the suite's fixtures under threatlens-fixtures/. */
function makeWorkspace(scratch) {
  const ws = path.join(scratch, 'workspace');
  fs.cpSync(path.join(ROOT, 'demo'), ws, { recursive: true });
  if (fs.existsSync(FIXTURES_DIR)) fs.cpSync(FIXTURES_DIR, path.join(ws, 'threatlens-fixtures'), { recursive: true });
  return ws;
}

/** Passes output through and counts Mocha's "N passing" / "N failing" lines. */
function counter(target) {
  const counts = { passing: 0, failing: 0, pending: 0 };
  let pending = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      target.write(chunk);
      pending += String(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^\s*(\d+) (passing|failing|pending)\b/.exec(line);
        if (m) counts[m[2]] = Number(m[1]);
      }
      cb();
    },
  });
  return { stream, counts };
}

async function main() {
  const started = Date.now();
  try {
    await timed('toolchain', () => ensureToolchain({ browser: true }));
  } catch (err) {
    if (err instanceof ToolchainError) {
      skipOrFail(err.reason, err.hint);
      return;
    }
    throw err;
  }
  if (!args.has('--no-build')) await timed('build', () => npm('build'));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'threatlens-vscode-'));
  let failed = 0;
  const results = [];
  try {
    if (runSuite) {
      await timed('bundle suite', bundleSuite);
      const ws = makeWorkspace(scratch);
      const { runTests } = toolchainRequire('@vscode/test-electron');
      const out = counter(process.stdout);
      say('Mocha suite in VS Code (code-server + Chromium)…');
      const suiteStarted = Date.now();
      let code = 0;
      try {
        await timed('mocha suite', () =>
          runTests({
            vscodeExecutablePath: STAND_IN,
            extensionDevelopmentPath: ROOT,
            extensionTestsPath: BUNDLE,
            launchArgs: [ws, `--user-data-dir=${path.join(scratch, 'user-data')}`, `--extensions-dir=${path.join(scratch, 'extensions')}`],
            stdout: out.stream,
            stderr: process.stderr,
          }),
        );
      } catch (err) {
        code = err?.code ?? 1;
        console.error(`[test-vscode] Mocha suite failed: ${err?.message ?? err}`);
      }
      if (code === 0 && out.counts.passing === 0) {
        console.error('[test-vscode] the Mocha suite reported no passing test');
        code = 1;
      }
      if (code !== 0) failed++;
      results.push(`mocha suite: ${out.counts.passing} passing, ${out.counts.failing} failing, ${out.counts.pending} pending (${seconds(Date.now() - suiteStarted)})`);
    }
    if (runPerson) {
      say('person test: the packaged VSIX in code-server, driven through Chromium…');
      const personStarted = Date.now();
      const r = await timed('person test', () =>
        spawnSync(process.execPath, [path.join(ROOT, 'test', 'vscode', 'person.test.mjs')], {
          cwd: ROOT,
          stdio: 'inherit',
          env: { ...process.env, THREATLENS_PERSON_SCRATCH: path.join(scratch, 'person') },
        }),
      );
      if (r.status !== 0) failed++;
      results.push(`person test: ${r.status === 0 ? 'passed' : `FAILED (exit ${r.status ?? r.signal})`} (${seconds(Date.now() - personStarted)})`);
    }
  } finally {
    if (args.has('--keep')) say(`kept ${scratch}`);
    else fs.rmSync(scratch, { recursive: true, force: true });
  }
  say(`timings: ${timings.join(', ')}; total ${seconds(Date.now() - started)}`);
  for (const r of results) say(r);
  if (failed > 0) {
    say(`FAILED (${failed} part(s))`);
    process.exit(1);
  }
  say('all passed');
}

await main();
