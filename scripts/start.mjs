// `npm start`: scans the bundled demo/ workspace with the freshly built CLI and explains what to
// try next. Findings are the point of the demo, so exit code 1 (findings) counts as success.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
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
