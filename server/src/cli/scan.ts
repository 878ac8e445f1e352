/**
 * Reads and analyses files. `scanFile` handles one file and returns plain, serialisable data, so a
 * worker thread can run it; `scanFiles` drives one thread or a pool of worker threads.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { isMainThread, parentPort, Worker, workerData, type ResourceLimits } from 'node:worker_threads';
import { TextDecoder } from 'node:util';
import * as path from 'node:path';
import {
  AdvisoryDb,
  bundledAdvisories,
  Engine,
  NotebookError,
  lineStarts,
  lockFileFor,
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

/** What a file is analysed as: its name decides (a notebook, a dependency manifest, setup.py, or Python). */
export type FileKind = 'notebook' | 'manifest' | 'setup-py' | 'python';

export function fileKindOf(file: SourceFile): FileKind {
  if (file.abs.endsWith('.ipynb')) return 'notebook';
  const manifestKind = manifestKindOf(path.basename(file.abs));
  if (manifestKind === 'setup-py') return 'setup-py';
  return manifestKind ? 'manifest' : 'python';
}

/** The names of the files in `dir` (a manifest's neighbours: lock files decide whether pins are expected), or undefined. */
export function siblingNames(dir: string): string[] | undefined {
  try {
    return fs.readdirSync(dir);
  } catch {
    return undefined;
  }
}

/**
 * What the analysis of a manifest (or setup.py) reads besides its text, as a string: its display
 * path (development-only files) and the lock file among its neighbours, which is all the engine
 * looks for in `siblings` (`lockFileFor`). The result cache keys manifests on it: a change to what
 * `manifestOptions` passes must show here.
 */
export function manifestInputs(file: SourceFile, siblings: readonly string[] | undefined): string {
  const kind = manifestKindOf(path.basename(file.abs));
  return `${file.display}\0${(kind && lockFileFor(kind, siblings)) || ''}`;
}

/** `analysisOptions` plus the names of the file's neighbours and its display path. */
function manifestOptions(file: SourceFile, options: ScanOptions): ManifestOptions {
  return { ...analysisOptions(options), siblings: siblingNames(path.dirname(file.abs)), path: file.display };
}

/**
 * Reads a file's bytes, or says why it is not scanned: larger than `maxFileBytes` (skipped) or
 * unreadable (error). Never throws.
 */
export function readSource(file: SourceFile, maxFileBytes: number = MAX_FILE_BYTES): { bytes: Buffer } | { outcome: FileOutcome } {
  try {
    const size = fs.statSync(file.abs).size;
    if (size > maxFileBytes) {
      const mib = (size / (1024 * 1024)).toFixed(1);
      return { outcome: { kind: 'skipped', message: `larger than ${maxFileBytes / (1024 * 1024)} MiB (${mib} MiB), not scanned` } };
    }
    return { bytes: fs.readFileSync(file.abs) };
  } catch (err) {
    return { outcome: { kind: 'error', message: `cannot read file: ${describeFsError(err)}` } };
  }
}

/** Reads and analyses one file. Never throws for problems with the file itself. */
export function scanFile(engine: Engine, file: SourceFile, options: ScanOptions): FileResult {
  const read = readSource(file, options.maxFileBytes);
  return { file, outcome: 'outcome' in read ? read.outcome : analyzeSource(engine, file, read.bytes, options) };
}

const DECODE_ERROR = 'cannot decode file: ';
const NOTEBOOK_ERROR = 'cannot read notebook: ';

/**
 * True when `outcome` (of `analyzeSource`) follows from the file's bytes, kind and the options
 * alone, as findings and decoding or notebook errors do; not an internal error of the analysis.
 */
export function isReproducible(outcome: FileOutcome): boolean {
  return outcome.kind === 'scanned' || (outcome.kind === 'error' && (outcome.message.startsWith(DECODE_ERROR) || outcome.message.startsWith(NOTEBOOK_ERROR)));
}

/** Decodes and analyses the bytes of `file`. Never throws for problems with the file itself. */
export function analyzeSource(engine: Engine, file: SourceFile, bytes: Buffer, options: ScanOptions): FileOutcome {
  const decoded = decodeSource(bytes);
  if (!decoded.ok) return { kind: 'error', message: `${DECODE_ERROR}${decoded.message}` };
  let text = decoded.text;
  let result: AnalysisResult;
  let notebook: NotebookProgram | undefined;
  const kind = fileKindOf(file);
  try {
    if (kind === 'notebook') {
      const r = engine.analyzeNotebook(text, analysisOptions(options));
      notebook = r.program;
      text = r.program.text;
      result = r;
    } else if (kind === 'manifest') {
      result = engine.analyzeManifest(path.basename(file.abs), text, manifestOptions(file, options));
    } else {
      result = engine.analyze(text, analysisOptions(options));
      if (kind === 'setup-py') {
        // setup.py: Python first, and its literal install_requires as a manifest.
        const deps = engine.analyzeManifest(path.basename(file.abs), text, manifestOptions(file, options));
        result = { ...result, findings: [...result.findings, ...deps.findings].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character), suppressed: result.suppressed + deps.suppressed };
      }
    }
  } catch (err) {
    if (err instanceof NotebookError) return { kind: 'error', message: `${NOTEBOOK_ERROR}${err.message}` };
    // A bug in a rule must not hide the findings in every other file.
    return { kind: 'error', message: `internal error while analysing: ${err instanceof Error ? err.message : String(err)}` };
  }
  const lineOf = result.findings.length > 0 ? lineReader(text) : () => '';
  // Notebook findings are cell-relative; the snippet comes from the combined program.
  const programLine = (f: Finding) => f.range.start.line + (f.cell !== undefined ? (notebook?.cells.find((c) => c.number === f.cell)?.startLine ?? 0) : 0);
  const findings = result.findings.map((f) => ({ ...f, sourceLine: lineOf(programLine(f)) }));
  return {
    kind: 'scanned',
    findings,
    suppressed: result.suppressed,
    hasSyntaxErrors: result.hasSyntaxErrors,
    notebook,
    ...(result.problems?.length ? { problems: result.problems.map((p) => ({ line: p.range.start.line, character: p.range.start.character, message: p.message })) } : {}),
  };
}

/** Below this many files a scan stays on one thread unless `jobs` is given explicitly. */
const WORKER_THRESHOLD = 48;

/** Work-pool size by default: the machine's cores, at most 8. */
export function defaultJobs(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(8, cores));
}

export interface ScanFilesOptions extends ScanOptions {
  /** Threads that analyse files (default: `defaultJobs()`). */
  readonly jobs?: number;
  /** `jobs` was asked for: use it even below `WORKER_THRESHOLD` files. */
  readonly explicitJobs?: boolean;
  readonly signal?: AbortSignal;
  /**
   * The calling thread analyses files too, next to `jobs - 1` worker threads: one engine (parser,
   * heap, copy of the code) fewer. For the CLI, whose main thread has nothing else to do; a
   * server leaves it unset so that its connection stays responsive while the workers scan.
   */
  readonly mainThreadScans?: boolean;
  /** Heap limits of those workers instead of `WORKER_LIMITS` (tests: a worker that runs out of memory). */
  readonly workerLimits?: ResourceLimits;
  /** With `mainThreadScans`: a worker failed (ran out of memory...) and the main thread took over its files. */
  readonly onWorkerFailure?: (error: unknown) => void;
}

/**
 * With `mainThreadScans`, files from this size on are "large" and go to the worker threads first
 * (largest first), the other files to the main thread first. An analysis needs a heap that grows
 * with the file and a thread keeps the heap it grew; a worker's heap can be kept in check
 * (`WORKER_LIMITS`), the main thread's cannot.
 */
const LARGE_FILE_BYTES = 64 * 1024;
/**
 * Heap limits of the worker threads of a `mainThreadScans` scan. Below V8's default limit the heap
 * also grows in smaller steps (collected sooner): a smaller peak for the same work. A file that
 * needs more (several MiB of Python) makes its worker fail; the main thread then scans it (and
 * whatever else that worker had), without these limits.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 16 };
/** Bytes a worker is sent ahead, at least, when the main thread scans too (at most `MAX_QUEUED_FILES` files). */
const MIN_QUEUED_BYTES = 32 * 1024;
const MAX_QUEUED_FILES = 64;

interface WorkerRequest {
  index: number;
  file: SourceFile;
}

interface WorkerReply {
  index: number;
  result: FileResult;
}

function sizeOf(file: SourceFile): number {
  try {
    return fs.statSync(file.abs).size;
  } catch {
    return 0; // scanFile reports the problem
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Scans `files` and returns one result per file, in the same order; `onResult` also sees them in
 * that order. With `jobs > 1` (and enough files, or `jobs` chosen explicitly) the files are shared
 * among worker threads, each with its own engine (and the calling thread with `mainThreadScans`);
 * otherwise the engine is created once, here. Nothing is created for an empty list.
 *
 * Workers are sent files ahead (two, or with `mainThreadScans` enough bytes to stay busy while the
 * main thread analyses a file of its own), so that they do not wait for a round trip.
 *
 * When `signal` aborts, no further file is started, the worker threads are terminated and the
 * promise resolves with the results finished so far, in file order.
 * Without a signal nothing changes: the single-thread loop then never yields.
 */
export async function scanFiles(files: readonly SourceFile[], options: ScanFilesOptions, onResult?: (result: FileResult) => void): Promise<FileResult[]> {
  const signal = options.signal;
  if (files.length === 0) return [];
  const jobs = Math.min(options.jobs ?? defaultJobs(), files.length);
  const parallel = jobs > 1 && (options.explicitJobs || files.length >= WORKER_THRESHOLD) && isMainThread;
  const mainScans = Boolean(options.mainThreadScans);
  const workerCount = parallel ? (mainScans ? jobs - 1 : jobs) : 0;
  if (workerCount === 0) {
    const engine = await Engine.create();
    const results: FileResult[] = [];
    for (const file of files) {
      if (signal) {
        // Let the caller's event loop run (and notice a cancellation) between files.
        await nextTurn();
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
  let flushed = 0;
  const flush = () => {
    // `onResult?.(results[flushed++])` would skip the increment when there is no callback.
    while (flushed < files.length && results[flushed]) {
      const result = results[flushed++]!;
      onResult?.(result);
    }
  };

  // The work: `small` in file order and, when the main thread scans, `large`, largest first.
  const sizes = mainScans ? files.map(sizeOf) : undefined;
  const small: number[] = [];
  const large: number[] = [];
  files.forEach((_, i) => (sizes && sizes[i] >= LARGE_FILE_BYTES ? large : small).push(i));
  if (sizes) large.sort((a, b) => sizes[b] - sizes[a] || a - b);
  let smallNext = 0;
  let largeFirst = 0;
  let largeEnd = large.length;
  /** Files of failed workers, for the main thread. */
  const retry: number[] = [];
  const takeForWorker = (): number | undefined => (largeFirst < largeEnd ? large[largeFirst++] : smallNext < small.length ? small[smallNext++] : undefined);
  // The main thread takes the large files last, the smallest of them first.
  const takeForMain = (): number | undefined => retry.pop() ?? (smallNext < small.length ? small[smallNext++] : largeFirst < largeEnd ? large[--largeEnd] : undefined);

  const scanOptions: ScanOptions = { analysis: options.analysis, maxFileBytes: options.maxFileBytes, extraAdvisories: options.extraAdvisories };
  /** Size of the file the main thread analyses next: each worker is sent more than that ahead. */
  let mainBytes = 0;
  let failure: { error: unknown } | undefined;
  /** Wakes the main thread when it waits for the workers (one finished or failed). */
  let wake: (() => void) | undefined;

  interface Pool {
    readonly worker: Worker;
    /** Indexes sent and not answered yet. */
    readonly pending: Set<number>;
    queuedBytes: number;
    finished: boolean;
    finish: () => void;
  }
  const pools: Pool[] = [];
  const stopAll = () => {
    for (const p of pools) p.finish();
  };
  const feed = (p: Pool) => {
    if (p.finished) return;
    if (!signal?.aborted && !failure) {
      const wantBytes = mainScans ? Math.max(MIN_QUEUED_BYTES, mainBytes * 1.5) : 0;
      while (p.pending.size < MAX_QUEUED_FILES && (p.pending.size < (mainScans ? 1 : 2) || p.queuedBytes < wantBytes)) {
        const index = takeForWorker();
        if (index === undefined) break;
        p.pending.add(index);
        p.queuedBytes += sizes?.[index] ?? 0;
        p.worker.postMessage({ index, file: files[index] } satisfies WorkerRequest);
      }
    }
    if (p.pending.size === 0) p.finish();
  };

  signal?.addEventListener('abort', stopAll, { once: true });
  try {
    const done = Array.from({ length: workerCount }, () => {
      const worker = new Worker(__filename, {
        workerData: { threatlensScanWorker: scanOptions },
        ...(mainScans ? { resourceLimits: options.workerLimits ?? WORKER_LIMITS } : {}),
      });
      return new Promise<void>((resolve) => {
        const pool: Pool = {
          worker,
          pending: new Set(),
          queuedBytes: 0,
          finished: false,
          finish: () => {
            if (pool.finished) return;
            pool.finished = true;
            wake?.();
            void worker.terminate().then(
              () => resolve(),
              () => resolve(),
            );
          },
        };
        pools.push(pool);
        worker.on('message', (reply: WorkerReply) => {
          if (pool.finished || !pool.pending.delete(reply.index)) return;
          pool.queuedBytes -= sizes?.[reply.index] ?? 0;
          results[reply.index] = reply.result;
          flush();
          feed(pool);
        });
        worker.on('error', (error) => {
          if (pool.finished) return;
          if (mainScans) {
            // Out of memory (or any other failure): the main thread takes this worker's files.
            options.onWorkerFailure?.(error);
            retry.push(...pool.pending);
            pool.pending.clear();
            pool.finish();
          } else {
            failure ??= { error };
            stopAll();
          }
        });
        // Messages wait in the worker's queue while its engine loads.
        feed(pool);
      });
    });
    if (mainScans) {
      try {
        const engine = await Engine.create();
        for (;;) {
          await nextTurn(); // worker replies (and a cancellation) come in between files
          if (signal?.aborted || failure) break;
          const index = takeForMain();
          if (index === undefined) {
            if (pools.every((p) => p.finished)) break;
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
            continue;
          }
          mainBytes = sizes![index];
          for (const p of pools) feed(p);
          results[index] = scanFile(engine, files[index], scanOptions);
          flush();
        }
      } catch (error) {
        failure ??= { error };
        stopAll();
      }
    }
    await Promise.all(done);
  } finally {
    signal?.removeEventListener('abort', stopAll);
  }
  if (failure) throw failure.error;
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
