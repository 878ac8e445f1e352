/**
 * The workspace scan (`threatlens/scanWorkspace`): finds the Python files, notebooks and manifests
 * of the `file:` workspace folders the way the CLI does (`collectFiles`: .gitignore, default
 * excludes), leaves out what `threatlens.exclude` and `threatlens.enable` leave out, analyses them
 * in worker threads (`scanFiles`) so the connection stays responsive, and publishes diagnostics for
 * the files that are not open in the editor (open ones keep their live diagnostics).
 *
 * The results are kept for the session: watched-file events re-analyse what changed on disk,
 * closing a document brings back its on-disk findings, and a settings change re-runs the last scan.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ignore, { type Ignore } from 'ignore';
import {
  FileChangeType,
  type CancellationToken,
  type Connection,
  type Diagnostic,
  type FileEvent,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver/node';
import type { NotebookCell, Position, Range, RelatedInfo } from '../engine';
import { defaultJobs, scanFiles, type FileResult, type ScannedFinding } from '../cli/scan';
import { collectFiles, DEFAULT_EXCLUDED_DIRS, isSourceName, type SourceFile } from '../cli/walk';
import type { ScanWorkspaceParams, ScanWorkspaceResult, StatusParams, ThreatLensSettings } from '../protocol';
import { problemDiagnostic, toDiagnostic } from './diagnostics';
import { ExcludeMatcher, SettingsStore, toAnalysisOptions } from './settings';

/** What the scanner needs from the server. */
export interface WorkspaceHost {
  readonly connection: Connection;
  readonly settings: SettingsStore;
  readonly exclude: ExcludeMatcher;
  readonly docsDir: string;
  /** True when the file at this path is open in the editor (as a document or a synced notebook). */
  isOpen(fsPath: string): boolean;
  status(params: StatusParams): void;
  log(message: string): void;
}

/** The last on-disk analysis of one workspace file. */
interface ScannedFile {
  uri: string;
  diagnostics: Diagnostic[];
  findings: number;
  /** Diagnostics were published for it (it was not open at the time). */
  published: boolean;
}

/** A file a scan may cover, and the URI its diagnostics go to. */
interface Candidate {
  file: SourceFile;
  uri: string;
}

interface Target extends Candidate {
  settings: ThreatLensSettings;
}

const IGNORE_FILES = ['.gitignore', '.threatlensignore'];
const CASE_INSENSITIVE_FS = process.platform === 'win32' || process.platform === 'darwin';

function ignoreRules(dir: string): Ignore | undefined {
  let rules: Ignore | undefined;
  for (const name of IGNORE_FILES) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, name), 'utf8');
    } catch {
      continue;
    }
    rules ??= ignore({ ignorecase: CASE_INSENSITIVE_FS });
    rules.add(text);
  }
  return rules;
}

/**
 * True when the ignore files of the folders from `root` down to `target` (as a folder walk reads
 * them, git's rules: the deepest opinion wins, nothing below an ignored folder comes back) leave
 * `target` or one of the folders above it out.
 */
export function ignoredBelow(root: string, target: string, isDir: boolean): boolean {
  const parts = path.relative(root, target).split(path.sep).filter(Boolean);
  if (parts[0] === '..' || path.isAbsolute(parts[0] ?? '')) return false;
  const layers: { dir: string; rules: Ignore }[] = [];
  let dir = root;
  for (let i = 0; i < parts.length; i++) {
    const rules = ignoreRules(dir);
    if (rules) layers.push({ dir, rules });
    const entry = path.join(dir, parts[i]);
    const entryIsDir = i < parts.length - 1 || isDir;
    let ignored = false;
    for (const layer of layers) {
      const rel = path.relative(layer.dir, entry).split(path.sep).join('/') + (entryIsDir ? '/' : '');
      const verdict = layer.rules.test(rel);
      if (verdict.ignored) ignored = true;
      else if (verdict.unignored) ignored = false;
    }
    if (ignored) return true;
    dir = entry;
  }
  return false;
}

/** Minimum time between two progress reports / status notifications during a scan (ms). */
const REPORT_INTERVAL_MS = 200;

/** The file-system path of a `file:` URI, or undefined for other schemes and malformed URIs. */
export function filePath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return path.normalize(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

/** A URI for `display` (a `/`-separated path relative to the folder) below the folder URI `folderUri`. */
function childUri(folderUri: string, display: string): string {
  const base = folderUri.endsWith('/') ? folderUri : folderUri + '/';
  return base + display.split('/').map(encodeURIComponent).join('/');
}

/** Worker threads for a scan: at least two (the connection's thread stays free), at most four. */
function scanJobs(): number {
  return Math.max(2, Math.min(defaultJobs(), 4));
}

/** A notebook position (cell-relative) as a position in the .ipynb file's text, via the cell's `fileLines`. */
function notebookFilePosition(cell: NotebookCell | undefined, p: Position, jsonLines: readonly string[]): Position {
  const fileLine = cell?.fileLines?.[p.line];
  if (!cell || fileLine === undefined) return { line: 0, character: 0 };
  const json = jsonLines[fileLine - 1] ?? '';
  const quote = json.indexOf('"');
  const source = cell.source.split('\n')[p.line] ?? '';
  // The source line is a JSON string on that line: columns shift by its escapes.
  const escaped = JSON.stringify(source.slice(0, p.character)).length - 2;
  return { line: fileLine - 1, character: quote < 0 ? 0 : Math.min(json.length, quote + 1 + escaped) };
}

/** Diagnostics of one scanned file, on the file's own URI (notebooks: positions in the .ipynb text). */
export function scannedDiagnostics(result: FileResult, uri: string, docsDir: string): Diagnostic[] {
  const outcome = result.outcome;
  if (outcome.kind !== 'scanned') return [];
  const nb = outcome.notebook;
  if (!nb) {
    const diagnostics = outcome.findings.map((f, i) => toDiagnostic(f, uri, 0, i, docsDir));
    for (const p of outcome.problems ?? []) {
      const at = { line: p.line, character: p.character };
      diagnostics.push(problemDiagnostic({ range: { start: at, end: at }, message: p.message }));
    }
    return diagnostics;
  }
  let jsonLines: string[] = [];
  if (outcome.findings.length) {
    try {
      jsonLines = fs.readFileSync(result.file.abs, 'utf8').split('\n');
    } catch {
      jsonLines = [];
    }
  }
  const cellOf = (n: number | undefined) => nb.cells.find((c) => c.number === n);
  const toFile = (r: Range, cellNumber: number | undefined): Range => {
    const cell = cellOf(cellNumber);
    return { start: notebookFilePosition(cell, r.start, jsonLines), end: notebookFilePosition(cell, r.end, jsonLines) };
  };
  return outcome.findings.map((f: ScannedFinding, i) => {
    const mapped = {
      ...f,
      message: `${f.message} (cell ${f.cell ?? '?'}, line ${f.range.start.line + 1})`,
      range: toFile(f.range, f.cell),
      related: f.related.map((r: RelatedInfo) => ({ ...r, range: toFile(r.range, r.cell ?? f.cell) })),
      // The fixes are cell-relative; a closed notebook offers none.
      fixes: [],
    };
    return toDiagnostic(mapped, uri, 0, i, docsDir);
  });
}

export class WorkspaceScanner {
  private readonly files = new Map<string, ScannedFile>();
  private folderUris: string[] = [];
  private scanned = false;
  private running: AbortController | undefined;
  private lastParams: ScanWorkspaceParams | undefined;
  private live = { files: 0, findings: 0 };

  constructor(private readonly host: WorkspaceHost) {}

  setFolders(folders: readonly { uri: string }[] | null | undefined, rootUri?: string | null): void {
    this.folderUris = folders?.length ? folders.map((f) => f.uri) : rootUri ? [rootUri] : [];
  }

  changeFolders(added: readonly { uri: string }[], removed: readonly { uri: string }[]): void {
    const gone = new Set(removed.map((f) => f.uri));
    this.folderUris = [...this.folderUris.filter((u) => !gone.has(u)), ...added.map((f) => f.uri).filter((u) => !this.folderUris.includes(u))];
  }

  /** True once a scan has run in this session (then file events and closes keep the results current). */
  get hasScanned(): boolean {
    return this.scanned;
  }

  get scanning(): boolean {
    return this.running !== undefined;
  }

  /** `workspace` of the status notification: the running scan's progress, or the totals known. */
  workspaceStatus(): StatusParams['workspace'] | undefined {
    if (this.running) return { scanning: true, files: this.live.files, findings: this.live.findings };
    if (!this.scanned) return undefined;
    let findings = 0;
    for (const f of this.files.values()) findings += f.findings;
    return { scanning: false, files: this.files.size, findings };
  }

  dispose(): void {
    this.running?.abort();
  }

  // -------------------------------------------------------------------------------------------

  /** Handles `threatlens/scanWorkspace`. */
  async scan(params: ScanWorkspaceParams | undefined, token: CancellationToken | undefined, progress: WorkDoneProgressReporter): Promise<ScanWorkspaceResult> {
    const started = Date.now();
    this.running?.abort();
    const controller = new AbortController();
    this.running = controller;
    const cancel = token?.onCancellationRequested(() => controller.abort());
    const uris = Array.isArray(params?.uris) ? params.uris.filter((u): u is string => typeof u === 'string') : undefined;
    this.lastParams = uris ? { uris } : {};
    this.live = { files: 0, findings: 0 };
    const result: ScanWorkspaceResult = { files: 0, findings: 0, errors: 0, durationMs: 0, cancelled: false };
    progress.begin('ThreatLens: scanning the workspace', 0, 'Finding files…', true);
    this.host.status({ state: 'analyzing', message: 'Scanning the workspace…' });
    try {
      const collected = uris ? this.namedFiles(uris) : this.collect();
      const targets = await this.withSettings(collected);
      const total = targets.length;
      let lastReport = 0;
      const report = (force: boolean) => {
        const now = Date.now();
        if (!force && now - lastReport < REPORT_INTERVAL_MS) return;
        lastReport = now;
        progress.report(total ? (100 * result.files) / total : 100, `${result.files} / ${total} files`);
        this.host.status({ state: 'analyzing', message: `Scanning the workspace: ${result.files} / ${total} files` });
      };
      report(true);
      await this.analyze(targets, controller.signal, (file) => {
        result.files++;
        result.findings += file.findings;
        if (file.error) result.errors++;
        this.live = { files: result.files, findings: result.findings };
        report(false);
      });
      result.cancelled = controller.signal.aborted;
      if (!result.cancelled) {
        // Files the scan no longer covers (deleted, now excluded or disabled) lose their findings.
        const kept = new Set(targets.map((t) => path.normalize(t.file.abs)));
        const covered = uris ? new Set(collected.map((t) => path.normalize(t.file.abs))) : undefined;
        for (const [p, f] of this.files) {
          if (kept.has(p) || (covered && !covered.has(p))) continue;
          this.forget(p, f);
        }
      }
      this.scanned = true;
    } catch (err) {
      this.host.log(`ThreatLens: the workspace scan failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      result.cancelled = controller.signal.aborted;
      if (!result.cancelled) {
        if (this.running === controller) this.running = undefined;
        this.host.status({ state: 'error', message: `The workspace scan failed: ${err instanceof Error ? err.message : String(err)}` });
        throw err;
      }
    } finally {
      cancel?.dispose();
      if (this.running === controller) this.running = undefined;
      progress.done();
    }
    result.durationMs = Date.now() - started;
    if (!this.running) {
      const msg = `${result.cancelled ? 'Workspace scan cancelled' : 'Workspace scanned'}: ${result.files} files, ${result.findings} findings${result.errors ? `, ${result.errors} unreadable` : ''}.`;
      this.host.status({ state: 'ok', message: msg });
    }
    return result;
  }

  /** Re-runs the last scan (after a settings change), without progress. */
  rescan(): void {
    if (!this.scanned) return;
    void this.scan(this.lastParams, undefined, { begin() {}, report() {}, done() {} }).catch((err) => this.host.log(`ThreatLens: re-scan failed: ${String(err)}`));
  }

  /** Handles `workspace/didChangeWatchedFiles`. */
  async filesChanged(changes: readonly FileEvent[]): Promise<void> {
    if (!this.scanned) return;
    const changed: string[] = [];
    for (const change of changes) {
      const p = filePath(change.uri);
      if (!p) continue;
      if (change.type === FileChangeType.Deleted) {
        for (const [known, f] of this.files) {
          if (known === p || known.startsWith(p + path.sep)) this.forget(known, f);
        }
      } else if (isSourceName(path.basename(p))) {
        changed.push(p);
      }
    }
    const targets = changed.filter((p) => !this.host.isOpen(p));
    if (targets.length) await this.refresh(targets);
    this.host.status({ state: 'ok' });
  }

  /**
   * A document (or notebook) was closed: when the workspace was scanned and the file belongs to it,
   * its on-disk findings come back (re-analysed, the buffer may have been saved). Returns false when
   * the caller should simply clear the diagnostics.
   */
  closed(uri: string): boolean {
    const p = filePath(uri);
    if (!this.scanned || !p || !this.files.has(p)) return false;
    void this.refresh([p]).catch((err) => this.host.log(`ThreatLens: re-analysing ${p} failed: ${String(err)}`));
    return true;
  }

  /** A notebook was opened in the editor: its cells get live diagnostics, so the file's own go. */
  opened(uri: string): void {
    const p = filePath(uri);
    const f = p ? this.files.get(p) : undefined;
    if (f?.published) {
      f.published = false;
      void this.host.connection.sendDiagnostics({ uri: f.uri, diagnostics: [] });
    }
  }

  // -------------------------------------------------------------------------------------------

  private folders(): { uri: string; path: string }[] {
    return this.folderUris.flatMap((uri) => {
      const p = filePath(uri);
      return p ? [{ uri, path: p }] : [];
    });
  }

  /** Every file of the `file:` workspace folders a scan covers (before settings), once each. */
  private collect(): Candidate[] {
    const out: Candidate[] = [];
    const seen = new Set<string>();
    for (const folder of this.folders()) {
      let files: SourceFile[];
      try {
        files = collectFiles(['.'], { cwd: folder.path }).files;
      } catch (err) {
        this.host.log(`ThreatLens: cannot scan ${folder.uri}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      for (const file of files) {
        const key = path.normalize(file.abs);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ file, uri: childUri(folder.uri, file.display) });
      }
    }
    return out;
  }

  /** The files named by a scan request (`file:` URIs of existing source files). */
  private namedFiles(uris: readonly string[]): Candidate[] {
    const out: Candidate[] = [];
    const seen = new Set<string>();
    for (const uri of uris) {
      const p = filePath(uri);
      if (!p || seen.has(p) || !isSourceName(path.basename(p))) continue;
      seen.add(p);
      try {
        if (!fs.statSync(p).isFile()) continue;
      } catch {
        continue;
      }
      out.push({ file: { abs: p, display: this.display(p) }, uri: this.uriOf(p) ?? uri });
    }
    return out;
  }

  /** The workspace folder holding `p`, if any. */
  private folderOf(p: string): { uri: string; path: string } | undefined {
    return this.folders().find((f) => p === f.path || p.startsWith(f.path.endsWith(path.sep) ? f.path : f.path + path.sep));
  }

  private display(p: string): string {
    const folder = this.folderOf(p);
    return (folder ? path.relative(folder.path, p) : p).split(path.sep).join('/');
  }

  /** The URI a file's diagnostics are published on: the one used before, or one below its folder's URI. */
  private uriOf(p: string): string | undefined {
    const known = this.files.get(p);
    if (known) return known.uri;
    const folder = this.folderOf(p);
    return folder ? childUri(folder.uri, path.relative(folder.path, p).split(path.sep).join('/')) : undefined;
  }

  /** Attaches each file's settings and drops the files `threatlens.enable` / `threatlens.exclude` leave out. */
  private async withSettings(targets: readonly Candidate[]): Promise<Target[]> {
    const settings = await this.host.settings.getMany(targets.map((t) => t.uri));
    return targets
      .map((t, i) => ({ ...t, settings: settings[i] }))
      .filter((t) => t.settings.enable && !this.host.exclude.isExcluded(t.uri, t.settings.exclude));
  }

  /** Analyses `targets` off this thread (grouped by analysis settings), recording and publishing each result. */
  private async analyze(targets: readonly Target[], signal: AbortSignal | undefined, onFile?: (f: { findings: number; error: boolean }) => void): Promise<void> {
    const groups = new Map<string, Target[]>();
    for (const t of targets) {
      const key = JSON.stringify(toAnalysisOptions(t.settings));
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(t);
    }
    for (const group of groups.values()) {
      if (signal?.aborted) return;
      const byPath = new Map(group.map((t) => [t.file.abs, t]));
      await scanFiles(group.map((t) => t.file), { analysis: toAnalysisOptions(group[0].settings), jobs: scanJobs(), explicitJobs: true, signal }, (result) => {
        const target = byPath.get(result.file.abs);
        if (!target) return;
        const recorded = this.record(target, result);
        onFile?.({ findings: recorded.findings, error: result.outcome.kind === 'error' });
      });
    }
  }

  /** Remembers one file's result and publishes it unless the file is open in the editor. */
  private record(target: Target, result: FileResult): ScannedFile {
    const p = path.normalize(target.file.abs);
    const diagnostics = scannedDiagnostics(result, target.uri, this.host.docsDir);
    if (result.outcome.kind !== 'scanned') this.host.log(`ThreatLens: ${target.file.display}: ${result.outcome.message}`);
    const findings = result.outcome.kind === 'scanned' ? result.outcome.findings.length : 0;
    const previous = this.files.get(p);
    const entry: ScannedFile = { uri: target.uri, diagnostics, findings, published: false };
    this.files.set(p, entry);
    if (!this.host.isOpen(p)) {
      if (diagnostics.length || previous?.published) void this.host.connection.sendDiagnostics({ uri: target.uri, diagnostics });
      entry.published = diagnostics.length > 0;
    }
    return entry;
  }

  private forget(p: string, f: ScannedFile): void {
    this.files.delete(p);
    if (f.published && !this.host.isOpen(p)) void this.host.connection.sendDiagnostics({ uri: f.uri, diagnostics: [] });
  }

  /**
   * Re-analyses files that changed on disk. Files the last scan did not cover (new files) are
   * first checked against the rules of a folder scan: inside a workspace folder, not below a
   * default-excluded folder, not ignored by the .gitignore / .threatlensignore files of the folders
   * from the workspace folder down to the file.
   */
  private async refresh(paths: readonly string[]): Promise<void> {
    const targets: Candidate[] = [];
    for (const p of paths) {
      const candidate = { file: { abs: p, display: this.display(p) }, uri: this.uriOf(p) };
      if (!candidate.uri) continue;
      if (this.files.has(p)) {
        targets.push(candidate as Candidate);
        continue;
      }
      const folder = this.folderOf(p);
      if (!folder || (this.lastParams?.uris && !this.lastParams.uris.some((u) => filePath(u) === p))) continue;
      const rel = path.relative(folder.path, p).split(path.sep);
      if (rel.slice(0, -1).some((seg) => DEFAULT_EXCLUDED_DIRS.includes(seg))) continue;
      if (!ignoredBelow(folder.path, p, false)) targets.push(candidate as Candidate);
    }
    if (targets.length === 0) return;
    const withSettings = await this.withSettings(targets);
    const kept = new Set(withSettings.map((t) => t.file.abs));
    for (const t of targets) {
      const f = this.files.get(t.file.abs);
      if (!kept.has(t.file.abs) && f) this.forget(t.file.abs, f);
    }
    await this.analyze(withSettings, undefined);
  }
}
