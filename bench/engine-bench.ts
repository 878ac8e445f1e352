/**
 * The parse floor and the engine alone, for `npm run bench` (scripts/bench.mjs bundles this file
 * with esbuild into bench-results/.build/engine-bench.js so no TypeScript loader is timed).
 *
 *   node engine-bench.js classify <list-file> <analysed-file>
 *        which files `Engine.analyze` analyses (the ones that mention something a rule looks at;
 *        it skips the others without parsing): their indices are written to <analysed-file>,
 *        and the time of that text search (the pre-filter) is reported. Not timed by the driver.
 *   node engine-bench.js parse   <list-file> <analysed-file>   parse every file (the floor)
 *   node engine-bench.js analyse <list-file> <analysed-file>   `Engine.analyze` every file, as the CLI does
 *
 * <list-file> holds one path per line, relative to the working directory. The parse and analyse
 * processes are timed from the outside (spawn to exit) and do nothing else; on stdout they print
 * one JSON object (`EngineBenchResult`) with the time spent inside the loop, in total and for the
 * analysed files, so the driver can compare analysis with parsing on exactly those files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Engine, enabledRules, triggeredRules } from '../server/src/engine';

export interface EngineBenchResult {
  mode: 'classify' | 'parse' | 'analyse';
  files: number;
  lines: number;
  /** Files `Engine.analyze` parses and runs rules on (the rest it skips after a text search). */
  analysedFiles: number;
  /** Milliseconds from the start of the script to the engine being ready (wasm loaded). */
  startupMs: number;
  /** Milliseconds reading the files (not part of the two sums below). */
  readMs: number;
  /** Milliseconds in `parse` (+ tree.delete), `analyze` or the pre-filter (classify), all files. */
  totalMs: number;
  /** The same, only the files in `analysedFiles`. */
  analysedMs: number;
  findings: number;
  syntaxErrorFiles: number;
}

/** The same test `Engine.analyze` makes before parsing (server/src/engine/index.ts, `mayInstall`). */
function mayInstall(text: string): boolean {
  return text.includes('install') && /\bpip3?\b|\bconda\b/.test(text);
}

function lineCount(text: string): number {
  if (text.length === 0) return 0;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

async function main(): Promise<void> {
  const started = performance.now();
  const [mode, listFile, analysedFile] = process.argv.slice(2);
  if ((mode !== 'classify' && mode !== 'parse' && mode !== 'analyse') || !listFile || !analysedFile) {
    console.error('usage: engine-bench.js classify|parse|analyse <list-file> <analysed-file>');
    process.exit(2);
  }
  const engine = await Engine.create();
  const startupMs = performance.now() - started;
  const paths = readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
  const rules = enabledRules({});
  const installRules = rules.some((r) => r.manifest);
  const analysedSet = mode === 'classify' ? new Set<number>() : new Set<number>(JSON.parse(readFileSync(analysedFile, 'utf8')) as number[]);

  const result: EngineBenchResult = {
    mode,
    files: paths.length,
    lines: 0,
    analysedFiles: 0,
    startupMs,
    readMs: 0,
    totalMs: 0,
    analysedMs: 0,
    findings: 0,
    syntaxErrorFiles: 0,
  };
  paths.forEach((p, index) => {
    const t0 = performance.now();
    const text = readFileSync(p, 'utf8');
    const t1 = performance.now();
    result.readMs += t1 - t0;
    result.lines += lineCount(text);
    let ms: number;
    if (mode === 'classify') {
      // The test `Engine.analyze` makes before parsing.
      const s = performance.now();
      const analysed = triggeredRules(text, rules).length > 0 || (installRules && mayInstall(text));
      ms = performance.now() - s;
      if (analysed) analysedSet.add(index);
    } else if (mode === 'parse') {
      const s = performance.now();
      const tree = engine.parse(text);
      const error = tree.rootNode.hasError;
      tree.delete();
      ms = performance.now() - s;
      if (error) result.syntaxErrorFiles++;
    } else {
      const s = performance.now();
      const r = engine.analyze(text);
      ms = performance.now() - s;
      result.findings += r.findings.length;
      if (r.hasSyntaxErrors) result.syntaxErrorFiles++;
    }
    result.totalMs += ms;
    if (analysedSet.has(index)) {
      result.analysedFiles++;
      result.analysedMs += ms;
    }
  });
  if (mode === 'classify') writeFileSync(analysedFile, JSON.stringify([...analysedSet]));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(2);
});
