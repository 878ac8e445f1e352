/**
 * The language server half of `npm run bench` (scripts/bench.mjs bundles this file with esbuild
 * into bench-results/.build/lsp-bench.js and runs it as a child process).
 *
 *   node lsp-bench.js <options-json>
 *
 * It starts the BUILT server (`node dist/server.js --stdio`) as an editor would and speaks LSP to
 * it over stdio, then prints one JSON object (`LspBenchResult`) on stdout:
 *
 * - start-up: spawn → `initialize` answered → first `publishDiagnostics` for a small file with a
 *   finding opened right after `initialized` (a fresh server for each of `runs` runs);
 * - typing: a 5,000+ line file made of corpus sources that have findings is opened, then `edits`
 *   one-character edits are applied (type `x` at the end of a line, then delete it, spread over
 *   the file); each edit waits for the diagnostics of its version. The time is didChange sent →
 *   publishDiagnostics received, whatever the server does in between: it analyses a change at once
 *   when the file's analyses are quick (up to `immediateBelowMs`) and debounces it (`debounceMs`)
 *   when they are slow, so there is no fixed delay to subtract any more (`minusDebounce` is kept
 *   for the report's sake and equals `endToEnd`). `typed` and `restored` split the edits: a
 *   deletion brings back the text of before the `x`, which the server answers from its result
 *   cache. `replay` then applies the very same edits in this process to the server's own document
 *   class and analysis code path (`OpenDocument`: incremental tree-sitter re-parse, then the
 *   rules; no cache) and times only that;
 * - memory: a fresh server opens `memoryFiles` corpus files and, once all are analysed, the
 *   server process's VmRSS and VmHWM are read from /proc/<pid>/status.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ConfigurationParams,
  type InitializeResult,
  type MessageConnection,
  type PublishDiagnosticsParams,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver/node';
import { analyzeTree, enabledRules, Engine, triggeredRules, type Finding } from '../server/src/engine';
import { DEFAULT_SETTINGS } from '../server/src/protocol';
import { OpenDocument } from '../server/src/lsp/documents';
import { toAnalysisOptions } from '../server/src/lsp/settings';
import { DEFAULT_DEBOUNCE_MS, DEFAULT_IMMEDIATE_BELOW_MS } from '../server/src/lsp/server';

export interface LspBenchOptions {
  /** dist/server.js */
  serverBundle: string;
  /** Folder the corpus paths are relative to. */
  corpusRoot: string;
  /** Corpus files (relative to corpusRoot), in a stable order. */
  files: string[];
  /** Start-up measurements (each with a fresh server). */
  runs: number;
  /** One-character edits (half typing, half deleting). */
  edits: number;
  /** Lines the typing file must have at least. */
  bigFileLines: number;
  /** Files opened for the memory measurement. */
  memoryFiles: number;
  /** Where to write the generated typing file (for inspection). */
  bigFileOut: string;
}

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export interface LspBenchResult {
  /** The debounce of changes to slow files (ms). */
  debounceMs: number;
  /** Changes to files whose analyses take at most this long are analysed at once (ms). */
  immediateBelowMs: number;
  startup: {
    runs: { initializeMs: number; firstDiagnosticsMs: number; diagnostics: number }[];
    initializeMs: number;
    firstDiagnosticsMs: number;
  };
  typing: {
    file: { lines: number; sources: string[]; findings: number; path: string };
    openToDiagnosticsMs: number;
    endToEnd: Percentiles;
    /** Equal to `endToEnd`: the server no longer waits a fixed time before analysing. */
    minusDebounce: Percentiles;
    /** End to end of the edits that type an `x` (a text the server has not seen). */
    typed: Percentiles;
    /** End to end of the edits that delete it again (the text of before: a result-cache hit). */
    restored: Percentiles;
    replay: Percentiles;
  };
  memory: {
    files: number;
    lines: number;
    openToAllDiagnosticsMs: number;
    baselineRssMiB: number;
    rssMiB: number;
    hwmMiB: number;
  };
}

const WAIT_MS = 60_000;

function percentiles(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const rank = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { n: s.length, p50: rank(0.5), p95: rank(0.95), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

function median(values: number[]): number {
  return percentiles(values).p50;
}

function procStatusMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

function lineCount(text: string): number {
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** A minimal LSP client: records diagnostics, answers configuration requests with the defaults. */
class Client {
  private readonly published: PublishDiagnosticsParams[] = [];
  private readonly waiters = new Set<() => void>();
  private stderr = '';
  private exited = false;

  private constructor(
    readonly proc: ChildProcessWithoutNullStreams,
    readonly conn: MessageConnection,
  ) {
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    proc.on('exit', () => {
      this.exited = true;
      this.wake();
    });
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.published.push(p);
      this.wake();
    });
    conn.onNotification(() => undefined);
    conn.onRequest('workspace/configuration', (params: ConfigurationParams) =>
      params.items.map((item) => (item.section === 'threatlens' ? DEFAULT_SETTINGS : null)),
    );
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.onRequest('client/registerCapability', () => null);
    conn.listen();
  }

  static start(bundle: string): Client {
    const proc = spawn(process.execPath, [bundle, '--stdio'], { stdio: 'pipe' });
    const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
    return new Client(proc, conn);
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  async initialize(folder: string): Promise<InitializeResult> {
    const uri = pathToFileURL(folder).href;
    const result = await this.conn.sendRequest<InitializeResult>('initialize', {
      processId: process.pid,
      rootUri: uri,
      workspaceFolders: [{ uri, name: 'bench' }],
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } },
        textDocument: { synchronization: { didSave: true }, publishDiagnostics: { versionSupport: true } },
      },
    });
    await this.conn.sendNotification('initialized', {});
    return result;
  }

  open(uri: string, text: string, version = 1): Promise<void> {
    return this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version, text } });
  }

  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): Promise<void> {
    return this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
  }

  /** Resolves when diagnostics for every `uri@version` in `wanted` have arrived (from index `from`). */
  waitForDiagnostics(wanted: Map<string, number>, from: number): Promise<PublishDiagnosticsParams[]> {
    return new Promise((resolve, reject) => {
      const found = new Map<string, PublishDiagnosticsParams>();
      let cursor = from;
      const check = (): void => {
        for (; cursor < this.published.length; cursor++) {
          const p = this.published[cursor];
          if (wanted.get(p.uri) === p.version) found.set(p.uri, p);
        }
        if (found.size === wanted.size) {
          done();
          resolve([...found.values()]);
        } else if (this.exited) {
          done();
          reject(new Error(`the server exited while diagnostics were awaited\n${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${WAIT_MS} ms waiting for diagnostics (${found.size} of ${wanted.size})\n${this.stderr}`));
      }, WAIT_MS);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  async diagnostics(uri: string, version: number, from: number): Promise<PublishDiagnosticsParams> {
    const [p] = await this.waitForDiagnostics(new Map([[uri, version]]), from);
    return p;
  }

  mark(): number {
    return this.published.length;
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      await Promise.race([
        (async () => {
          await this.conn.sendRequest('shutdown');
          await this.conn.sendNotification('exit');
        })().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
    }
    this.conn.dispose();
    if (!this.exited) this.proc.kill();
  }
}

const STARTUP_FILE = [
  'import pickle',
  '',
  '',
  'def load_model(path):',
  '    with open(path, "rb") as f:',
  '        return pickle.load(f)',
  '',
].join('\n');

async function measureStartup(opts: LspBenchOptions, folder: string): Promise<LspBenchResult['startup']> {
  const runs: LspBenchResult['startup']['runs'] = [];
  for (let i = 0; i < opts.runs; i++) {
    const t0 = performance.now();
    const client = Client.start(opts.serverBundle);
    try {
      await client.initialize(folder);
      const initializeMs = performance.now() - t0;
      const uri = pathToFileURL(join(folder, 'startup_model.py')).href;
      const from = client.mark();
      await client.open(uri, STARTUP_FILE);
      const p = await client.diagnostics(uri, 1, from);
      runs.push({ initializeMs, firstDiagnosticsMs: performance.now() - t0, diagnostics: p.diagnostics.length });
    } finally {
      await client.stop();
    }
  }
  return {
    runs,
    initializeMs: median(runs.map((r) => r.initializeMs)),
    firstDiagnosticsMs: median(runs.map((r) => r.firstDiagnosticsMs)),
  };
}

/** The Python analysis of `ThreatLensServer.analyze` (server/src/lsp/server.ts), for the replay. */
function serverAnalysis(engine: Engine, doc: OpenDocument): Finding[] {
  const options = toAnalysisOptions(DEFAULT_SETTINGS);
  const text = doc.text;
  const rules = triggeredRules(text, enabledRules(options));
  const result = rules.length > 0 ? analyzeTree(doc.syncedTree(engine), text, options, rules) : undefined;
  let findings = result?.findings ?? [];
  if (/\binstall\b/.test(text)) findings = [...findings, ...engine.analyzeInstalls(text, doc.syncedTree(engine), options).findings];
  return findings;
}

/** Concatenates corpus files that have findings (then any others) until `minLines` is reached. */
function typingFile(engine: Engine, opts: LspBenchOptions): { text: string; sources: string[]; findings: number } {
  const withFindings: { path: string; text: string }[] = [];
  const others: { path: string; text: string }[] = [];
  let linesWithFindings = 0;
  for (const path of opts.files) {
    let text: string;
    try {
      text = readFileSync(join(opts.corpusRoot, path), 'utf8');
    } catch {
      continue;
    }
    const lines = lineCount(text);
    if (lines < 100 || lines > opts.bigFileLines / 2) continue;
    if (linesWithFindings < opts.bigFileLines && engine.analyze(text).findings.length > 0) {
      withFindings.push({ path, text });
      linesWithFindings += lines;
    } else if (others.length < 50) {
      others.push({ path, text });
    }
    if (linesWithFindings >= opts.bigFileLines) break;
  }
  const parts: string[] = [];
  const sources: string[] = [];
  let lines = 0;
  for (const f of [...withFindings, ...others]) {
    if (lines >= opts.bigFileLines) break;
    parts.push(`# ---- ${f.path} ----\n${f.text.endsWith('\n') ? f.text : `${f.text}\n`}`);
    sources.push(f.path);
    lines += lineCount(parts[parts.length - 1]);
  }
  const text = `# ThreatLens benchmark: corpus sources concatenated (not meant to run).\n${parts.join('\n')}`;
  return { text, sources, findings: engine.analyze(text).findings.length };
}

/** `count` one-character edits spread over the file: type `x` at the end of a line, then delete it. */
function editsFor(text: string, count: number): TextDocumentContentChangeEvent[] {
  const lines = text.split('\n');
  const candidates = lines.map((l, i) => ({ l, i })).filter(({ l }) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const pairs = Math.ceil(count / 2);
  const edits: TextDocumentContentChangeEvent[] = [];
  for (let p = 0; p < pairs; p++) {
    const { l, i } = candidates[Math.floor(((p + 0.5) * candidates.length) / pairs)];
    const at = { line: i, character: l.length };
    edits.push({ range: { start: at, end: at }, text: 'x' });
    edits.push({ range: { start: at, end: { line: i, character: l.length + 1 } }, text: '' });
  }
  return edits.slice(0, count);
}

async function measureTyping(engine: Engine, opts: LspBenchOptions): Promise<LspBenchResult['typing']> {
  const big = typingFile(engine, opts);
  writeFileSync(opts.bigFileOut, big.text);
  const edits = editsFor(big.text, opts.edits);
  const uri = pathToFileURL(opts.bigFileOut).href;

  const client = Client.start(opts.serverBundle);
  const endToEnd: number[] = [];
  let openToDiagnosticsMs: number;
  try {
    await client.initialize(dirname(opts.bigFileOut));
    let from = client.mark();
    let t = performance.now();
    await client.open(uri, big.text);
    await client.diagnostics(uri, 1, from);
    openToDiagnosticsMs = performance.now() - t;
    for (let k = 0; k < edits.length; k++) {
      const version = k + 2;
      from = client.mark();
      t = performance.now();
      await client.change(uri, version, [edits[k]]);
      await client.diagnostics(uri, version, from);
      endToEnd.push(performance.now() - t);
    }
  } finally {
    await client.stop();
  }

  // The same edits on the server's own document class and analysis path, in this process.
  const doc = new OpenDocument(uri, 'python', 1, big.text);
  serverAnalysis(engine, doc);
  const replay: number[] = [];
  for (let k = 0; k < edits.length; k++) {
    const t = performance.now();
    doc.applyChanges([edits[k]], k + 2);
    serverAnalysis(engine, doc);
    replay.push(performance.now() - t);
  }
  doc.dispose();

  return {
    file: { lines: lineCount(big.text), sources: big.sources, findings: big.findings, path: opts.bigFileOut },
    openToDiagnosticsMs,
    endToEnd: percentiles(endToEnd),
    minusDebounce: percentiles(endToEnd),
    typed: percentiles(endToEnd.filter((_, k) => k % 2 === 0)),
    restored: percentiles(endToEnd.filter((_, k) => k % 2 === 1)),
    replay: percentiles(replay),
  };
}

async function measureMemory(opts: LspBenchOptions): Promise<LspBenchResult['memory']> {
  // An even sample of the corpus, not just its first folder.
  const n = Math.min(opts.memoryFiles, opts.files.length);
  const picked = Array.from({ length: n }, (_, i) => opts.files[Math.floor((i * opts.files.length) / n)]);
  const docs = picked.map((p) => {
    const path = join(opts.corpusRoot, p);
    return { uri: pathToFileURL(path).href, text: readFileSync(path, 'utf8') };
  });
  const client = Client.start(opts.serverBundle);
  try {
    await client.initialize(opts.corpusRoot);
    const baseline = procStatusMiB(client.proc.pid!);
    const from = client.mark();
    const t = performance.now();
    for (const d of docs) await client.open(d.uri, d.text);
    await client.waitForDiagnostics(new Map(docs.map((d) => [d.uri, 1])), from);
    const openToAllDiagnosticsMs = performance.now() - t;
    const after = procStatusMiB(client.proc.pid!);
    return {
      files: docs.length,
      lines: docs.reduce((sum, d) => sum + lineCount(d.text), 0),
      openToAllDiagnosticsMs,
      baselineRssMiB: baseline.rss,
      rssMiB: after.rss,
      hwmMiB: after.hwm,
    };
  } finally {
    await client.stop();
  }
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '') as LspBenchOptions;
  const folder = opts.corpusRoot;
  const startup = await measureStartup(opts, folder);
  const engine = await Engine.create();
  const typing = await measureTyping(engine, opts);
  const memory = await measureMemory(opts);
  const result: LspBenchResult = { debounceMs: DEFAULT_DEBOUNCE_MS, immediateBelowMs: DEFAULT_IMMEDIATE_BELOW_MS, startup, typing, memory };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(2);
  },
);
