// What `npm run bench` installs and builds before it measures anything:
//
// - Debian packages: python3-torch and python3-sklearn (the corpora) and bandit. Installed with
//   apt-get when missing and running as root; otherwise the command is printed and the benchmark
//   goes on with what is there (missing tools show as "not available").
// - Ruff's WebAssembly build, @astral-sh/ruff-wasm-nodejs, from bench/toolchain/ (a package.json
//   and lockfile of its own, pinned to an exact version, never a dependency of ThreatLens):
//   `npm ci` there when the installed version is not the locked one.
// - ThreatLens itself (`npm run build` when dist/ is missing or older than the sources) and the
//   two bench scripts written in TypeScript, bundled with esbuild into bench-results/.build/ so no
//   TypeScript loader is part of what is timed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
export const BENCH_DIR = join(ROOT, 'bench');
export const TOOLCHAIN_DIR = join(BENCH_DIR, 'toolchain');
export const RESULTS_DIR = join(ROOT, 'bench-results');
export const BUILD_DIR = join(RESULTS_DIR, '.build');
export const DIST_PACKAGES = '/usr/lib/python3/dist-packages';

const say = (msg) => console.log(`[bench] ${msg}`);

function commandExists(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Debian packages: { packages: { name: 'present' | 'installed' | 'missing' }, command? }. */
export function ensureDebianPackages({ install = true } = {}) {
  const checks = {
    'python3-torch': () => existsSync(join(DIST_PACKAGES, 'torch', '__init__.py')),
    'python3-sklearn': () => existsSync(join(DIST_PACKAGES, 'sklearn', '__init__.py')),
    bandit: () => commandExists('bandit'),
  };
  const status = {};
  for (const [pkg, ok] of Object.entries(checks)) status[pkg] = ok() ? 'present' : 'missing';
  const missing = Object.keys(status).filter((p) => status[p] === 'missing');
  if (missing.length === 0) return { packages: status };
  const command = `apt-get install -y ${missing.join(' ')}`;
  if (!install) {
    say(`not installing (--no-install): ${missing.join(', ')} missing; run \`sudo ${command}\``);
    return { packages: status, command };
  }
  if (!isRoot() || !commandExists('apt-get')) {
    say(`${missing.join(', ')} missing and this is not a root Debian shell: run \`sudo ${command}\`; going on without them`);
    return { packages: status, command };
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const aptInstall = () => spawnSync('apt-get', ['install', '-y', ...missing], { stdio: 'inherit', env });
  say(command);
  let r = aptInstall();
  if (r.status !== 0) {
    say('apt-get install failed; updating the package lists and trying once more');
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    r = aptInstall();
  }
  for (const pkg of missing) status[pkg] = checks[pkg]() ? 'installed' : 'missing';
  if (r.status !== 0) say(`apt-get install failed (exit ${r.status}); going on with what is available`);
  return { packages: status, command };
}

/** Ruff's wasm build in bench/toolchain: { available, version?, error? }. */
export function ensureRuff({ install = true } = {}) {
  const lock = JSON.parse(readFileSync(join(TOOLCHAIN_DIR, 'package-lock.json'), 'utf8'));
  const locked = lock.packages['node_modules/@astral-sh/ruff-wasm-nodejs']?.version;
  const installedPkg = join(TOOLCHAIN_DIR, 'node_modules', '@astral-sh', 'ruff-wasm-nodejs', 'package.json');
  const installed = () => (existsSync(installedPkg) ? JSON.parse(readFileSync(installedPkg, 'utf8')).version : undefined);
  if (installed() === locked) return { available: true, version: locked };
  if (!install) return { available: false, error: 'not installed (--no-install): run `npm ci` in bench/toolchain' };
  say(`npm ci in bench/toolchain (@astral-sh/ruff-wasm-nodejs ${locked})`);
  const r = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: TOOLCHAIN_DIR, stdio: 'inherit' });
  if (r.status !== 0 || installed() !== locked) return { available: false, error: `npm ci in bench/toolchain failed (exit ${r.status})` };
  return { available: true, version: locked };
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.isFile()) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when a bundle the benchmark runs is missing or older than the sources. */
export function ensureBuilt() {
  const sources = Math.max(newestMtime(join(ROOT, 'server', 'src')), statSync(join(ROOT, 'scripts', 'build.mjs')).mtimeMs);
  const bundles = ['cli.js', 'server.js', 'web-tree-sitter.wasm'].map((f) => join(ROOT, 'dist', f));
  if (bundles.every((b) => existsSync(b) && statSync(b).mtimeMs >= sources)) return false;
  say('dist/ is missing or stale: npm run build');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status})`);
  return true;
}

/** Bundles bench/engine-bench.ts and bench/lsp-bench.ts into bench-results/.build/. */
export async function buildBenchScripts() {
  const esbuild = await import('esbuild');
  mkdirSync(BUILD_DIR, { recursive: true });
  // Same treatment of `import.meta.url` as scripts/build.mjs (web-tree-sitter uses it).
  const IMPORT_META_URL = '__threatlens_import_meta_url';
  const entries = { 'engine-bench.js': 'bench/engine-bench.ts', 'lsp-bench.js': 'bench/lsp-bench.ts' };
  await Promise.all(
    Object.entries(entries).map(([out, entry]) =>
      esbuild.build({
        entryPoints: [join(ROOT, entry)],
        outfile: join(BUILD_DIR, out),
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        sourcemap: false,
        logLevel: 'warning',
        absWorkingDir: ROOT,
        define: { 'process.env.NODE_ENV': '"production"', 'import.meta.url': IMPORT_META_URL },
        banner: { js: `"use strict";\nvar ${IMPORT_META_URL} = require("url").pathToFileURL(__filename).href;` },
      }),
    ),
  );
  return { engineBench: join(BUILD_DIR, 'engine-bench.js'), lspBench: join(BUILD_DIR, 'lsp-bench.js') };
}
