/**
 * Jupyter notebooks through LSP notebook sync: a notebook is analysed as ONE program made of its
 * Python code cells in order (a name imported in cell 1 resolves in cell 3; IPython magics handled
 * as for .ipynb files), plus the `!pip install` lines of each cell. Findings are published on the
 * cell URIs with cell-relative ranges; fixes that would touch another cell are dropped, so a code
 * action on a cell only ever edits that cell. Analyses are scheduled per notebook as for documents
 * (scheduler.ts: at once when quick, debounced when slow, coalesced).
 *
 * Cell URIs are opaque here (`vscode-notebook-cell://host:port/path#...` in code-server): they
 * are only compared, never parsed for a path.
 */
import {
  NotebookCellKind,
  NotebookDocuments,
  type Connection,
  type NotebookDocument,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getRule, mapNotebookFindings, type Engine, type Finding } from '../engine';
import { notebookProgramFromCells } from '../engine/notebook';
import type { ThreatLensSettings } from '../protocol';
import { toDiagnostic } from './diagnostics';
import type { Analysis } from './documents';
import { AnalysisQueue, now, type RunReason, type SchedulePolicy } from './scheduler';
import { toAnalysisOptions } from './settings';

/** The notebook type of Jupyter notebooks in VS Code. */
export const JUPYTER_NOTEBOOK_TYPE = 'jupyter-notebook';

export interface NotebookHost {
  readonly connection: Connection;
  /** The engine once the parser is loaded (`settingsFor` waits for that). */
  engine(): Engine | undefined;
  readonly docsDir: string;
  readonly policy: SchedulePolicy;
  /** Settings of the notebook, and whether it is analysed at all (enable, exclude). */
  settingsFor(notebookUri: string): Promise<{ settings: ThreatLensSettings; analyze: boolean }>;
  /** The settings if already known (to skip change runs in onSave mode). */
  peekSettings(notebookUri: string): ThreatLensSettings | undefined;
  /** The configuration generation: answers fetched before a change are stale. */
  generation(): number;
  published(findings: number, timedOut: boolean, notebookUri: string): void;
  fail(what: string, err: unknown): void;
  opened(notebookUri: string): void;
  closed(notebookUri: string): void;
}

interface NotebookState {
  queue: AnalysisQueue;
  /** Notebook version the analyses belong to. */
  version: number;
  /** Per cell URI: the analysis of that cell (cell-relative findings, the cell's text version). */
  analyses: Map<string, Analysis>;
  /** Cell URIs diagnostics were published on (to clear them when a cell goes). */
  published: Set<string>;
}

function byPosition(a: Finding, b: Finding): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

export class NotebookSync {
  readonly documents = new NotebookDocuments(TextDocument);
  private readonly state = new Map<string, NotebookState>();

  constructor(private readonly host: NotebookHost) {}

  listen(connection: Connection): void {
    this.documents.listen(connection);
    this.documents.onDidOpen((nb) => this.guard('opening a notebook', () => {
      this.state.get(nb.uri)?.queue.dispose();
      const uri = nb.uri;
      const queue = new AnalysisQueue(this.host.policy, (reason) => this.run(uri, reason));
      this.state.set(uri, { queue, version: -1, analyses: new Map(), published: new Set() });
      this.host.opened(uri);
      queue.request('open');
    }));
    this.documents.onDidChange(({ notebookDocument: nb }) => this.guard('a notebook change', () => {
      const s = this.state.get(nb.uri);
      s?.queue.changed();
      if (this.host.peekSettings(nb.uri)?.run === 'onSave') return;
      s?.queue.request('change');
    }));
    this.documents.onDidSave((nb) => this.guard('a notebook save', () => {
      const s = this.state.get(nb.uri);
      if (s && s.version === nb.version && !s.queue.busy && this.host.peekSettings(nb.uri)?.run === 'onType') return;
      s?.queue.request('save');
    }));
    this.documents.onDidClose((nb) => this.guard('closing a notebook', () => {
      const s = this.state.get(nb.uri);
      s?.queue.dispose();
      this.state.delete(nb.uri);
      for (const uri of s?.published ?? []) void this.host.connection.sendDiagnostics({ uri, diagnostics: [] });
      this.host.closed(nb.uri);
    }));
  }

  /** True when `uri` is a cell of a notebook synced through notebook sync. */
  isCell(uri: string): boolean {
    return this.documents.findNotebookDocumentForCell(uri) !== undefined;
  }

  /** URIs of the open (synced) notebooks. */
  openNotebooks(): string[] {
    return [...this.state.keys()];
  }

  /** Re-analyses every open notebook (after a configuration change). */
  refreshAll(): void {
    for (const s of this.state.values()) s.queue.request('config');
  }

  dispose(): void {
    for (const s of this.state.values()) s.queue.dispose();
    this.state.clear();
  }

  /**
   * The current analysis of one cell with its text document (for hovers and code actions); a stale
   * one is recomputed first (and published in `onType` mode).
   */
  async cellAnalysis(cellUri: string): Promise<{ analysis: Analysis; document: TextDocument } | undefined> {
    const nb = this.documents.findNotebookDocumentForCell(cellUri);
    const document = this.documents.cellTextDocuments.get(cellUri);
    if (!nb || !document) return undefined;
    const s = this.state.get(nb.uri);
    if (!s) return undefined;
    let analysis = s.analyses.get(cellUri);
    if (s.version !== nb.version || !analysis || analysis.version !== document.version) {
      const { settings, analyze } = await this.host.settingsFor(nb.uri);
      if (!analyze || !this.host.engine() || this.state.get(nb.uri) !== s) return undefined;
      const analyses = this.analyze(nb, settings);
      if (settings.run === 'onType') {
        s.queue.cancelPending();
        this.publish(nb, s, analyses);
      }
      analysis = analyses.get(cellUri);
    }
    return analysis && analysis.version === document.version ? { analysis, document } : undefined;
  }

  // -------------------------------------------------------------------------------------------

  private async run(uri: string, reason: RunReason): Promise<void> {
    try {
      const s = this.state.get(uri);
      if (!s) return;
      const generation = this.host.generation();
      const { settings, analyze } = await this.host.settingsFor(uri);
      const nb = this.documents.getNotebookDocument(uri);
      if (!nb || this.state.get(uri) !== s || generation !== this.host.generation()) return;
      if (!analyze || !this.host.engine()) {
        this.clear(s);
        return;
      }
      // A request published this version meanwhile (a configuration change always re-analyses).
      if ((reason === 'change' || reason === 'save') && s.version === nb.version) return;
      const started = now();
      const analyses = this.analyze(nb, settings);
      s.queue.record(now() - started);
      this.publish(nb, s, analyses);
    } catch (err) {
      this.host.fail(`analysing the notebook ${uri}`, err);
    }
  }

  /** The code cells of the notebook that hold Python, with their 1-based position among all cells. */
  private pythonCells(nb: NotebookDocument): { uri: string; number: number; document: TextDocument }[] {
    const out: { uri: string; number: number; document: TextDocument }[] = [];
    nb.cells.forEach((cell, i) => {
      if (cell.kind !== NotebookCellKind.Code) return;
      const document = this.documents.getCellTextDocument(cell);
      if (document && document.languageId === 'python') out.push({ uri: cell.document, number: i + 1, document });
    });
    return out;
  }

  /** Analyses the notebook as one program; the result per cell URI. */
  private analyze(nb: NotebookDocument, settings: ThreatLensSettings): Map<string, Analysis> {
    const engine = this.host.engine();
    if (!engine) throw new Error('the parser is not loaded');
    const cells = this.pythonCells(nb);
    const program = notebookProgramFromCells(cells.map((c) => ({ text: c.document.getText(), number: c.number })));
    const options = toAnalysisOptions(settings);
    const result = engine.analyze(program.text, options);
    // Install commands on magic lines are read from the cells themselves below (as for .ipynb files).
    const findings = mapNotebookFindings(program, result.findings).filter((f) => {
      if (!getRule(f.ruleId)?.manifest) return true;
      const cell = program.cells.find((c) => c.number === f.cell);
      return !cell?.magics.some((m) => m.line === f.range.start.line);
    });
    for (const cell of program.cells) {
      for (const f of engine.analyzeCellInstalls(cell.source, options).findings) findings.push({ ...f, cell: cell.number });
    }
    const analyses = new Map<string, Analysis>();
    for (const c of cells) {
      const own = findings.filter((f) => f.cell === c.number).sort(byPosition);
      analyses.set(c.uri, { version: c.document.version, findings: own, timedOut: result.timedOut, problems: [] });
    }
    return analyses;
  }

  private publish(nb: NotebookDocument, s: NotebookState, analyses: Map<string, Analysis>): void {
    s.version = nb.version;
    s.analyses = analyses;
    let total = 0;
    let timedOut = false;
    for (const [uri, analysis] of analyses) {
      const diagnostics = analysis.findings.map((f, i) => toDiagnostic(f, uri, analysis.version, i, this.host.docsDir));
      total += analysis.findings.length;
      timedOut ||= analysis.timedOut;
      void this.host.connection.sendDiagnostics({ uri, version: analysis.version, diagnostics });
    }
    // Cells that are gone (or no longer Python) lose their diagnostics.
    for (const uri of s.published) {
      if (!analyses.has(uri)) void this.host.connection.sendDiagnostics({ uri, diagnostics: [] });
    }
    s.published = new Set(analyses.keys());
    this.host.published(total, timedOut, nb.uri);
  }

  private clear(s: NotebookState): void {
    for (const uri of s.published) void this.host.connection.sendDiagnostics({ uri, diagnostics: [] });
    s.published.clear();
    s.analyses.clear();
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.host.fail(`handling ${what}`, err);
    }
  }
}
