// `npm start`: scans the bundled demo/ workspace with the freshly built CLI, then opens the same
// folder in a real VS Code with ThreatLens installed: the packaged VSIX in code-server (VS Code in
// the browser), served on 127.0.0.1 until Ctrl-C.
//
//   node scripts/start.mjs [--no-browser-ui] [--port=N]
//
// --no-browser-ui (or THREATLENS_START_SCAN_ONLY=1) stops after the scan, for machines that cannot
// install code-server. --port picks the port (default: 8080, or the next free one).
// Findings are the point of the demo, so the scan's exit code 1 (findings) counts as success.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
let port;
let scanOnly = ['1', 'true', 'yes'].includes(String(process.env.THREATLENS_START_SCAN_ONLY ?? '').toLowerCase());
for (const a of argv) {
  if (a === '--no-browser-ui') scanOnly = true;
  else if (/^--port=\d+$/.test(a)) port = Number(a.slice('--port='.length));
  else {
    console.error(`start: unknown option ${a} (use --no-browser-ui or --port=N)`);
    process.exit(2);
  }
}

const started = Date.now();
const scan = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'scan', 'demo'], { cwd: root, stdio: 'inherit' });
const ms = Date.now() - started;
if (scan.status !== 0 && scan.status !== 1) process.exit(scan.status ?? 2);
console.log(`
Scanned demo/ in ${ms} ms (whole process, including start-up).
Next:
  node dist/cli.js scan demo --format sarif --output threatlens.sarif   # for GitHub code scanning
  node dist/cli.js explain TL108                                        # one rule's documentation
  npm run package                                                       # dist/threatlens.vsix for VS Code
`);
if (scanOnly) process.exit(0);

const SCAN_ONLY_HINT = 'To only scan, without VS Code: npm start -- --no-browser-ui   (or THREATLENS_START_SCAN_ONLY=1 npm start)';
const tc = await import('./vscode-toolchain.mjs');

console.log('Opening demo/ in VS Code (code-server) with ThreatLens installed…');
try {
  await tc.ensureToolchain({ browser: false });
} catch (err) {
  console.error(`\nCannot install code-server here: ${err.reason ?? err.message}\n${err.hint ?? ''}\n${SCAN_ONLY_HINT}`);
  process.exit(1);
}

const packaged = spawnSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (packaged.status !== 0) {
  process.stdout.write(packaged.stdout ?? '');
  console.error('npm run package failed');
  process.exit(1);
}
const vsix = path.join(root, 'dist', 'threatlens.vsix');
const home = path.join(tc.CACHE_DIR, 'code-server');
const userDataDir = path.join(home, 'user-data');
const extensionsDir = path.join(home, 'extensions');
fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
const settings = path.join(userDataDir, 'User', 'settings.json');
if (!fs.existsSync(settings)) {
  // First start: open the demo's README, keep the profile quiet. Later edits by the user are kept.
  const first = {
    'workbench.startupEditor': 'readme',
    'telemetry.telemetryLevel': 'off',
    'extensions.ignoreRecommendations': true,
    'chat.disableAIFeatures': true,
    'git.openRepositoryInParentFolders': 'never',
  };
  fs.writeFileSync(settings, `${JSON.stringify(first, null, 2)}\n`);
}
try {
  tc.installExtension(vsix, { extensionsDir, userDataDir });
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
console.log(`Installed ${path.relative(root, vsix)} into ${path.relative(root, extensionsDir)}/`);

const demo = path.join(root, 'demo');
let server;
try {
  server = await tc.startCodeServer({ folder: demo, userDataDir, extensionsDir, port: await tc.freePort(port ?? 8080) });
} catch (err) {
  console.error(`code-server did not start: ${err.message}\n${SCAN_ONLY_HINT}`);
  process.exit(1);
}
console.log(`
ThreatLens is running in VS Code (code-server): ${server.url(demo)}
Open it in a browser on this machine (it listens on 127.0.0.1 only, no password). Press Ctrl-C to stop.
`);

let stopping = false;
const stop = async (why) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${why}: stopping code-server…`);
  await server.stop();
  console.log('Stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
const code = await server.exited;
if (!stopping) {
  console.error(`code-server exited on its own (${code}). Its last output:\n${server.output().split('\n').slice(-30).join('\n')}`);
  process.exit(1);
}
