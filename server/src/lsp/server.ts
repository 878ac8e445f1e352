/**
 * The ThreatLens language server: an adapter between an LSP `Connection` and the engine. It is
 * created from an injected connection (`ThreatLensServer.initialize`), declares what it can do
 * (`capabilities()`) and wires its handlers (`register()`), so tests can drive it over any
 * transport. `server/src/server.ts` is the process entry that creates the real connection.
 *
 * Nothing here may block the connection for long: analyses are scheduled per document (at once
 * for quick documents, debounced for slow ones, coalesced when edits pile up: see scheduler.ts),
 * bounded by `threatlens.timeBudgetMs`, reused when a text comes back, and every failure is caught
 * per document and per request. `initialize` is answered while the parser is still loading; the
 * first analyses wait for it.
 */
import {
  CancellationTokenSource,
  CodeActionKind,
  ErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  type CancellationToken,
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type DidChangeWatchedFilesParams,
  type Hover,
  type HoverParams,
  type InitializeParams,
  type ServerCapabilities,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver/node';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  analyzeTree,
  bundledAdvisories,
  enabledRules,
  Engine,
  manifestKindOf,
  findingHover,
  getRule,
  RULES,
  ruleMarkdown,
  triggeredRules,
  type AdvisoryDb,
  type AnalysisResult,
  type Finding,
  type Tree,
} from '../engine';
import { lookupOsv, defaultCacheDir } from '../engine/deps/osv';
import { pinnedVersion } from '../engine/deps/versions';
import { requirementHover } from '../engine/deps/hover';
import {
  CATALOG_REQUEST,
  RULE_DOC_REQUEST,
  RULES_REQUEST,
  SCAN_WORKSPACE_REQUEST,
  STATUS_NOTIFICATION,
  type CatalogResult,
  type ScanWorkspaceParams,
  type ScanWorkspaceResult,
  type RuleDocParams,
  type RuleDocResult,
  type RulesResult,
  type InitializationOptions,
  type StatusParams,
  type ThreatLensSettings,
} from '../protocol';
import { catalog } from './catalog';
import { codeActions, FIX_ALL_KIND } from './codeActions';
import { defaultDocsDir, problemDiagnostic, toDiagnostic } from './diagnostics';
import { DocumentStore, type Analysis, type OpenDocument } from './documents';
import { JUPYTER_NOTEBOOK_TYPE, NotebookSync } from './notebooks';
import { AnalysisQueue, now, type RunReason, type SchedulePolicy } from './scheduler';
import { ExcludeMatcher, SettingsStore, toAnalysisOptions } from './settings';
import { rangeContains } from './text';
import { filePath, WorkspaceScanner } from './workspace';

export interface ThreatLensServerOptions {
  /**
   * Quiet time after the last keystroke before a SLOW document is analysed (ms). Default 150.
   * Quick documents are analysed at once (see `immediateBelowMs`).
   */
  debounceMs?: number;
  /**
   * Changes to a document whose recent analyses took at most this long (ms) are analysed at once;
   * slower documents wait for `debounceMs` of quiet. Default: `debounceMs`. Up to there, analysing
   * at once answers sooner than the debounce even in the worst case (a change arriving just after
   * an analysis started waits for it and then its own: twice the analysis time, against the
   * debounce plus one). `Infinity` never debounces.
   */
  immediateBelowMs?: number;
  /** How many documents keep their tree for incremental re-parsing. Default 8. */
  maxTrees?: number;
  /** Folder holding the rule pages `<ID>.md` that diagnostics link to. Default: `docs/rules` next to the bundle's folder. */
  docsDir?: string;
  /** How the engine is created; tests may inject a failing one. Default `Engine.create()`. */
  createEngine?: () => Promise<Engine>;
}

export const DEFAULT_DEBOUNCE_MS = 150;
export const DEFAULT_IMMEDIATE_BELOW_MS = DEFAULT_DEBOUNCE_MS;

/** Language ids the server analyses as Python (Python files and Python notebook cells). */
const LANGUAGES = new Set(['python']);

/** The base name of a document URI (`requirements.txt`), decoded. */
function baseName(uri: string): string {
  const tail = uri.replace(/[?#].*$/, '').split('/').pop() ?? '';
  try {
    return decodeURIComponent(tail);
  } catch {
    return tail;
  }
}

/** The manifest file name of a document, when it is a dependency manifest other than setup.py. */
function manifestName(uri: string, languageId: string): string | undefined {
  const name = baseName(uri);
  const kind = manifestKindOf(name);
  if (!kind) return undefined;
  // setup.py is Python first; its literal install_requires is read as a manifest too.
  if (kind === 'setup-py' && languageId !== 'python') return undefined;
  return name;
}

/** Names of the files next to a local document (to find lock files), or undefined. */
function siblingsOf(uri: string): string[] | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fs.readdirSync(path.dirname(fileURLToPath(uri)));
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

function shortError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A readable name for a document in status messages. */
function displayName(uri: string): string {
  const tail = uri.replace(/[?#].*$/, '').split('/').pop() ?? uri;
  try {
    return decodeURIComponent(tail) || uri;
  } catch {
    return tail || uri;
  }
}

export class ThreatLensServer {
  private readonly documents: DocumentStore;
  private readonly policy: SchedulePolicy;
  /** Set once the parser is loaded (`engineReady`), or `engineError` when it could not be. */
  private engine: Engine | undefined;
  private engineError: string | undefined;
  private readonly engineReady: Promise<void>;
  private readonly settings: SettingsStore;
  private readonly exclude = new ExcludeMatcher();
  private readonly debounceMs: number;
  private readonly docsDir: string;
  private readonly documentChanges: boolean;
  private readonly workspaceFolderEvents: boolean;
  private readonly snippets: boolean;
  private readonly cacheDir: string | undefined;
  private readonly workDoneProgress: boolean;
  private readonly scanner: WorkspaceScanner;
  private readonly notebooks: NotebookSync;

  private constructor(
    private readonly connection: Connection,
    params: InitializeParams,
    loading: Promise<Engine>,
    options: ThreatLensServerOptions,
  ) {
    this.engineReady = loading.then(
      (engine) => {
        this.engine = engine;
      },
      (err: unknown) => {
        this.engineError = shortError(err);
        connection.console.error(`ThreatLens: the Python parser could not be loaded, so nothing will be analysed.\n${errorText(err)}`);
      },
    );
    this.documents = new DocumentStore(options.maxTrees);
    const caps = params.capabilities;
    this.settings = new SettingsStore(connection, caps.workspace?.configuration === true);
    this.documentChanges = caps.workspace?.workspaceEdit?.documentChanges === true;
    this.workspaceFolderEvents = caps.workspace?.workspaceFolders === true;
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.policy = { debounceMs: this.debounceMs, immediateBelowMs: options.immediateBelowMs ?? this.debounceMs };
    this.docsDir = options.docsDir ?? defaultDocsDir(__dirname);
    this.exclude.setFolders(params.workspaceFolders, params.rootUri);
    const init = (params.initializationOptions ?? {}) as InitializationOptions;
    this.snippets = init.snippets === true;
    this.cacheDir = typeof init.cacheDir === 'string' ? init.cacheDir : undefined;
    this.workDoneProgress = caps.window?.workDoneProgress === true;
    this.scanner = new WorkspaceScanner({
      connection,
      settings: this.settings,
      exclude: this.exclude,
      docsDir: this.docsDir,
      isOpen: (p) => this.isOpen(p),
      status: (s) => this.status(s),
      log: (m) => connection.console.log(m),
    });
    this.scanner.setFolders(params.workspaceFolders, params.rootUri);
    this.notebooks = new NotebookSync({
      connection,
      engine: () => this.engine,
      docsDir: this.docsDir,
      policy: this.policy,
      settingsFor: async (uri) => {
        await this.engineReady;
        const settings = await this.settings.get(uri);
        return { settings, analyze: settings.enable && !this.exclude.isExcluded(uri, settings.exclude) };
      },
      peekSettings: (uri) => this.settings.peek(uri),
      generation: () => this.settings.generation,
      published: (findings, timedOut, uri) =>
        this.status(
          timedOut
            ? { state: 'slow', findings, message: `Analysing ${displayName(uri)} hit the time budget (threatlens.timeBudgetMs); the findings are partial.` }
            : { state: 'ok', findings },
        ),
      fail: (what, err) => this.fail(what, err),
      opened: (uri) => this.scanner.opened(uri),
      closed: (uri) => {
        this.settings.forget(uri);
        this.scanner.closed(uri);
      },
    });
  }

  /** True when the file at `fsPath` is open in the editor, as a document or as a synced notebook. */
  private isOpen(fsPath: string): boolean {
    return (
      this.documents.all().some((d) => filePath(d.uri) === fsPath) ||
      this.notebooks.openNotebooks().some((uri) => filePath(uri) === fsPath)
    );
  }

  /** True for documents the server analyses: Python (files and cells) and dependency manifests. */
  private handles(doc: OpenDocument): boolean {
    // Cells of a notebook synced as a notebook are analysed together, by NotebookSync.
    if (this.notebooks.isCell(doc.uri)) return false;
    return LANGUAGES.has(doc.languageId) || manifestName(doc.uri, doc.languageId) !== undefined;
  }

  /**
   * Creates the server and starts loading the engine (the tree-sitter parser, once per process)
   * without waiting for it: `initialize` can be answered while the wasm compiles, and the first
   * document's settings are fetched meanwhile. Analyses and requests wait for the parser. When it
   * cannot be loaded the server still runs: it logs why, reports status `error` and answers every
   * request with empty results.
   */
  static async initialize(
    connection: Connection,
    params: InitializeParams,
    options: ThreatLensServerOptions = {},
  ): Promise<ThreatLensServer> {
    let loading: Promise<Engine>;
    try {
      loading = Promise.resolve((options.createEngine ?? (() => Engine.create()))());
    } catch (err) {
      loading = Promise.reject(err);
    }
    return new ThreatLensServer(connection, params, loading, options);
  }

  capabilities(): ServerCapabilities {
    return {
      textDocumentSync: {
        openClose: true,
        change: TextDocumentSyncKind.Incremental,
        save: { includeText: false },
      },
      hoverProvider: true,
      codeActionProvider: {
        codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND],
        resolveProvider: false,
      },
      workspace: {
        workspaceFolders: { supported: true, changeNotifications: true },
      },
      notebookDocumentSync: {
        notebookSelector: [{ notebook: { notebookType: JUPYTER_NOTEBOOK_TYPE }, cells: [{ language: 'python' }] }],
        save: true,
      },
    };
  }

  register(): void {
    const c = this.connection;
    c.onInitialized(() => {
      if (this.workspaceFolderEvents) {
        c.workspace.onDidChangeWorkspaceFolders((e) => {
          this.exclude.addFolders(e.added, e.removed);
          this.scanner.changeFolders(e.added, e.removed);
        });
      }
      void this.engineReady.then(() => {
        if (this.engineError) this.status({ state: 'error', message: `Parser not loaded: ${this.engineError}` });
        else this.status({ state: 'ok' });
      });
    });

    c.onDidOpenTextDocument(({ textDocument: td }) => {
      this.guard('didOpen', () => {
        const doc = this.documents.open(td.uri, td.languageId, td.version, td.text, this.settings.generation);
        if (this.handles(doc)) this.schedule(doc, 'open');
      });
    });

    c.onDidChangeTextDocument(({ textDocument, contentChanges }) => {
      this.guard('didChange', () => {
        const doc = this.documents.get(textDocument.uri);
        if (!doc) return;
        doc.applyChanges(contentChanges, textDocument.version);
        doc.queue?.changed();
        if (!this.handles(doc)) return;
        // In onSave mode a change analyses nothing; when the mode is not known yet the run decides.
        if (this.settings.peek(doc.uri)?.run === 'onSave') return;
        this.schedule(doc, 'change');
      });
    });

    c.onDidSaveTextDocument(({ textDocument }) => {
      this.guard('didSave', () => {
        const doc = this.documents.get(textDocument.uri);
        if (!doc || !this.handles(doc)) return;
        if (this.settings.peek(doc.uri)?.run === 'onType' && this.isPublished(doc) && !doc.queue?.busy) return;
        this.schedule(doc, 'save');
      });
    });

    c.onDidCloseTextDocument(({ textDocument }) => {
      this.guard('didClose', () => {
        this.documents.close(textDocument.uri, (doc) => this.cacheable(doc));
        this.settings.forget(textDocument.uri);
        // A scanned workspace file gets its on-disk findings back; anything else is cleared.
        if (!this.scanner.closed(textDocument.uri)) void c.sendDiagnostics({ uri: textDocument.uri, diagnostics: [] });
      });
    });

    c.onDidChangeConfiguration((params) => {
      this.guard('didChangeConfiguration', () => {
        this.settings.changed(params);
        this.documents.forgetResults();
        for (const doc of this.documents.all()) {
          if (this.handles(doc)) this.schedule(doc, 'config');
        }
        this.notebooks.refreshAll();
        this.scanner.rescan();
      });
    });

    c.onDidChangeWatchedFiles((params: DidChangeWatchedFilesParams) => {
      void this.scanner.filesChanged(params.changes ?? []).catch((err) => this.fail('re-analysing changed files', err));
    });

    this.notebooks.listen(c);

    c.onHover((params) => this.hover(params));
    c.onCodeAction((params) => this.codeAction(params));

    c.onRequest(RULES_REQUEST, (): RulesResult => RULES.map((r) => ({ id: r.meta.id, title: r.meta.title })));
    c.onRequest(RULE_DOC_REQUEST, (params: RuleDocParams | undefined): RuleDocResult | ResponseError<void> => {
      const id = typeof params?.id === 'string' ? params.id.trim() : '';
      const rule = id ? getRule(id) : undefined;
      if (!rule) {
        return new ResponseError(
          ErrorCodes.InvalidParams,
          id ? `ThreatLens has no rule "${id}". Rule ids look like TL101; request threatlens/rules for the list.` : 'threatlens/ruleDoc needs a rule id, e.g. { "id": "TL101" }.',
        );
      }
      return { markdown: ruleMarkdown(rule) };
    });

    c.onRequest(CATALOG_REQUEST, (): CatalogResult | ResponseError<void> => {
      try {
        return catalog();
      } catch (err) {
        this.fail('building the catalog', err);
        return new ResponseError(ErrorCodes.InternalError, `ThreatLens could not build its catalog: ${shortError(err)}`);
      }
    });
    c.onRequest(SCAN_WORKSPACE_REQUEST, (params: ScanWorkspaceParams | undefined, token: CancellationToken) => this.scanWorkspace(params, token));

    c.onShutdown(() => this.dispose());
  }

  /** Frees every tree and timer (on shutdown, or when a test is done with the server). */
  dispose(): void {
    this.documents.disposeAll();
    this.notebooks.dispose();
    this.scanner.dispose();
  }

  private async scanWorkspace(params: ScanWorkspaceParams | undefined, token: CancellationToken): Promise<ScanWorkspaceResult | ResponseError<void>> {
    await this.engineReady;
    if (!this.engine) {
      return new ResponseError(ErrorCodes.InternalError, `ThreatLens cannot scan: the Python parser is not loaded (${this.engineError ?? 'unknown error'}).`);
    }
    const tokenSource = new CancellationTokenSource();
    token.onCancellationRequested(() => tokenSource.cancel());
    let progress: WorkDoneProgressReporter;
    const tokenGiven = params?.workDoneToken;
    if (tokenGiven !== undefined && (typeof tokenGiven === 'string' || typeof tokenGiven === 'number')) {
      progress = this.connection.window.attachWorkDoneProgress(tokenGiven);
    } else if (this.workDoneProgress) {
      // No token in the request: ask the client for one (its cancel button then stops the scan too).
      try {
        const created = await this.connection.window.createWorkDoneProgress();
        created.token.onCancellationRequested(() => tokenSource.cancel());
        progress = created;
      } catch {
        progress = this.connection.window.attachWorkDoneProgress(undefined);
      }
    } else {
      progress = this.connection.window.attachWorkDoneProgress(undefined);
    }
    try {
      return await this.scanner.scan(params, tokenSource.token, progress);
    } catch (err) {
      this.fail('scanning the workspace', err);
      return new ResponseError(ErrorCodes.InternalError, `The ThreatLens workspace scan failed: ${shortError(err)}`);
    } finally {
      tokenSource.dispose();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Analysis
  // -------------------------------------------------------------------------------------------

  private schedule(doc: OpenDocument, reason: RunReason): void {
    doc.queue ??= new AnalysisQueue(this.policy, (r) => this.run(doc, r));
    // A text analysed before (undo, deleting what was just typed) is published at once even in a
    // slow document: it costs no analysis.
    const cheap = reason === 'change' && this.cacheable(doc) && doc.results.has(doc.text, this.settings.generation);
    doc.queue.request(reason, cheap);
  }

  /** True when the diagnostics of the document's current version and settings are published. */
  private isPublished(doc: OpenDocument): boolean {
    return doc.published?.version === doc.version && doc.published.generation === this.settings.generation;
  }

  /** True when a document's findings depend on nothing but its text and the settings (not manifests). */
  private cacheable(doc: OpenDocument): boolean {
    return manifestName(doc.uri, doc.languageId) === undefined;
  }

  private async run(doc: OpenDocument, reason: RunReason): Promise<void> {
    const uri = doc.uri;
    if (this.documents.get(uri) !== doc) return;
    try {
      const generation = this.settings.generation;
      const settings = await this.settings.get(uri);
      // Closed meanwhile, or the configuration changed while the settings were being fetched (then
      // the `config` run scheduled for every open document reports, with the new settings).
      if (this.documents.get(uri) !== doc || generation !== this.settings.generation) return;
      if (reason === 'change' && settings.run === 'onSave') return;
      if (!this.shouldAnalyze(doc, settings)) {
        doc.analysis = undefined;
        doc.published = { version: doc.version, generation };
        void this.connection.sendDiagnostics({ uri, version: doc.version, diagnostics: [] });
        return;
      }
      if (!this.engine && !this.engineError) {
        // Start-up: the parser is still loading.
        await this.engineReady;
        if (this.documents.get(uri) !== doc || generation !== this.settings.generation) return;
      }
      if (!this.engine) {
        this.status({ state: 'error', message: `Parser not loaded: ${this.engineError ?? 'unknown error'}` });
        return;
      }
      // Nothing new to say: a request already published this version (or this run is the trailing
      // one of a burst whose last text was analysed).
      if (reason !== 'open' && reason !== 'config' && this.isPublished(doc)) return;
      const version = doc.version;
      const advisories = await this.advisoriesFor(doc, settings);
      if (this.documents.get(uri) !== doc || doc.version !== version || generation !== this.settings.generation) return;
      const analysis = this.analysisOf(doc, settings, generation, advisories);
      // Drop results that no longer describe the document. The analysis is synchronous and
      // analyses the text as it is after the awaits above, so this holds today; it guards the
      // invariant should the analysis ever yield.
      if (doc.version !== version || analysis.version !== version || this.documents.get(uri) !== doc) return;
      this.publish(doc, analysis);
    } catch (err) {
      this.fail(`analysing ${uri}`, err);
    }
  }

  /**
   * The analysis of the document's current text: the remembered one when this text was analysed
   * before with the same settings (undo, redo, reopening an unchanged file), else a new one.
   */
  private analysisOf(doc: OpenDocument, settings: ThreatLensSettings, generation: number, advisories?: AdvisoryDb): Analysis {
    if (doc.analysis?.version === doc.version && doc.analysis.generation === generation && !advisories) return doc.analysis;
    const cacheable = this.cacheable(doc);
    const text = doc.text;
    if (cacheable) {
      const known = doc.results.get(text, generation);
      if (known) return (doc.analysis = { ...known, version: doc.version });
    }
    const started = now();
    const analysis = this.analyze(doc, settings, advisories);
    doc.queue?.record(now() - started);
    analysis.generation = generation;
    if (cacheable && !analysis.timedOut) {
      const { version: _version, ...result } = analysis;
      doc.results.set(text, generation, result);
    }
    return analysis;
  }

  private shouldAnalyze(doc: OpenDocument, settings: ThreatLensSettings): boolean {
    return settings.enable && !this.exclude.isExcluded(doc.uri, settings.exclude);
  }

  /**
   * The advisory data to check a manifest against: the bundled snapshot, plus OSV's answers for its
   * pinned versions when `threatlens.advisories.online` is on. A failed lookup falls back to the
   * snapshot and says so in the status item.
   */
  private async advisoriesFor(doc: OpenDocument, settings: ThreatLensSettings): Promise<AdvisoryDb | undefined> {
    if (!settings.advisories.online || !this.engine) return undefined;
    const name = manifestName(doc.uri, doc.languageId);
    if (!name) return undefined;
    let queries: { name: string; version: string }[];
    try {
      const manifest = this.engine.parseManifest(name, doc.text);
      queries = (manifest?.requirements ?? []).flatMap((r) => {
        const version = r.ecosystem === 'pypi' && r.name ? pinnedVersion(r.clauses) : undefined;
        return version ? [{ name: r.normalized, version }] : [];
      });
    } catch {
      return undefined;
    }
    if (queries.length === 0) return undefined;
    const result = await lookupOsv(queries, { cacheDir: this.cacheDir ?? defaultCacheDir() });
    if (result.error) this.status({ state: 'ok', message: `OSV advisory lookup failed: ${result.error}.` });
    return result.advisories.length ? bundledAdvisories().withExtra(result.advisories) : undefined;
  }

  /** Analyses the document's current text (synchronously) and remembers the result. */
  private analyze(doc: OpenDocument, settings: ThreatLensSettings, advisories?: AdvisoryDb): Analysis {
    const engine = this.engine;
    if (!engine) throw new Error('the parser is not loaded');
    const options = { ...toAnalysisOptions(settings), ...(advisories ? { advisories } : {}) };
    const text = doc.text;
    const manifest = manifestName(doc.uri, doc.languageId);
    if (manifest && !LANGUAGES.has(doc.languageId)) {
      const result = engine.analyzeManifest(manifest, text, { ...options, siblings: siblingsOf(doc.uri), path: doc.uri.replace(/[?#].*$/, '') });
      const analysis: Analysis = { version: doc.version, findings: result.findings, timedOut: false, problems: result.problems ?? [], manifest: result.manifest, advisories };
      doc.analysis = analysis;
      return analysis;
    }
    const rules = triggeredRules(text, enabledRules(options));
    let result: AnalysisResult | undefined;
    // Files that mention nothing a rule looks at need no parse; their tree keeps its edits for later.
    if (rules.length > 0) result = analyzeTree(doc.syncedTree(engine), text, options, rules);
    let findings: Finding[] = result?.findings ?? [];
    // pip install commands: notebook cells (`!pip install ...`), Python files (`os.system("pip install ...")`).
    const installs = doc.uri.startsWith('vscode-notebook-cell:')
      ? engine.analyzeCellInstalls(text, options)
      : /\binstall\b/.test(text)
        ? engine.analyzeInstalls(text, doc.syncedTree(engine), options)
        : undefined;
    let problems: Analysis['problems'] = [];
    if (manifest) {
      // setup.py: its literal install_requires is a manifest too.
      const deps = engine.analyzeManifest(manifest, text, { ...options, siblings: siblingsOf(doc.uri) });
      findings = [...findings, ...deps.findings];
      problems = [];
    }
    if (installs && installs.findings.length) findings = [...findings, ...installs.findings].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    const analysis: Analysis = { version: doc.version, findings, timedOut: result?.timedOut ?? false, problems };
    doc.analysis = analysis;
    return analysis;
  }

  private publish(doc: OpenDocument, analysis: Analysis): void {
    // Never publish an older version over a newer one.
    if (doc.published && analysis.version < doc.published.version) return;
    doc.published = { version: analysis.version, generation: analysis.generation ?? this.settings.generation };
    const diagnostics = analysis.findings.map((f, i) => toDiagnostic(f, doc.uri, analysis.version, i, this.docsDir));
    for (const p of analysis.problems ?? []) diagnostics.push(problemDiagnostic(p));
    void this.connection.sendDiagnostics({ uri: doc.uri, version: analysis.version, diagnostics });
    const findings = analysis.findings.length;
    if (analysis.timedOut) {
      const budget = this.settings.peek(doc.uri)?.timeBudgetMs;
      this.status({
        state: 'slow',
        findings,
        message: `Analysing ${displayName(doc.uri)} hit the time budget${budget ? ` of ${budget} ms` : ''} (threatlens.timeBudgetMs); the findings are partial.`,
      });
    } else {
      this.status({ state: 'ok', findings });
    }
  }

  /**
   * The analysis of the document's current version, for a request (hover, code actions). When the
   * published one is out of date it is recomputed now; in `onType` mode the new result is also
   * published (and the pending debounced run cancelled), in `onSave` mode it is only used to
   * answer the request, so the problems list keeps showing the saved state.
   */
  private async currentAnalysis(doc: OpenDocument): Promise<Analysis | undefined> {
    await this.engineReady;
    if (!this.engine) return undefined;
    const generation = this.settings.generation;
    const settings = await this.settings.get(doc.uri);
    if (this.documents.get(doc.uri) !== doc) return undefined;
    if (!this.handles(doc) || !this.shouldAnalyze(doc, settings)) return undefined;
    if (generation !== this.settings.generation) return undefined;
    if (doc.analysis?.version === doc.version && doc.analysis.generation === generation) return doc.analysis;
    const analysis = this.analysisOf(doc, settings, generation, doc.analysis?.advisories);
    if (settings.run === 'onType') {
      doc.cancelPending();
      this.publish(doc, analysis);
    }
    return analysis;
  }

  // -------------------------------------------------------------------------------------------
  // Requests
  // -------------------------------------------------------------------------------------------

  private async hover(params: HoverParams): Promise<Hover | null> {
    try {
      if (this.notebooks.isCell(params.textDocument.uri)) {
        const cell = await this.notebooks.cellAnalysis(params.textDocument.uri);
        const hits = cell?.analysis.findings.filter((f) => rangeContains(f.range, params.position)) ?? [];
        if (hits.length === 0) return null;
        return { contents: { kind: 'markdown', value: hits.map((f) => findingHover(f)).join('\n\n---\n\n') }, range: hits[0].range };
      }
      const doc = this.documents.get(params.textDocument.uri);
      if (!doc) return null;
      const analysis = await this.currentAnalysis(doc);
      const hits = analysis?.findings.filter((f) => rangeContains(f.range, params.position)) ?? [];
      const parts = hits.map((f) => findingHover(f));
      // In a manifest, hovering a requirement lists its advisories.
      if (analysis?.manifest) {
        const about = requirementHover(analysis.manifest, doc.text, doc.textDocument.offsetAt(params.position), analysis.advisories ?? bundledAdvisories());
        if (about) parts.unshift(about);
      }
      if (parts.length === 0) return null;
      return {
        contents: { kind: 'markdown', value: parts.join('\n\n---\n\n') },
        ...(hits.length ? { range: hits[0].range } : {}),
      };
    } catch (err) {
      this.fail(`hover in ${params.textDocument.uri}`, err);
      return null;
    }
  }

  private async codeAction(params: CodeActionParams): Promise<CodeAction[]> {
    try {
      if (this.notebooks.isCell(params.textDocument.uri)) {
        const cell = await this.notebooks.cellAnalysis(params.textDocument.uri);
        if (!cell) return [];
        // Every edit targets this cell's URI only: the findings' fixes never reach another cell.
        return codeActions({
          uri: params.textDocument.uri,
          document: cell.document,
          analysis: cell.analysis,
          tree: undefined,
          diagnostics: params.context.diagnostics,
          only: params.context.only,
          documentChanges: this.documentChanges,
          snippets: this.snippets,
        });
      }
      const doc = this.documents.get(params.textDocument.uri);
      if (!doc) return [];
      const analysis = await this.currentAnalysis(doc);
      if (!analysis || !this.engine) return [];
      // currentAnalysis parsed the current text whenever it had any rule to run; only then is
      // the tree in sync and worth using to place ignore comments.
      const tree = analysis.version === doc.version ? this.treeFor(doc) : undefined;
      return codeActions({
        uri: doc.uri,
        document: doc.textDocument,
        analysis: analysis.version === doc.version ? analysis : undefined,
        tree,
        diagnostics: params.context.diagnostics,
        only: params.context.only,
        documentChanges: this.documentChanges,
        snippets: this.snippets,
      });
    } catch (err) {
      this.fail(`code actions in ${params.textDocument.uri}`, err);
      return [];
    }
  }

  /** The document's tree, parsed (incrementally) if needed; undefined if parsing fails. */
  private treeFor(doc: OpenDocument): Tree | undefined {
    if (!this.engine) return undefined;
    try {
      return doc.syncedTree(this.engine);
    } catch {
      return undefined;
    }
  }

  // -------------------------------------------------------------------------------------------

  /** Sends `threatlens/status`, with the workspace scan's state once there is one ('analyzing' while it runs). */
  private status(params: StatusParams): void {
    const workspace = this.scanner?.workspaceStatus();
    const full: StatusParams = workspace ? { ...params, workspace } : params;
    if (workspace?.scanning && full.state === 'ok') full.state = 'analyzing';
    void this.connection.sendNotification(STATUS_NOTIFICATION, full);
  }

  /** Logs a failure and reports it in the status item; the server keeps serving. */
  private fail(what: string, err: unknown): void {
    try {
      this.connection.console.error(`ThreatLens: ${what} failed: ${errorText(err)}`);
      this.status({ state: 'error', message: `ThreatLens failed while ${what}: ${shortError(err)}` });
    } catch {
      // The connection itself is gone; nothing left to report to.
    }
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(`handling ${what}`, err);
    }
  }
}
