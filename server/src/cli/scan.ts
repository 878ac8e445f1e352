/**
 * Reads and analyses files. `scanFile` handles one file and returns plain, serialisable data, so a
 * worker thread can run it; `scanFiles` drives one thread or a pool of worker threads.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { TextDecoder } from 'node:util';
import * as path from 'node:path';
import {
  AdvisoryDb,
  bundledAdvisories,
  Engine,
  NotebookError,
  lineStarts,
  manifestKindOf,
  type Advisory,
  type AnalysisOptions,
  type AnalysisResult,
  type Finding,
  type ManifestOptions,
  type NotebookProgram,
} from '../engine';
import { describeFsError, type SourceFile } from './walk';

/** Files larger than this are skipped with a notice (generated or data files, not hand-written code). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

export interface ScanOptions {
  readonly analysis: AnalysisOptions;
  readonly maxFileBytes?: number;
  /** Advisories found online (OSV) before the scan, checked on top of the bundled snapshot. */
  readonly extraAdvisories?: readonly Advisory[];
}

/** A malformed part of a manifest (0-based position); the rest of the file was checked. */
export interface FileProblem {
  readonly line: number;
  readonly character: number;
  readonly message: string;
}

export interface ScannedFinding extends Finding {
  /** The text of the finding's first line, trimmed (for fingerprints and snippets). */
  readonly sourceLine: string;
}

export type FileOutcome =
  | {
      readonly kind: 'scanned';
      readonly findings: ScannedFinding[];
      readonly suppressed: number;
      readonly hasSyntaxErrors: boolean;
      /** Set for notebooks: where the cells are, to place findings in the .ipynb file. */
      readonly notebook?: NotebookProgram;
      /** Manifests: lines that could not be read. */
      readonly problems?: FileProblem[];
    }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'skipped'; readonly message: string };

export interface FileResult {
  readonly file: SourceFile;
  readonly outcome: FileOutcome;
}

const BINARY_PROBE_BYTES = 8000;
const UTF8_NAMES = new Set(['utf-8', 'utf8', 'utf-8-sig', 'utf_8', 'u8']);

/**
 * The encoding a PEP 263 declaration on line 1 or 2 names (`# -*- coding: latin-1 -*-`), or undefined.
 */
function declaredEncoding(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 400).toString('latin1').split(/\r\n|\r|\n/, 2);
  for (const line of head) {
    const m = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/.exec(line);
    if (m) return m[1].toLowerCase();
    // The declaration may only be on line 2 when line 1 is a comment or blank.
    if (!/^[ \t\f]*(#.*)?$/.test(line)) break;
  }
  return undefined;
}

type Decoded = { ok: true; text: string } | { ok: false; message: string };

/** Decodes Python source bytes: UTF-8 (BOM allowed) unless the file declares another encoding. */
export function decodeSource(bytes: Buffer): Decoded {
  if (bytes.subarray(0, BINARY_PROBE_BYTES).includes(0)) {
    return { ok: false, message: 'binary data (NUL bytes), not Python source' };
  }
  const declared = declaredEncoding(bytes);
  const isUtf8 = !declared || UTF8_NAMES.has(declared);
  let decoder: TextDecoder | undefined;
  // Python spells some codecs differently from the WHATWG labels TextDecoder knows (`latin-1`).
  const labels = isUtf8 ? ['utf-8'] : [declared, declared.replace(/[-_]/g, ''), declared.replace(/_/g, '-')];
  for (const label of labels) {
    try {
      decoder = new TextDecoder(label, { fatal: true });
      break;
    } catch {
      // try the next spelling
    }
  }
  if (!decoder) return { ok: false, message: `unsupported source encoding '${declared}'` };
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    return { ok: false, message: isUtf8 ? 'not valid UTF-8 text' : `not valid ${declared} text` };
  }
}

/** Returns a function giving the trimmed text of a 0-based line (lines end at `\n`, as for tree-sitter). */
function lineReader(text: string): (line: number) => string {
  const starts = lineStarts(text);
  return (line) => {
    const start = starts[line];
    if (start === undefined) return '';
    const next = starts[line + 1];
    return text.slice(start, next === undefined ? text.length : next - 1).trim();
  };
}

const advisoryDbs = new WeakMap<readonly Advisory[], AdvisoryDb>();

/** The analysis options of a scan, with the online advisories when there are some. */
function analysisOptions(options: ScanOptions): ManifestOptions {
  const extra = options.extraAdvisories;
  if (!extra?.length) return options.analysis;
  let advisories = advisoryDbs.get(extra);
  if (!advisories) advisoryDbs.set(extra, (advisories = bundledAdvisories().withExtra([...extra])));
  return { ...options.analysis, advisories };
}

/** `analysisOptions` plus the names of the file's neighbours (lock files decide whether pins are expected). */
function manifestOptions(file: SourceFile, options: ScanOptions): ManifestOptions {
  let siblings: string[] | undefined;
  try {
    siblings = fs.readdirSync(path.dirname(file.abs));
  } catch {
    siblings = undefined;
  }
  return { ...analysisOptions(options), siblings, path: file.display };
}

/** Reads and analyses one file. Never throws for problems with the file itself. */
export function scanFile(engine: Engine, file: SourceFile, options: ScanOptions): FileResult {
  const limit = options.maxFileBytes ?? MAX_FILE_BYTES;
  let bytes: Buffer;
  try {
    const size = fs.statSync(file.abs).size;
    if (size > limit) {
      const mib = (size / (1024 * 1024)).toFixed(1);
      return { file, outcome: { kind: 'skipped', message: `larger than ${limit / (1024 * 1024)} MiB (${mib} MiB), not scanned` } };
    }
    bytes = fs.readFileSync(file.abs);
  } catch (err) {
    return { file, outcome: { kind: 'error', message: `cannot read file: ${describeFsError(err)}` } };
  }
  const decoded = decodeSource(bytes);
  if (!decoded.ok) return { file, outcome: { kind: 'error', message: `cannot decode file: ${decoded.message}` } };
  let text = decoded.text;
  let result: AnalysisResult;
  let notebook: NotebookProgram | undefined;
  const manifestKind = manifestKindOf(path.basename(file.abs));
  try {
    if (file.abs.endsWith('.ipynb')) {
      const r = engine.analyzeNotebook(text, analysisOptions(options));
      notebook = r.program;
      text = r.program.text;
      result = r;
    } else if (manifestKind && manifestKind !== 'setup-py') {
      result = engine.analyzeManifest(path.basename(file.abs), text, manifestOptions(file, options));
    } else {
      result = engine.analyze(text, analysisOptions(options));
      if (manifestKind === 'setup-py') {
        // setup.py: Python first, and its literal install_requires as a manifest.
        const deps = engine.analyzeManifest(path.basename(file.abs), text, manifestOptions(file, options));
        result = { ...result, findings: [...result.findings, ...deps.findings].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character), suppressed: result.suppressed + deps.suppressed };
      }
    }
  } catch (err) {
    if (err instanceof NotebookError) return { file, outcome: { kind: 'error', message: `cannot read notebook: ${err.message}` } };
    // A bug in a rule must not hide the findings in every other file.
    return { file, outcome: { kind: 'error', message: `internal error while analysing: ${err instanceof Error ? err.message : String(err)}` } };
  }
  const lineOf = result.findings.length > 0 ? lineReader(text) : () => '';
  // Notebook findings are cell-relative; the snippet comes from the combined program.
  const programLine = (f: Finding) => f.range.start.line + (f.cell !== undefined ? (notebook?.cells.find((c) => c.number === f.cell)?.startLine ?? 0) : 0);
  const findings = result.findings.map((f) => ({ ...f, sourceLine: lineOf(programLine(f)) }));
  return {
    file,
    outcome: {
      kind: 'scanned',
      findings,
      suppressed: result.suppressed,
      hasSyntaxErrors: result.hasSyntaxErrors,
      notebook,
      ...(result.problems?.length ? { problems: result.problems.map((p) => ({ line: p.range.start.line, character: p.range.start.character, message: p.message })) } : {}),
    },
  };
}

/** Below this many files a scan stays on one thread unless `jobs` is given explicitly. */
const WORKER_THRESHOLD = 48;

/** Work-pool size by default: the machine's cores, at most 8. */
export function defaultJobs(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(8, cores));
}

interface WorkerRequest {
  index: number;
  file: SourceFile;
}

interface WorkerReply {
  index: number;
  result: FileResult;
}

/**
 * Scans `files` and returns one result per file, in the same order; `onResult` also sees them in
 * that order. With `jobs > 1` (and enough files, or `jobs` chosen explicitly) the files are shared
 * among worker threads, each with its own engine; otherwise the engine is created once, here.
 *
 * When `signal` aborts, no further file is started, the worker threads are terminated and the
 * promise resolves with the results finished so far, in file order.
 * Without a signal nothing changes: the single-thread loop then never yields.
 */
export async function scanFiles(
  files: readonly SourceFile[],
  options: ScanOptions & { jobs?: number; explicitJobs?: boolean; signal?: AbortSignal },
  onResult?: (result: FileResult) => void,
): Promise<FileResult[]> {
  const signal = options.signal;
  const jobs = Math.min(options.jobs ?? defaultJobs(), files.length);
  const useWorkers = jobs > 1 && (options.explicitJobs || files.length >= WORKER_THRESHOLD) && isMainThread;
  if (!useWorkers) {
    const engine = await Engine.create();
    const results: FileResult[] = [];
    for (const file of files) {
      if (signal) {
        // Let the caller's event loop run (and notice a cancellation) between files.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (signal.aborted) break;
      }
      const result = scanFile(engine, file, options);
      onResult?.(result);
      results.push(result);
    }
    return results;
  }
  if (signal?.aborted) return [];
  const results: (FileResult | undefined)[] = new Array(files.length);
  let next = 0;
  let flushed = 0;
  const flush = () => {
    // `onResult?.(results[flushed++])` would skip the increment when there is no callback.
    while (flushed < files.length && results[flushed]) {
      const result = results[flushed++]!;
      onResult?.(result);
    }
  };
  const scanOptions: ScanOptions = { analysis: options.analysis, maxFileBytes: options.maxFileBytes, extraAdvisories: options.extraAdvisories };
  const stops: (() => void)[] = [];
  const onAbort = () => {
    for (const stop of stops) stop();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(
      Array.from({ length: jobs }, () => {
        const worker = new Worker(__filename, { workerData: { threatlensScanWorker: scanOptions } });
        return new Promise<void>((resolve, reject) => {
          let finished = false;
          const finish = () => {
            if (finished) return;
            finished = true;
            void worker.terminate().then(() => resolve(), () => resolve());
          };
          stops.push(finish);
          const feed = () => {
            if (finished) return;
            if (next >= files.length || signal?.aborted) {
              finish();
              return;
            }
            const index = next++;
            worker.postMessage({ index, file: files[index] } satisfies WorkerRequest);
          };
          worker.on('message', (reply: WorkerReply) => {
            if (finished) return;
            results[reply.index] = reply.result;
            flush();
            feed();
          });
          worker.on('error', (err) => {
            if (!finished) reject(err);
          });
          worker.on('online', feed);
        });
      }),
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return signal?.aborted ? results.filter((r): r is FileResult => r !== undefined) : (results as FileResult[]);
}

/** Worker side: one engine per thread, then scan whatever file the main thread sends. */
async function runScanWorker(options: ScanOptions): Promise<void> {
  const engine = await Engine.create();
  parentPort!.on('message', (req: WorkerRequest) => {
    parentPort!.postMessage({ index: req.index, result: scanFile(engine, req.file, options) } satisfies WorkerReply);
  });
}

const workerOptions = !isMainThread ? (workerData as { threatlensScanWorker?: ScanOptions } | undefined)?.threatlensScanWorker : undefined;
if (workerOptions) void runScanWorker(workerOptions);
