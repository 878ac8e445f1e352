/**
 * "ThreatLens" in the language status area of Python files, notebooks and dependency manifests:
 * the findings of the document (from `threatlens/status`) and the state of the workspace scan.
 */
import * as vscode from 'vscode';
import { Commands, type StatusParams } from '../../server/src/protocol';
import { plural } from './explorer/model';

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  private last: StatusParams = { state: 'analyzing', message: 'Starting…' };
  private workspace: StatusParams['workspace'];

  constructor(selector: vscode.DocumentSelector) {
    this.item = vscode.languages.createLanguageStatusItem('threatlens.status', selector);
    this.item.name = 'ThreatLens';
    this.render();
  }

  /** The text shown (for tests). */
  get text(): string {
    return this.item.text;
  }

  get detail(): string | undefined {
    return this.item.detail;
  }

  get busy(): boolean {
    return this.item.busy;
  }

  set(params: StatusParams): void {
    if (params.workspace) {
      this.workspace = { ...params.workspace };
      // A report about the workspace scan alone keeps the current document's count.
      if (params.findings === undefined && typeof this.last.findings === 'number') {
        params = { ...params, findings: this.last.findings };
      }
    }
    this.last = params;
    this.render();
  }

  /** Marks the workspace scan as running or finished from the client side (the server may report it too). */
  setScanning(scanning: boolean, counts?: { files: number; findings: number }): void {
    this.workspace = { files: 0, findings: 0, ...this.workspace, ...counts, scanning };
    this.render();
  }

  private render(): void {
    const { item, last: params, workspace } = this;
    const findings = typeof params.findings === 'number' ? plural(params.findings, 'finding') : undefined;
    const ws = workspace
      ? workspace.scanning
        ? `Scanning the workspace: ${plural(workspace.files, 'file')}, ${plural(workspace.findings, 'finding')} so far`
        : `Workspace: ${plural(workspace.files, 'file')}, ${plural(workspace.findings, 'finding')}`
      : undefined;
    const detail = (text: string) => (ws && !/workspace/i.test(text) ? `${text} · ${ws}` : text);
    item.busy = params.state === 'analyzing' || !!workspace?.scanning;
    item.command = undefined;
    switch (params.state) {
      case 'ok':
        item.text = findings ? `ThreatLens: ${findings}` : 'ThreatLens';
        item.severity = vscode.LanguageStatusSeverity.Information;
        item.detail = detail(params.message ?? 'Ready');
        item.command = workspace?.scanning
          ? { title: 'Show Findings', command: 'threatlens.findings.focus' }
          : { title: 'Scan Workspace', command: Commands.scanWorkspace };
        break;
      case 'analyzing':
        item.text = findings ? `ThreatLens: ${findings}` : 'ThreatLens';
        item.severity = vscode.LanguageStatusSeverity.Information;
        item.detail = detail(params.message ?? 'Analyzing…');
        break;
      case 'slow':
        item.text = findings ? `ThreatLens: ${findings} (partial)` : 'ThreatLens: slow';
        item.severity = vscode.LanguageStatusSeverity.Warning;
        item.detail = detail(params.message ?? 'Analysis hit the time budget (threatlens.timeBudgetMs); results may be partial');
        break;
      case 'error':
        item.text = 'ThreatLens: error';
        item.severity = vscode.LanguageStatusSeverity.Error;
        item.detail = detail(params.message ?? 'The server reported an error');
        item.command = { title: 'Restart', command: Commands.restartServer };
        break;
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
