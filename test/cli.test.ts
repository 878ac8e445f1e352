/**
 * The `threatlens` command line, run as users run it: the built dist/cli.js in a child process,
 * against temporary folders.
 *
 *   node --import tsx --test test/cli.test.ts
 *
 * dist/cli.js is (re)built with `npm run build` first when it is missing or older than its sources,
 * then copied with the files it reads at run time (the tree-sitter wasm files, docs/rules) into a
 * private temporary install: other test files rebuild dist/ (`npm run package`) while these run.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import { COLOURED, PLAIN, styleFor } from '../server/src/cli/format-text';
import { FAKE_TRANSFORMERS, startFakeOsv } from './fake-osv';

const ROOT = path.resolve(__dirname, '..');
const BUILT_CLI = path.join(ROOT, 'dist', 'cli.js');
/** The copy of the built CLI the tests run (see `install`). */
let CLI = BUILT_CLI;
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
const CAN_SYMLINK = process.platform !== 'win32';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function newestMtime(dir: string, accept: (name: string) => boolean): number {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p, accept));
    else if (accept(entry.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function ensureBuilt(): void {
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'server', 'src'), (n) => n.endsWith('.ts')),
    newestMtime(path.join(ROOT, 'threat-catalog'), (n) => n.endsWith('.json')),
    fs.statSync(path.join(ROOT, 'package.json')).mtimeMs,
    fs.statSync(path.join(ROOT, 'scripts', 'build.mjs')).mtimeMs,
  );
  if (fs.existsSync(BUILT_CLI) && fs.statSync(BUILT_CLI).mtimeMs >= sources) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  assert.equal(r.status, 0, `npm run build failed:\n${r.stdout}\n${r.stderr}`);
}

/** Copies the built CLI and its run-time files into a temporary folder laid out like the package. */
function install(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'threatlens-cli-install-'));
  temps.push(home);
  fs.mkdirSync(path.join(home, 'dist'));
  for (const f of ['cli.js', 'web-tree-sitter.wasm']) fs.copyFileSync(path.join(ROOT, 'dist', f), path.join(home, 'dist', f));
  fs.cpSync(path.join(ROOT, 'grammars'), path.join(home, 'grammars'), { recursive: true });
  if (fs.existsSync(path.join(ROOT, 'docs', 'rules'))) {
    fs.cpSync(path.join(ROOT, 'docs', 'rules'), path.join(home, 'docs', 'rules'), { recursive: true });
  }
  return path.join(home, 'dist', 'cli.js');
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(cwd: string, ...args: string[]): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.THREATLENS_DEBUG;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const temps: string[] = [];

/** A fresh temporary folder holding `files` (relative path → text or bytes). */
function project(files: Record<string, string | Buffer> = {}): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'threatlens-cli-')));
  temps.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return dir;
}

after(() => {
  for (const dir of temps) {
    // Restore permissions changed by a test so the folder can be removed.
    try {
      for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o755);
    } catch {
      /* best effort */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const PICKLE = 'import pickle\npickle.loads(b)\n'; // TL101, high, at 2:1
const TORCH = 'import torch\nmodel = torch.load("model.pt")\n'; // TL108, medium, with a safe fix
const CLEAN = 'import json\n\nprint(json.loads("{}"))\n';

interface Pos {
  line: number;
  column: number;
}
interface JsonFinding {
  file: string;
  range: { start: Pos; end: Pos };
  ruleId: string;
  ruleName: string;
  severity: string;
  message: string;
  threats: { id: string; name: string; stages: string[] }[];
  atlas: { id: string; name: string; url: string }[];
  cwe: string[];
  fixes: { title: string; safety: string; edits: { range: { start: Pos; end: Pos }; newText: string }[] }[];
}
interface JsonReport {
  version: number;
  tool: { name: string; version: string };
  findings: JsonFinding[];
  errors: { file: string; message: string }[];
  skipped: { file: string; message: string }[];
  summary: { files: number; findings: number; bySeverity: Record<string, number>; suppressed: number; durationMs: number; cache?: { hits: number; misses: number } };
}

function scanJson(cwd: string, ...args: string[]): { run: Run; report: JsonReport } {
  const run = cli(cwd, 'scan', '--format', 'json', ...args);
  assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
  return { run, report: JSON.parse(run.stdout) as JsonReport };
}

const filesOf = (r: JsonReport): string[] => [...new Set(r.findings.map((f) => f.file))].sort();

before(() => {
  ensureBuilt();
  // A copy taken while another process rewrites dist/cli.js could be torn: check it, retry once.
  for (let attempt = 0; ; attempt++) {
    CLI = install();
    const r = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout === `${PKG.version}\n`) return;
    if (attempt > 0) assert.fail(`the built CLI does not start: ${r.stderr}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Exit status
// ---------------------------------------------------------------------------------------------

describe('exit status', () => {
  it('is 0 on a folder without findings', () => {
    const dir = project({ 'app.py': CLEAN, 'pkg/util.py': CLEAN });
    const r = cli(dir, 'scan');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /No findings in 2 files/);
  });

  it('is 1 when there is a finding, and the text report names it as path:line:col', () => {
    const dir = project({ 'src/load.py': PICKLE });
    const r = cli(dir, 'scan');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^src\/load\.py:2:1: HIGH TL101 /m);
    assert.match(r.stdout, /^ {4}Threats: MLT-\d{3} .*ATLAS: AML\.T/m);
    assert.match(r.stdout, /1 finding \(0 critical, 1 high, 0 medium, 0 low\) in 1 file, \d+ ms\./);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour when stdout is not a terminal');
  });

  it('colours only a terminal without NO_COLOR', () => {
    assert.equal(styleFor({ isTTY: true }, {}), COLOURED);
    assert.equal(styleFor({ isTTY: true }, { NO_COLOR: '1' }), PLAIN);
    assert.equal(styleFor({ isTTY: false }, {}), PLAIN);
    assert.equal(styleFor({}, {}), PLAIN);
  });

  it('honours --fail-on', () => {
    const dir = project({ 'a.py': PICKLE, 'b.py': TORCH }); // high + medium
    assert.equal(cli(dir, 'scan', '--fail-on', 'critical').status, 0);
    assert.equal(cli(dir, 'scan', '--fail-on', 'high').status, 1);
    assert.equal(cli(dir, 'scan', '--fail-on=medium', 'b.py').status, 1);
    assert.equal(cli(dir, 'scan', '--fail-on', 'high', 'b.py').status, 0);
  });

  it('is 2 with a one-line message on usage errors', () => {
    const dir = project({ 'a.py': PICKLE });
    const cases: [string[], RegExp][] = [
      [['scan', '--frobnicate'], /unknown option --frobnicate/],
      [['scan', '--select', 'TL101,TL999'], /unknown rule id 'TL999' in --select/],
      [['scan', '--ignore', 'XX1'], /unknown rule id 'XX1' in --ignore/],
      [['scan', '--select='], /--select needs at least one rule id/],
      [['scan', 'does-not-exist'], /no such file or directory: does-not-exist/],
      [['scan', '--format', 'xml'], /invalid value 'xml' for --format/],
      [['scan', '--fail-on', 'severe'], /invalid value 'severe' for --fail-on/],
      [['scan', '--output'], /option --output needs a value/],
      [['scan', '--format', 'json', '--format', 'text'], /--format given more than once/],
      [['scan', '--quiet=yes'], /--quiet takes no value/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['--frobnicate'], /unknown option --frobnicate/],
      [['explain', 'TL999'], /unknown rule or threat id 'TL999'/],
      [['explain'], /exactly one/],
      [['help', 'nothing'], /unknown command 'nothing'/],
    ];
    for (const [args, message] of cases) {
      const r = cli(dir, ...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^threatlens: error: /, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', args.join(' '));
    }
  });

  it('is 2 without a command, and prints the usage', () => {
    const r = cli(project());
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Usage:/);
  });
});

// ---------------------------------------------------------------------------------------------
// Which files are scanned
// ---------------------------------------------------------------------------------------------

describe('file discovery', () => {
  it('skips .gitignored files, default-excluded folders and non-Python files', () => {
    const dir = project({
      '.gitignore': 'generated/\nscratch_*.py\n',
      'main.py': PICKLE,
      'scratch_1.py': PICKLE,
      'generated/out.py': PICKLE,
      '.venv/lib/python3.12/site-packages/evil.py': PICKLE,
      'venv/x.py': PICKLE,
      'node_modules/pkg/x.py': PICKLE,
      'pkg/__pycache__/x.py': PICKLE,
      '.ipynb_checkpoints/nb.py': PICKLE,
      'notes.txt': PICKLE,
      'script': PICKLE,
    });
    const { report } = scanJson(dir);
    assert.deepEqual(filesOf(report), ['main.py']);
    assert.equal(report.summary.files, 1);
  });

  it('applies nested .gitignore files with git precedence, and .threatlensignore', () => {
    const dir = project({
      '.gitignore': '*_gen.py\n',
      'a_gen.py': PICKLE,
      'sub/.gitignore': '!keep_gen.py\nlocal.py\n',
      'sub/keep_gen.py': PICKLE,
      'sub/other_gen.py': PICKLE,
      'sub/local.py': PICKLE,
      'local.py': PICKLE,
      '.threatlensignore': 'vendored/\n',
      'vendored/lib.py': PICKLE,
    });
    const { report } = scanJson(dir);
    assert.deepEqual(filesOf(report), ['local.py', 'sub/keep_gen.py']);
  });

  it('applies the .gitignore files above a scanned subfolder up to the git work tree', () => {
    const dir = project({ '.gitignore': 'old_*.py\n', 'src/old_a.py': PICKLE, 'src/new.py': PICKLE });
    fs.mkdirSync(path.join(dir, '.git'));
    const { report } = scanJson(dir, 'src');
    assert.deepEqual(filesOf(report), ['src/new.py']);
  });

  it('scans a folder named on the command line even when a .gitignore above it ignores it, with a note', () => {
    const dir = project({ '.git/HEAD': 'ref: refs/heads/main\n', '.gitignore': '/vendor/\n', 'vendor/lib/a.py': PICKLE });
    const whole = scanJson(dir);
    assert.deepEqual(filesOf(whole.report), [], 'the ignored folder is skipped when scanning the repository');
    const named = cli(dir, 'scan', 'vendor/lib', '--format', 'json');
    assert.equal(named.status, 1, named.stderr);
    assert.match(named.stderr, /vendor\/lib: note: a \.gitignore above this folder ignores it/);
    assert.equal((JSON.parse(named.stdout) as { findings: unknown[] }).findings.length, 1);
  });

  it('scans a file named on the command line whatever its name, even when ignored', () => {
    const dir = project({ '.gitignore': 'tool\n', tool: PICKLE, 'x.txt': TORCH });
    const { run, report } = scanJson(dir, 'tool', 'x.txt');
    assert.equal(run.status, 1);
    assert.deepEqual(filesOf(report), ['tool', 'x.txt']);
  });

  it('honours --exclude globs (names at any depth, or paths from the current folder)', () => {
    const dir = project({
      'a.py': PICKLE,
      'tests/test_a.py': PICKLE,
      'src/test_b.py': PICKLE,
      'src/legacy/old.py': PICKLE,
      'src/keep.py': PICKLE,
    });
    const { report } = scanJson(dir, '--exclude', 'test_*.py', '--exclude', 'src/legacy/**');
    assert.deepEqual(filesOf(report), ['a.py', 'src/keep.py']);
  });

  it('reports paths relative to the current folder with forward slashes, each file once', () => {
    const dir = project({ 'pkg/sub/m.py': PICKLE });
    const { report } = scanJson(path.join(dir, 'pkg'), '.', 'sub', 'sub/m.py', '../pkg/sub/m.py');
    assert.deepEqual(
      report.findings.map((f) => f.file),
      ['sub/m.py'],
    );
    const fromAbove = scanJson(dir, path.join(dir, 'pkg')).report;
    assert.deepEqual(filesOf(fromAbove), ['pkg/sub/m.py']);
  });

  it('does not follow symbolic links out of the scanned folder', { skip: !CAN_SYMLINK }, () => {
    const outside = project({ 'secret.py': PICKLE, 'lib/x.py': PICKLE });
    const dir = project({ 'main.py': CLEAN, 'inner/y.py': TORCH });
    fs.symlinkSync(path.join(outside, 'secret.py'), path.join(dir, 'linked.py'));
    fs.symlinkSync(path.join(outside, 'lib'), path.join(dir, 'linkedlib'));
    fs.symlinkSync(path.join(dir, 'inner'), path.join(dir, 'alias')); // inside: followed, deduplicated
    fs.symlinkSync(dir, path.join(dir, 'inner', 'loop')); // a cycle
    const { run, report } = scanJson(dir);
    assert.deepEqual(filesOf(report), ['alias/y.py']);
    assert.equal(report.findings.length, 1);
    assert.deepEqual(report.skipped.map((s) => s.file).sort(), ['linked.py', 'linkedlib']);
    assert.match(run.stderr, /linked\.py: note: symbolic link to a path outside the scanned folder/);
  });

  it('skips files larger than 5 MiB with a notice', () => {
    const big = '# padding\n'.repeat(600_000) + PICKLE; // about 5.7 MiB
    const dir = project({ 'big.py': big, 'small.py': TORCH });
    const { run, report } = scanJson(dir);
    assert.deepEqual(filesOf(report), ['small.py']);
    assert.equal(report.skipped.length, 1);
    assert.equal(report.skipped[0].file, 'big.py');
    assert.match(run.stderr, /big\.py: note: larger than 5 MiB/);
    const quiet = cli(dir, 'scan', '--quiet');
    assert.doesNotMatch(quiet.stderr, /big\.py/);
  });
});

// ---------------------------------------------------------------------------------------------
// Files that cannot be scanned
// ---------------------------------------------------------------------------------------------

describe('parallel scan', () => {
  it('gives the same report with worker threads as on one thread, and rejects a bad --jobs', () => {
    const files: Record<string, string | Buffer> = { 'bin.py': Buffer.from([0, 1, 2]) };
    for (let i = 0; i < 12; i++) files[`pkg/m${i}.py`] = i % 3 === 0 ? PICKLE : i % 3 === 1 ? TORCH : CLEAN;
    const dir = project(files);
    const one = scanJson(dir, '--jobs', '1');
    const two = scanJson(dir, '--jobs', '2');
    assert.equal(two.run.status, one.run.status);
    assert.deepEqual(two.report.findings, one.report.findings);
    assert.deepEqual(two.report.errors, one.report.errors);
    assert.equal(one.report.findings.length, 8);
    for (const bad of ['0', 'two', '1.5']) {
      const r = cli(dir, 'scan', '--jobs', bad);
      assert.equal(r.status, 2, bad);
      assert.match(r.stderr, /invalid value .* for --jobs/);
    }
  });
});

describe('result cache (--cache)', () => {
  const NOTEBOOK = JSON.stringify({
    cells: [{ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['import torch\n', 'm = torch.load("ckpt.pt")\n'] }],
    metadata: { kernelspec: { language: 'python', name: 'python3' } },
    nbformat: 4,
    nbformat_minor: 5,
  });
  const APP = '[project]\nname = "app"\nversion = "1"\ndependencies = ["numpy"]\n'; // TL001 unless a lock file is next to it
  const files = (): Record<string, string | Buffer> => ({
    'a.py': PICKLE,
    'b.py': TORCH,
    'clean.py': CLEAN,
    'same.py': CLEAN, // same bytes as clean.py
    'nb/train.ipynb': NOTEBOOK,
    'app/pyproject.toml': APP,
    'requirements.txt': 'numpy==1.26.4\n<<<<<<< HEAD\ntorchtriton\n', // a malformed line and a finding
    'bin.py': Buffer.from([0, 1, 2]), // cannot be decoded
  });
  const ANALYSED = 8;
  /** The report without what legitimately differs between two runs. */
  const stable = (r: JsonReport) => ({ ...r, summary: { ...r.summary, durationMs: 0, cache: undefined } });

  it('gives the same report from the cache on the second scan, without analysing anything', () => {
    const dir = project(files());
    const plain = scanJson(dir);
    const cold = scanJson(dir, '--cache');
    assert.deepEqual(cold.report.summary.cache, { hits: 0, misses: ANALYSED });
    const warm = scanJson(dir, '--cache');
    assert.deepEqual(warm.report.summary.cache, { hits: ANALYSED, misses: 0 });
    assert.equal(warm.run.status, plain.run.status);
    assert.deepEqual(stable(warm.report), stable(plain.report));
    assert.deepEqual(stable(cold.report), stable(plain.report));
    assert.ok(warm.report.findings.length >= 4 && warm.report.errors.length === 2, JSON.stringify(warm.report.errors));
    // The same notices as without the cache, and the count in the summary line.
    assert.equal(warm.run.stderr.replace(/, \d+ from cache/, '').replace(/\d+ ms/, ''), plain.run.stderr.replace(/\d+ ms/, ''));
    assert.match(warm.run.stderr, /, 8 from cache, \d+ ms\.$/m);
    // The folder is marked as a cache; nothing else is written into the project.
    const cacheDir = path.join(dir, '.threatlens-cache');
    assert.equal(fs.readFileSync(path.join(cacheDir, '.gitignore'), 'utf8').trim().split('\n').pop(), '*');
    assert.equal(fs.readdirSync(cacheDir).filter((f) => /^scan-[0-9a-f]{16}\.json$/.test(f)).length, 1);
    // The text report is the same too, but for its summary line.
    const text = cli(dir, 'scan', '--cache');
    assert.equal(text.stdout.replace(/, 8 from cache, \d+ ms\.\n$/, ''), cli(dir, 'scan').stdout.replace(/, \d+ ms\.\n$/, ''));
  });

  it('analyses again only what changed: a file, or the lock files next to a manifest', () => {
    const dir = project(files());
    scanJson(dir, '--cache');
    fs.writeFileSync(path.join(dir, 'clean.py'), `${PICKLE}# edited\n`);
    const edited = scanJson(dir, '--cache');
    assert.deepEqual(edited.report.summary.cache, { hits: ANALYSED - 1, misses: 1 });
    assert.ok(edited.report.findings.some((f) => f.file === 'clean.py' && f.ruleId === 'TL101'));
    assert.ok(!edited.report.findings.some((f) => f.file === 'same.py'), 'same.py still has its own (clean) result');
    assert.ok(edited.report.findings.some((f) => f.file === 'app/pyproject.toml' && f.ruleId === 'TL001'));
    fs.writeFileSync(path.join(dir, 'app', 'uv.lock'), '# lock\n');
    const locked = scanJson(dir, '--cache');
    assert.deepEqual(locked.report.summary.cache, { hits: ANALYSED - 1, misses: 1 });
    assert.ok(!locked.report.findings.some((f) => f.file === 'app/pyproject.toml'), 'pins are not expected next to a lock file');
  });

  it('keeps results apart for other options and for another build of ThreatLens', () => {
    const dir = project(files());
    scanJson(dir, '--cache');
    const selected = scanJson(dir, '--cache', '--select', 'TL108');
    assert.deepEqual(selected.report.summary.cache, { hits: 0, misses: ANALYSED });
    assert.deepEqual([...new Set(selected.report.findings.map((f) => f.ruleId))], ['TL108']);
    assert.deepEqual(scanJson(dir, '--cache', '--select', 'TL108').report.summary.cache, { hits: ANALYSED, misses: 0 });
    assert.deepEqual(scanJson(dir, '--cache', '--no-nosec').report.summary.cache, { hits: 0, misses: ANALYSED });
    // A rebuilt bundle is another engine: nothing it finds in the cache counts.
    const rebuilt = install();
    fs.appendFileSync(rebuilt, '\n// rebuilt\n');
    const other = spawnSync(process.execPath, [rebuilt, 'scan', '--cache', '--format', 'json'], { cwd: dir, encoding: 'utf8' });
    assert.deepEqual((JSON.parse(other.stdout) as JsonReport).summary.cache, { hits: 0, misses: ANALYSED });
    assert.deepEqual(scanJson(dir, '--cache').report.summary.cache, { hits: ANALYSED, misses: 0 }, 'the first build still has its own');
  });

  it('warns once about a damaged cache, gives the right report, and rebuilds it', () => {
    const dir = project(files());
    const plain = scanJson(dir);
    scanJson(dir, '--cache');
    const cacheDir = path.join(dir, '.threatlens-cache');
    const file = path.join(cacheDir, fs.readdirSync(cacheDir).find((f) => f.startsWith('scan-'))!);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.length / 2));
    const damaged = scanJson(dir, '--cache', '-q');
    assert.equal(damaged.run.stderr.match(/warning/g)?.length, 1, damaged.run.stderr);
    assert.match(damaged.run.stderr, /^threatlens: warning: the result cache .*scan-[0-9a-f]{16}\.json is damaged \(checksum mismatch\); it is rebuilt$/m);
    assert.deepEqual(damaged.report.summary.cache, { hits: 0, misses: ANALYSED });
    assert.deepEqual(stable(damaged.report), stable(plain.report));
    const rebuilt = scanJson(dir, '--cache');
    assert.deepEqual(rebuilt.report.summary.cache, { hits: ANALYSED, misses: 0 });
    assert.doesNotMatch(rebuilt.run.stderr, /warning/);
  });

  it('warns once when the cache cannot be written, and still reports everything', () => {
    const dir = project({ ...files(), 'not-a-folder': 'x' });
    const plain = scanJson(dir);
    for (let run = 0; run < 2; run++) {
      const r = scanJson(dir, '--cache-dir', 'not-a-folder/cache');
      assert.equal(r.run.status, plain.run.status);
      assert.equal(r.run.stderr.match(/warning/g)?.length, 1, r.run.stderr);
      assert.match(r.run.stderr, /^threatlens: warning: cannot write the result cache in .*not-a-folder[/\\]cache: not a directory; results were not cached$/m);
      assert.deepEqual(r.report.summary.cache, { hits: 0, misses: ANALYSED });
      assert.deepEqual(stable(r.report), stable(plain.report));
    }
  });

  it('keeps the cache where --cache-dir or THREATLENS_CACHE_DIR says, and rejects an empty --cache-dir', async () => {
    const dir = project({ 'a.py': PICKLE });
    assert.deepEqual(scanJson(dir, '--cache-dir', 'out/c').report.summary.cache, { hits: 0, misses: 1 });
    assert.deepEqual(scanJson(dir, '--cache-dir=out/c').report.summary.cache, { hits: 1, misses: 0 });
    assert.ok(fs.readdirSync(path.join(dir, 'out', 'c')).some((f) => f.startsWith('scan-')));
    const shared = project();
    const run = await cliAsync(dir, { THREATLENS_CACHE_DIR: shared }, 'scan', '--cache', '--format', 'json');
    assert.deepEqual((JSON.parse(run.stdout) as JsonReport).summary.cache, { hits: 0, misses: 1 });
    assert.ok(fs.readdirSync(path.join(shared, 'scan')).some((f) => f.startsWith('scan-')), 'a scan/ folder next to the OSV cache');
    assert.ok(!fs.existsSync(path.join(dir, '.threatlens-cache')));
    assert.equal(scanJson(dir).report.summary.cache, undefined, 'no cache field without --cache');
    const empty = cli(dir, 'scan', '--cache-dir=');
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /--cache-dir needs a folder name/);
  });
});

describe('Jupyter notebooks', () => {
  const NOTEBOOK = JSON.stringify(
    {
      cells: [
        { cell_type: 'markdown', metadata: {}, source: ['# Demo\n'] },
        { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['!pip install torch\n', 'import torch\n'] },
        {
          cell_type: 'code',
          metadata: {},
          execution_count: 1,
          outputs: [{ output_type: 'stream', name: 'stdout', text: ['pickle.loads(x)\n'] }],
          source: ['x = 1\n', 'm = torch.load("ckpt.pt")\n'],
        },
      ],
      metadata: { kernelspec: { language: 'python', name: 'python3' } },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  );

  it('scans notebooks in folders, reporting cell and line, and skips broken ones with a message', () => {
    const dir = project({ 'nb/train.ipynb': NOTEBOOK, 'nb/broken.ipynb': '{"cells": [', 'nb/r.ipynb': JSON.stringify({ cells: [], metadata: { language_info: { name: 'R' } } }) });
    const text = cli(dir, 'scan', 'nb');
    assert.equal(text.status, 1, text.stderr);
    assert.match(text.stdout, /^nb\/train\.ipynb:cell 3:2:5: MEDIUM TL108 /m);
    assert.match(text.stderr, /nb\/broken\.ipynb: error: cannot read notebook: not a valid notebook \(JSON error/);
    assert.match(text.stderr, /nb\/r\.ipynb: error: cannot read notebook: not a Python notebook \(language: R\)/);
    const { report } = scanJson(dir, 'nb');
    // The unpinned `!pip install torch` of cell 2 and the torch.load of cell 3; outputs are never read as code.
    const found = (report.findings as unknown as { ruleId: string; cell: number; range: { start: { line: number; column: number } } }[]).map(
      (f) => `${f.ruleId} cell ${f.cell} ${f.range.start.line}:${f.range.start.column}`,
    );
    assert.deepEqual(found, ['TL001 cell 2 1:14', 'TL108 cell 3 2:5']);
  });

  it('places notebook results on the .ipynb line in SARIF', () => {
    const dir = project({ 'train.ipynb': NOTEBOOK });
    const log = JSON.parse(cli(dir, 'scan', '--format', 'sarif').stdout) as {
      runs: { results: { message: { text: string }; locations: { physicalLocation: { region?: { startLine: number } } }[] }[] }[];
    };
    const [pip, load] = log.runs[0].results;
    const fileLine = (r: typeof pip) => NOTEBOOK.split('\n')[r.locations[0].physicalLocation.region!.startLine - 1];
    assert.match(fileLine(pip), /!pip install torch/);
    assert.match(pip.message.text, /^Cell 2, line 1: /);
    assert.match(fileLine(load), /torch\.load/);
    assert.match(load.message.text, /^Cell 3, line 2: /);
  });
});

describe('dependency manifests', () => {
  const REQS = 'numpy\npyyaml==5.3\ntorch==2.4.1\n';
  const LIBRARY = '[build-system]\nrequires = ["setuptools"]\n\n[project]\nname = "lib"\nversion = "1"\ndependencies = ["numpy>=1.24", "torch"]\n';
  const APP = '[project]\nname = "app"\nversion = "1"\ndependencies = ["numpy"]\n';

  it('finds manifests in folders, knows libraries and lock files, and skips virtual environments', () => {
    const dir = project({
      'requirements.txt': REQS,
      'lib/pyproject.toml': LIBRARY,
      'app/pyproject.toml': APP,
      'locked/pyproject.toml': APP,
      'locked/uv.lock': '# lock\n',
      'env/environment.yml': 'name: x\ndependencies:\n  - python=3.11\n  - pip:\n      - --extra-index-url https://example.com/simple\n',
      '.venv/requirements.txt': 'numpy\n',
    });
    const { report } = scanJson(dir);
    const found = report.findings.map((f) => `${f.file}:${f.range.start.line}:${f.range.start.column} ${f.ruleId}`);
    assert.deepEqual(found, [
      'app/pyproject.toml:4:18 TL001',
      'env/environment.yml:5:9 TL003',
      'requirements.txt:1:1 TL001',
      'requirements.txt:2:7 TL007',
    ]);
    const vuln = report.findings.find((f) => f.ruleId === 'TL007')!;
    assert.match(vuln.message, /pyyaml 5\.3 has \d+ known vulnerabilit/);
    assert.match(vuln.message, /PYSEC-2021-142/);
    assert.match(vuln.message, /advisory data of 2024-10-10/);
    assert.equal(vuln.fixes[0].edits[0].newText.length > 0, true);
    assert.ok(vuln.threats.some((t) => t.id === 'MLT-016'));
    assert.ok(vuln.atlas.some((t) => t.id === 'AML.T0010.001'));
    // A snippet fix (a version to fill in) is written with its placeholder as plain text.
    const unpinned = report.findings.find((f) => f.ruleId === 'TL001' && f.file === 'requirements.txt')!;
    assert.deepEqual(unpinned.fixes[0].edits[0], { range: { start: { line: 1, column: 6 }, end: { line: 1, column: 6 } }, newText: '==VERSION' });
  });

  it('reports a malformed line once and still checks the rest of the file', () => {
    const dir = project({ 'requirements.txt': 'numpy==1.26.4\n<<<<<<< HEAD\ntorchtriton\n' });
    const text = cli(dir, 'scan');
    assert.equal(text.status, 1);
    assert.match(text.stderr, /^requirements\.txt:2:1: error: cannot read this: .+; the rest of the file was checked$/m);
    assert.match(text.stdout, /^requirements\.txt:3:1: CRITICAL TL008 /m);
    const { report } = scanJson(dir);
    assert.equal(report.errors.length, 1);
    assert.match(report.errors[0].message, /^line 2, column 1: /);
  });

  it('--online adds OSV advisories for pinned versions, and falls back to the snapshot when OSV is down', async () => {
    const dir = project({ 'requirements.txt': 'transformers==4.30.0\npyyaml==5.3\n' });
    const cache = project();
    const offline = scanJson(dir).report.findings.map((f) => f.ruleId);
    assert.deepEqual(offline, ['TL007'], 'offline: only the snapshot knows pyyaml');

    const osv = await startFakeOsv([FAKE_TRANSFORMERS]);
    try {
      const run = await cliAsync(dir, { THREATLENS_CACHE_DIR: cache }, 'scan', '--format', 'json', '--online', '--osv-url', osv.url);
      const report = JSON.parse(run.stdout) as JsonReport;
      const online = report.findings.find((f) => f.message.includes('transformers'));
      assert.ok(online, run.stderr);
      assert.equal(online.ruleId, 'TL007');
      assert.equal(online.severity, 'critical', 'severity from the CVSS vector (9.8)');
      assert.match(online.message, /GHSA-test-0000-0001 \(CVE-2099-0001\)/);
      assert.match(online.message, /Upgrade to 4\.36\.0/);
      assert.match(run.stderr, /online advisory lookup: 2 pinned versions checked with OSV \(2 online, 0 from cache\)/);
      assert.ok(osv.requests.includes('POST /v1/querybatch'));
    } finally {
      await osv.close();
    }

    const dead = await startFakeOsv([], 'hang');
    try {
      const started = Date.now();
      const run = await cliAsync(dir, { THREATLENS_CACHE_DIR: project() }, 'scan', '--format', 'json', '--online', '--osv-url', dead.url);
      assert.ok(Date.now() - started < 15_000, 'the lookup gives up after its timeout');
      assert.match(run.stderr, /OSV: error: online advisory lookup failed: timed out after \d+ ms; used the offline snapshot of 2024-10-10/);
      const report = JSON.parse(run.stdout) as JsonReport;
      assert.deepEqual(report.findings.map((f) => f.ruleId), ['TL007'], 'the snapshot still answers for pyyaml');
    } finally {
      await dead.close();
    }
  });
});

/** Runs the CLI without blocking this process (a fake server in the test must keep answering). */
function cliAsync(cwd: string, extraEnv: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extraEnv };
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('unreadable and undecodable files', () => {
  it('reports them on stderr and in the JSON errors, and scans the rest', () => {
    const dir = project({
      'binary.py': Buffer.from([0x80, 0x03, 0x00, 0x00, 0x01, 0xff, 0x00, 0x7f]),
      'latin1.py': Buffer.from('import pickle\nname = "caf\xe9"\n', 'latin1'), // no coding declaration: invalid UTF-8
      'declared.py': Buffer.from('# -*- coding: latin-1 -*-\nimport pickle\nname = "caf\xe9"; pickle.loads(b)\n', 'latin1'),
      'good.py': PICKLE,
    });
    if (CAN_SYMLINK) fs.symlinkSync(path.join(dir, 'missing-target.py'), path.join(dir, 'dangling.py'));
    let locked: string | undefined;
    if (!IS_ROOT && process.platform !== 'win32') {
      locked = path.join(dir, 'locked.py');
      fs.writeFileSync(locked, PICKLE);
      fs.chmodSync(locked, 0o000);
    }

    const { run, report } = scanJson(dir);
    assert.equal(run.status, 1, 'the findings in the readable files still fail the run');
    assert.deepEqual(filesOf(report), ['declared.py', 'good.py']);
    const declared = report.findings.find((f) => f.file === 'declared.py');
    assert.deepEqual(declared?.range.start, { line: 3, column: 16 });

    const errors = new Map(report.errors.map((e) => [e.file, e.message]));
    assert.match(errors.get('binary.py') ?? '', /binary/);
    assert.match(errors.get('latin1.py') ?? '', /not valid UTF-8/);
    if (CAN_SYMLINK) assert.match(errors.get('dangling.py') ?? '', /broken symbolic link/);
    if (locked) assert.match(errors.get('locked.py') ?? '', /permission denied/);
    for (const file of errors.keys()) assert.match(run.stderr, new RegExp(`^${file.replace('.', '\\.')}: error: `, 'm'));
    assert.equal(report.summary.files, 2);
    for (const e of report.errors) assert.ok(!e.message.includes(dir), `no absolute path in '${e.message}'`);
  });

  it('still finds problems in the intact parts of a malformed file', () => {
    const dir = project({
      'broken.py': 'import pickle\n\ndef broken(:\n    return [1, 2\n\nclass X(\n\npickle.loads(data)\n',
    });
    const { run, report } = scanJson(dir);
    assert.equal(run.status, 1);
    assert.equal(report.findings.length, 1);
    assert.equal(report.findings[0].ruleId, 'TL101');
    assert.equal(report.findings[0].range.start.line, 8);
  });
});

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

describe('scan options', () => {
  const files = { 'a.py': PICKLE, 'b.py': TORCH, 'c.py': 'import subprocess\nsubprocess.run(cmd, shell=True)\n' };

  it('--select runs only the named rules, --ignore leaves rules out', () => {
    const dir = project(files);
    const all = scanJson(dir).report.findings.map((f) => f.ruleId).sort();
    assert.deepEqual(all, ['TL101', 'TL108', 'TL203']);
    assert.deepEqual(scanJson(dir, '--select', 'tl101,TL108').report.findings.map((f) => f.ruleId).sort(), ['TL101', 'TL108']);
    assert.deepEqual(scanJson(dir, '--select', 'TL101', '--select', 'TL203').report.findings.map((f) => f.ruleId).sort(), ['TL101', 'TL203']);
    assert.deepEqual(scanJson(dir, '--ignore', 'TL203').report.findings.map((f) => f.ruleId).sort(), ['TL101', 'TL108']);
    assert.deepEqual(scanJson(dir, '--select', 'TL101,TL203', '--ignore', 'TL203').report.findings.map((f) => f.ruleId), ['TL101']);
  });

  it('honours # nosec unless --no-nosec', () => {
    const dir = project({ 'a.py': 'import pickle\npickle.loads(b)  # nosec\n' });
    const honoured = scanJson(dir);
    assert.equal(honoured.run.status, 0);
    assert.equal(honoured.report.summary.suppressed, 1);
    const audited = scanJson(dir, '--no-nosec');
    assert.equal(audited.run.status, 1);
    assert.equal(audited.report.findings.length, 1);
  });

  it('--output writes the report to a file and the summary to stderr', () => {
    const dir = project(files);
    for (const format of ['text', 'json', 'sarif']) {
      const out = `report.${format}`;
      const r = cli(dir, 'scan', '--format', format, '--output', out);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /3 findings \(0 critical, 2 high, 1 medium, 0 low\) in 3 files/);
      const written = fs.readFileSync(path.join(dir, out), 'utf8');
      if (format === 'text') assert.match(written, /^a\.py:2:1: HIGH TL101/m);
      else assert.ok(JSON.parse(written), 'valid JSON');
    }
    const quiet = cli(dir, 'scan', '--format', 'json', '-o', 'q.json', '-q');
    assert.equal(quiet.stderr, '');
  });

  it('keeps stdout pure JSON and puts the summary on stderr', () => {
    const dir = project(files);
    const r = cli(dir, 'scan', '-f', 'json');
    assert.doesNotThrow(() => JSON.parse(r.stdout));
    assert.match(r.stderr, /3 findings/);
  });
});

// ---------------------------------------------------------------------------------------------
// JSON report
// ---------------------------------------------------------------------------------------------

describe('JSON report', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'cli-json-schema.json'), 'utf8')) as object;
  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

  it('validates against docs/cli-json-schema.json', () => {
    const dir = project({
      'a.py': PICKLE,
      'b.py': TORCH,
      'clean.py': CLEAN,
      'bad.py': Buffer.from([0xff, 0xfe, 0x00]),
      'c.py': 'import subprocess\nsubprocess.run(cmd, shell=True)\n',
    });
    const { report } = scanJson(dir);
    assert.ok(validate(report), JSON.stringify(validate.errors, null, 2));
    const empty = scanJson(project()).report;
    assert.ok(validate(empty), JSON.stringify(validate.errors, null, 2));
    assert.equal(empty.summary.files, 0);
    const cached = scanJson(dir, '--cache').report;
    assert.ok(cached.summary.cache && validate(cached), JSON.stringify(validate.errors, null, 2));
  });

  it('validates on the demo project', { skip: !fs.existsSync(path.join(ROOT, 'demo')) }, () => {
    const { report } = scanJson(ROOT, 'demo');
    assert.ok(validate(report), JSON.stringify(validate.errors, null, 2));
  });

  it('has 1-based lines and columns and the rule, threat and ATLAS details', () => {
    const dir = project({ 'load.py': PICKLE });
    const { report } = scanJson(dir);
    assert.equal(report.version, 1);
    assert.deepEqual(report.tool, { name: 'threatlens', version: PKG.version });
    assert.equal(report.findings.length, 1);
    const f = report.findings[0];
    assert.equal(f.file, 'load.py');
    assert.deepEqual(f.range, { start: { line: 2, column: 1 }, end: { line: 2, column: 16 } });
    assert.equal(f.ruleId, 'TL101');
    assert.equal(f.severity, 'high');
    assert.ok(f.ruleName.length > 0);
    assert.ok(f.threats.length > 0 && f.threats.every((t) => /^MLT-\d{3}$/.test(t.id) && t.name));
    assert.ok(f.atlas.length > 0 && f.atlas.every((t) => t.url.startsWith('https://')));
    assert.ok(f.cwe.includes('CWE-502'));
    assert.deepEqual(report.summary.bySeverity, { critical: 0, high: 1, medium: 0, low: 0 });
    assert.equal(report.summary.findings, 1);
    assert.equal(report.summary.files, 1);
  });

  it('counts columns in UTF-16 code units', () => {
    const dir = project({ 'u.py': 'import pickle\nx = "é😀"; pickle.loads(b)\n' });
    const f = scanJson(dir).report.findings[0];
    // `x = "é😀"; ` is 11 UTF-16 code units (the emoji is two).
    assert.deepEqual(f.range.start, { line: 2, column: 12 });
  });

  it('gives fixes with 1-based edit ranges', () => {
    const dir = project({ 'm.py': TORCH });
    const f = scanJson(dir).report.findings[0];
    assert.equal(f.ruleId, 'TL108');
    const fix = f.fixes[0];
    assert.equal(fix.safety, 'safe');
    assert.match(fix.title, /weights_only/);
    const edit = fix.edits[0];
    // Inserted before the closing parenthesis of torch.load("model.pt") on line 2.
    const line = TORCH.split('\n')[1];
    assert.equal(edit.range.start.line, 2);
    assert.equal(edit.range.start.column, line.lastIndexOf(')') + 1);
    assert.match(edit.newText, /weights_only=True/);
  });
});

// ---------------------------------------------------------------------------------------------
// SARIF report
// ---------------------------------------------------------------------------------------------

describe('SARIF report', () => {
  interface SarifRegion {
    startLine: number;
    startColumn: number;
    endLine: number;
    endColumn: number;
  }
  interface SarifLog {
    $schema: string;
    version: string;
    runs: {
      tool: {
        driver: {
          name: string;
          version: string;
          rules: {
            id: string;
            name: string;
            shortDescription: { text: string };
            fullDescription: { text: string };
            help: { text: string; markdown: string };
            helpUri: string;
            defaultConfiguration: { level: string };
            properties: { tags: string[]; 'security-severity': string; precision: string };
          }[];
        };
      };
      originalUriBaseIds?: unknown;
      invocations: { executionSuccessful: boolean; toolExecutionNotifications?: { level: string; message: { text: string } }[] }[];
      results: {
        ruleId: string;
        ruleIndex: number;
        level: string;
        message: { text: string };
        locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region: SarifRegion } }[];
        partialFingerprints: Record<string, string>;
        fixes?: {
          description: { text: string };
          artifactChanges: { artifactLocation: { uri: string }; replacements: { deletedRegion: SarifRegion; insertedContent: { text: string } }[] }[];
        }[];
      }[];
    }[];
  }

  function sarif(cwd: string, ...args: string[]): SarifLog {
    const r = cli(cwd, 'scan', '--format', 'sarif', ...args);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    return JSON.parse(r.stdout) as SarifLog;
  }

  it('is a SARIF 2.1.0 log with rules, results, locations, fixes and fingerprints', () => {
    const dir = project({ 'src/a.py': PICKLE, 'src/b.py': TORCH, 'bad.py': Buffer.from([0, 1, 2]) });
    const log = sarif(dir);
    assert.equal(log.version, '2.1.0');
    assert.equal(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
    assert.equal(log.runs.length, 1);
    const run = log.runs[0];
    assert.equal(run.originalUriBaseIds, undefined);
    const driver = run.tool.driver;
    assert.equal(driver.name, 'ThreatLens');
    assert.equal(driver.version, PKG.version);

    const ids = driver.rules.map((r) => r.id);
    assert.ok(ids.includes('TL101') && ids.includes('TL108') && ids.includes('TL203'), 'every rule that ran');
    for (const rule of driver.rules) {
      assert.match(rule.helpUri, new RegExp(`^file:///.*/docs/rules/${rule.id}\\.md$`));
      assert.match(rule.help.markdown, new RegExp(`^# ${rule.id} `));
      assert.ok(rule.help.text.length > 0 && rule.shortDescription.text && rule.fullDescription.text);
      assert.ok(['error', 'warning', 'note'].includes(rule.defaultConfiguration.level));
      assert.ok(rule.properties.tags.includes('security'));
      assert.ok(rule.properties.tags.some((t) => /^MLT-\d{3}$/.test(t)));
      assert.ok(rule.properties.tags.some((t) => /^AML\.T\d{4}/.test(t)));
      assert.ok(rule.properties.tags.some((t) => /^CWE-\d+$/.test(t)));
      assert.match(rule.properties['security-severity'], /^\d+\.\d$/);
      assert.equal(rule.properties.precision, 'high');
    }
    const tl101 = driver.rules.find((r) => r.id === 'TL101');
    assert.equal(tl101?.defaultConfiguration.level, 'error');
    assert.equal(tl101?.properties['security-severity'], '8.0');

    assert.equal(run.results.length, 2);
    for (const result of run.results) {
      assert.equal(driver.rules[result.ruleIndex].id, result.ruleId);
      const loc = result.locations[0].physicalLocation;
      assert.equal(loc.artifactLocation.uriBaseId, '%SRCROOT%');
      assert.ok(!loc.artifactLocation.uri.startsWith('/') && !loc.artifactLocation.uri.includes('\\'));
      assert.ok(loc.region.startLine >= 1 && loc.region.startColumn >= 1);
      assert.ok(Object.values(result.partialFingerprints)[0].length > 8);
    }
    const pickle = run.results.find((r) => r.ruleId === 'TL101');
    assert.equal(pickle?.locations[0].physicalLocation.artifactLocation.uri, 'src/a.py');
    assert.deepEqual(pickle?.locations[0].physicalLocation.region, { startLine: 2, startColumn: 1, endLine: 2, endColumn: 16 });
    assert.equal(pickle?.level, 'error');

    const torch = run.results.find((r) => r.ruleId === 'TL108');
    assert.equal(torch?.level, 'warning');
    const fix = torch?.fixes?.[0];
    assert.ok(fix, 'torch.load finding carries a fix');
    assert.match(fix.description.text, /weights_only/);
    assert.equal(fix.artifactChanges[0].artifactLocation.uri, 'src/b.py');
    const replacement = fix.artifactChanges[0].replacements[0];
    assert.equal(replacement.deletedRegion.startLine, 2);
    assert.match(replacement.insertedContent.text, /weights_only=True/);

    const notes = run.invocations[0].toolExecutionNotifications ?? [];
    assert.ok(notes.some((n) => n.level === 'error' && n.message.text.startsWith('bad.py:')));
    assert.equal(run.invocations[0].executionSuccessful, true);
    assert.ok(!JSON.stringify(run.results).includes(dir), 'no absolute paths in results');
  });

  it('keeps fingerprints stable when lines move, distinct for repeated lines', () => {
    const before = sarif(project({ 'a.py': PICKLE }));
    const after = sarif(project({ 'a.py': 'import pickle\n\n\n# moved down\npickle.loads(b)\n' }));
    assert.deepEqual(after.runs[0].results[0].partialFingerprints, before.runs[0].results[0].partialFingerprints);
    const twice = sarif(project({ 'a.py': 'import pickle\npickle.loads(b)\npickle.loads(b)\n' }));
    const prints = twice.runs[0].results.map((r) => JSON.stringify(r.partialFingerprints));
    assert.equal(new Set(prints).size, 2);
  });

  it('carries MITRE ATLAS, threat and CWE taxonomies that the rules relate to', () => {
    interface Taxonomy {
      name: string;
      taxa: { id: string; name: string; helpUri?: string }[];
    }
    const dir = project({ 'a.py': PICKLE });
    const run = (JSON.parse(cli(dir, 'scan', '--format', 'sarif').stdout) as { runs: { taxonomies: Taxonomy[]; tool: { driver: { rules: unknown[] } } }[] }).runs[0];
    assert.deepEqual(run.taxonomies.map((t) => t.name), ['MITRE ATLAS', 'ThreatLens threat catalog', 'CWE']);
    const rules = run.tool.driver.rules as {
      id: string;
      relationships: { target: { id: string; index: number; toolComponent: { name: string; index: number } } }[];
      properties: { threats: { id: string; stages: string[] }[] };
    }[];
    const tl101 = rules.find((r) => r.id === 'TL101')!;
    assert.ok(tl101.relationships.length > 0);
    for (const rel of tl101.relationships) {
      const taxonomy = run.taxonomies[rel.target.toolComponent.index];
      assert.equal(taxonomy.name, rel.target.toolComponent.name);
      assert.equal(taxonomy.taxa[rel.target.index].id, rel.target.id);
    }
    assert.ok(run.taxonomies[0].taxa.every((t) => /^AML\.T\d{4}/.test(t.id) && t.helpUri?.startsWith('https://atlas.mitre.org/techniques/')));
    assert.ok(run.taxonomies[1].taxa.every((t) => /^MLT-\d{3}$/.test(t.id)));
    assert.ok(tl101.properties.threats.every((t) => t.stages.length > 0));
  });

  it('lists only the rules that ran, and links help to --docs-base-url', () => {
    const log = sarif(project({ 'a.py': PICKLE }), '--select', 'TL101,TL108', '--docs-base-url', 'https://example.org/docs/rules/');
    const rules = log.runs[0].tool.driver.rules;
    assert.deepEqual(rules.map((r) => r.id), ['TL101', 'TL108']);
    assert.equal(rules[0].helpUri, 'https://example.org/docs/rules/TL101.md');
    const bad = cli(project(), 'scan', '--format', 'sarif', '--docs-base-url', 'not a url');
    assert.equal(bad.status, 2);
  });
});

// ---------------------------------------------------------------------------------------------
// rules, explain, help, version
// ---------------------------------------------------------------------------------------------

describe('other commands', () => {
  const dir = (): string => project();

  it('rules prints a table and rules --json the metadata', () => {
    const table = cli(dir(), 'rules');
    assert.equal(table.status, 0);
    assert.match(table.stdout, /^ID\s+SEVERITY\s+FAMILY\s+TITLE$/m);
    assert.match(table.stdout, /^TL101\s+high\s+deserialization\s+\S/m);
    const json = cli(dir(), 'rules', '--json');
    assert.equal(json.status, 0);
    const rules = JSON.parse(json.stdout) as { id: string; severity: string; docs: { finds: string } }[];
    const tl101 = rules.find((r) => r.id === 'TL101');
    assert.ok(tl101 && tl101.docs.finds.length > 0);
  });

  it('explain prints a rule document, case-insensitively', () => {
    const r = cli(dir(), 'explain', 'tl108');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^# TL108 /);
    assert.match(r.stdout, /## Why it is dangerous/);
    assert.match(r.stdout, /## Use instead/);
  });

  it('explain describes a threat of the catalog', () => {
    const catalog = JSON.parse(fs.readFileSync(path.join(ROOT, 'threat-catalog', 'threats.json'), 'utf8')) as {
      threats: { id: string; name: string }[];
    };
    const threat = catalog.threats[0];
    const r = cli(dir(), 'explain', threat.id);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`${threat.id} ${threat.name}\n`));
    assert.match(r.stdout, /Lifecycle stages: /);
    assert.match(r.stdout, /ATLAS techniques:\n {2}- AML\.T\d{4}/);
    assert.match(r.stdout, /Mitigations:\n {2}- /);
  });

  it('threats lists the catalog and filters it by stage, technique, tactic, rule and source', () => {
    const all = cli(dir(), 'threats', '--json');
    assert.equal(all.status, 0, all.stderr);
    const threats = JSON.parse(all.stdout) as { id: string; stages: string[]; techniques: string[]; source: { kind: string }; inCode: { rules: string[] } }[];
    assert.ok(threats.length >= 6);
    const table = cli(dir(), 'threats');
    assert.match(table.stdout, /^ID\s+SEVERITY\s+SOURCE\s+RULES\s+STAGES\s+NAME$/m);
    assert.equal(table.stdout.trim().split('\n').length, threats.length + 1);

    const training = JSON.parse(cli(dir(), 'threats', '--stage', 'training', '--json').stdout) as typeof threats;
    assert.ok(training.length > 0);
    assert.deepEqual(training, threats.filter((t) => t.stages.includes('Training')));

    // A parent technique matches threats that use one of its sub-techniques.
    const supply = JSON.parse(cli(dir(), 'threats', '--technique', 'AML.T0010', '--json').stdout) as typeof threats;
    assert.ok(supply.length > 0 && supply.every((t) => t.techniques.some((x) => x === 'AML.T0010' || x.startsWith('AML.T0010.'))));

    const byRule = JSON.parse(cli(dir(), 'threats', '--rule', 'tl108', '--json').stdout) as typeof threats;
    assert.ok(byRule.length > 0 && byRule.every((t) => t.inCode.rules.includes('TL108')));

    const execution = JSON.parse(cli(dir(), 'threats', '--tactic', 'AML.TA0005', '--source', 'atlas-case-study', '--json').stdout) as typeof threats;
    assert.ok(execution.every((t) => t.source.kind === 'atlas-case-study'));

    for (const bad of [['--stage', 'Nowhere'], ['--technique', 'AML.T9999'], ['--rule', 'TL999'], ['--source', 'blog'], ['extra']]) {
      const r = cli(dir(), 'threats', ...bad);
      assert.equal(r.status, 2, bad.join(' '));
      assert.match(r.stderr, /^threatlens: error: /);
    }
  });

  it('--version, --help and help scan', () => {
    const v = cli(dir(), '--version');
    assert.equal(v.status, 0);
    assert.equal(v.stdout, `${PKG.version}\n`);
    const h = cli(dir(), '--help');
    assert.equal(h.status, 0);
    assert.match(h.stdout, /threatlens scan/);
    const hs = cli(dir(), 'help', 'scan');
    assert.equal(hs.status, 0);
    assert.match(hs.stdout, /--fail-on/);
    assert.equal(cli(dir(), 'scan', '--help').stdout, hs.stdout);
  });
});
