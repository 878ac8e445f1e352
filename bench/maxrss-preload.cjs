// Peak memory of a Node child process when GNU time (/usr/bin/time) is not installed: loaded with
// `node --require bench/maxrss-preload.cjs ...` by bench/measure.mjs, it writes
// process.resourceUsage().maxRSS (KiB; the whole process, worker threads included) to the file
// named by THREATLENS_BENCH_MAXRSS_FILE when the process exits.
'use strict';
const { writeFileSync } = require('node:fs');
const { isMainThread } = require('node:worker_threads');

const file = process.env.THREATLENS_BENCH_MAXRSS_FILE;
if (file && isMainThread) {
  process.on('exit', () => {
    try {
      writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {
      // Nothing to report to: the driver then shows the memory as unknown.
    }
  });
}
