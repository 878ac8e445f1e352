/**
 * The ThreatLens findings of the whole workspace, read from the editor's diagnostics (those whose
 * source is "ThreatLens" and whose code is a rule id): the open documents the server analyses and
 * the files a workspace scan published. Recomputed lazily, change events debounced.
 */
import * as vscode from 'vscode';
import { RULE_SEVERITIES, SETTINGS_SECTION, type RuleSeverity } from '../../../server/src/protocol';
import type { CatalogStore } from '../catalog-store';
import { ruleIdOf, severityOf, shortMessage, type FindingRecord } from './model';

export const DIAGNOSTIC_SOURCE = 'ThreatLens';
const NOTEBOOK_CELL_SCHEME = 'vscode-notebook-cell';
const DEBOUNCE_MS = 250;

export class FindingsStore implements vscode.Disposable {
  private cache: FindingRecord[] = [];
  private signature = '';
  private dirty = true;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Fires (debounced) when the set of findings changed. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly catalog: CatalogStore) {
    this.subscriptions.push(
      this.changed,
      vscode.languages.onDidChangeDiagnostics(() => this.invalidate()),
      catalog.onDidChange(() => this.invalidate(true)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SETTINGS_SECTION}.rules.severity`)) this.invalidate(true);
      }),
      vscode.workspace.onDidOpenNotebookDocument(() => this.invalidate()),
    );
  }

  /** Every ThreatLens finding, in no particular order. */
  get all(): FindingRecord[] {
    if (this.dirty) this.recompute();
    return this.cache;
  }

  /** The findings of one document (`uri` as a string). */
  of(uri: string): FindingRecord[] {
    return this.all.filter((f) => f.uri === uri);
  }

  /** Marks the findings stale and schedules a change event (`force`: even if they look the same). */
  invalidate(force = false): void {
    this.dirty = true;
    if (force) this.signature = '';
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const before = this.signature;
      this.recompute();
      if (this.signature !== before) this.changed.fire();
    }, DEBOUNCE_MS);
  }

  private recompute(): void {
    this.dirty = false;
    const index = this.catalog.index;
    const overrides = vscode.workspace.getConfiguration(SETTINGS_SECTION).get<Record<string, unknown>>('rules.severity') ?? {};
    const cells = notebookCells();
    const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const out: FindingRecord[] = [];
    for (const [uri, diagnostics] of vscode.languages.getDiagnostics()) {
      let file: string | undefined;
      let cell: number | undefined;
      for (const d of diagnostics) {
        if (d.source !== DIAGNOSTIC_SOURCE) continue;
        const ruleId = ruleIdOf(d.code);
        if (!ruleId) continue;
        if (file === undefined) ({ file, cell } = describeUri(uri, cells, multiRoot));
        const override = overrides[ruleId];
        out.push({
          uri: uri.toString(),
          file,
          ...(cell !== undefined ? { cell } : {}),
          range: {
            start: { line: d.range.start.line, character: d.range.start.character },
            end: { line: d.range.end.line, character: d.range.end.character },
          },
          ruleId,
          message: shortMessage(d.message),
          severity: severityOf(
            d.severity,
            typeof override === 'string' && (RULE_SEVERITIES as readonly string[]).includes(override) ? (override as RuleSeverity) : undefined,
            index?.rules.get(ruleId)?.severity,
          ),
        });
      }
    }
    this.cache = out;
    this.signature = `${index ? 'c' : '-'}|${out.map((f) => `${f.uri}#${f.range.start.line}:${f.range.start.character}:${f.ruleId}:${f.severity}:${f.file}`).join('|')}`;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
  }
}

/** Cell URI -> its notebook and 1-based position, for the notebooks open in the editor. */
function notebookCells(): Map<string, { notebook: vscode.Uri; cell: number }> {
  const map = new Map<string, { notebook: vscode.Uri; cell: number }>();
  for (const nb of vscode.workspace.notebookDocuments) {
    for (const c of nb.getCells()) map.set(c.document.uri.toString(), { notebook: nb.uri, cell: c.index + 1 });
  }
  return map;
}

function describeUri(
  uri: vscode.Uri,
  cells: Map<string, { notebook: vscode.Uri; cell: number }>,
  multiRoot: boolean,
): { file: string; cell?: number } {
  if (uri.scheme === NOTEBOOK_CELL_SCHEME) {
    const hit = cells.get(uri.toString());
    const notebook = hit?.notebook ?? uri.with({ scheme: 'file', fragment: '' });
    const file = vscode.workspace.asRelativePath(notebook, multiRoot);
    return hit ? { file, cell: hit.cell } : { file };
  }
  return { file: vscode.workspace.asRelativePath(uri, multiRoot) };
}
