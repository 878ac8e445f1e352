/**
 * Process-wide V8 settings of the `threatlens` command, applied before anything else of the bundle
 * runs: main.ts imports this module first. Nothing happens when the module is loaded by other code
 * (tests, the language server): only the process the CLI bundle was started as is tuned.
 *
 * While the bundle starts (the rule registry, the threat catalog, the advisory snapshot) most of
 * what it allocates stays alive, and V8 answers that by growing the young generation to its
 * maximum, 2 × 16 MiB, which it then keeps for the life of the process even though a scan's main
 * thread no longer needs it: about 30 MiB of the peak memory of a scan. So the young generation
 * may not grow during start-up; `startupDone` lifts that before the scan. (The flag is read each
 * time V8 considers growing the space; it is process-wide, and no worker exists yet.)
 */
import * as v8 from 'node:v8';
import { isMainThread } from 'node:worker_threads';

/** Bundled, this file is dist/cli.js itself; from sources it is never the entry point. Workers started from the bundle leave the flag alone. */
const tuned = isMainThread && require.main !== undefined && require.main.filename === __filename;

if (tuned) v8.setFlagsFromString('--semi-space-growth-factor=1');

/** Back to V8's default growth of the young generation. */
export function startupDone(): void {
  if (tuned) v8.setFlagsFromString('--semi-space-growth-factor=2');
}
