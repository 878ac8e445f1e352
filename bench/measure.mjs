// One measurement of `npm run bench`: a child process timed from spawn to exit, with its peak
// memory (maximum resident set size).
//
// Peak memory comes from GNU time (`/usr/bin/time -v`, "Maximum resident set size") when it is
// installed. Otherwise a Node child is started with `--require bench/maxrss-preload.cjs`, which
// writes its own process.resourceUsage().maxRSS at exit, and any other child (Bandit) is started
// through a tiny Python wrapper that reads getrusage(RUSAGE_CHILDREN).ru_maxrss after it exits.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';
const PRELOAD = new URL('./maxrss-preload.cjs', import.meta.url).pathname;
const PY_WRAPPER =
  'import resource, subprocess, sys\n' +
  'code = subprocess.call(sys.argv[2:])\n' +
  'open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n' +
  'sys.exit(code)\n';

/** How peak memory is measured on this machine (shown in the report). */
export function memoryMethod() {
  return existsSync(GNU_TIME) ? '/usr/bin/time -v (Maximum resident set size)' : 'process.resourceUsage().maxRSS (Node) / getrusage(RUSAGE_CHILDREN) (others)';
}

/**
 * Runs `command args` in `cwd` and returns { ms, peakMiB, cpuSeconds (user + system, GNU time
 * only), load1 (the 1-minute load average when it started), code, signal, stdout, stderr }.
 * `node: true` marks a Node child (`command` is process.execPath), for the fallback preload.
 */
export function measure(command, args, { cwd, node = false, env = {} } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'threatlens-bench-'));
  const rssFile = join(scratch, 'rss');
  let cmd = command;
  let argv = args;
  let mode = 'time';
  if (existsSync(GNU_TIME)) {
    cmd = GNU_TIME;
    argv = ['-v', '-o', rssFile, command, ...args];
  } else if (node) {
    mode = 'preload';
    argv = ['--require', PRELOAD, ...args];
  } else {
    mode = 'python';
    cmd = 'python3';
    argv = ['-c', PY_WRAPPER, rssFile, command, ...args];
  }
  const load1 = loadavg()[0];
  const started = process.hrtime.bigint();
  const result = spawnSync(cmd, argv, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, ...env, ...(mode === 'preload' ? { THREATLENS_BENCH_MAXRSS_FILE: rssFile } : {}) },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  let peakMiB = null;
  let cpuSeconds = null;
  try {
    const text = readFileSync(rssFile, 'utf8');
    const kb = mode === 'time' ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(text)?.[1]) : Number(text.trim());
    if (Number.isFinite(kb) && kb > 0) peakMiB = kb / 1024;
    if (mode === 'time') {
      const user = Number(/User time \(seconds\): ([\d.]+)/.exec(text)?.[1]);
      const sys = Number(/System time \(seconds\): ([\d.]+)/.exec(text)?.[1]);
      if (Number.isFinite(user) && Number.isFinite(sys)) cpuSeconds = user + sys;
    }
  } catch {
    // Unknown.
  }
  let code = result.status;
  let signal = result.signal;
  if (mode === 'time') {
    // GNU time exits with the command's status; a signal shows in its report.
    try {
      const text = readFileSync(rssFile, 'utf8');
      const m = /Command terminated by signal (\d+)/.exec(text);
      if (m) signal = `signal ${m[1]}`;
    } catch {
      // Already handled.
    }
  }
  rmSync(scratch, { recursive: true, force: true });
  return { ms, peakMiB, cpuSeconds, load1, code, signal, error: result.error?.message, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}
