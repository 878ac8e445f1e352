/**
 * The details view: one webview panel (`threatlens.details`), reused, that describes a threat or a
 * rule and lists its findings in this workspace. Loaded lazily by extension.ts on first use.
 */
import * as vscode from 'vscode';
import type { CatalogStore } from './catalog-store';
import {
  isDetailsMessage,
  makeNonce,
  ruleDetailsHtml,
  safeUrl,
  threatDetailsHtml,
  type PageResources,
} from './details-html';
import { compareFindings, findingsOfThreat, locationLabel, type FindingRecord } from './explorer/model';
import type { FindingsStore } from './explorer/store';

export const DETAILS_VIEW_TYPE = 'threatlens.details';

export type DetailsTarget = { kind: 'threat' | 'rule'; id: string };

export class DetailsPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private target: DetailsTarget | undefined;
  private findings: FindingRecord[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly catalog: CatalogStore,
    private readonly store: FindingsStore,
    private readonly reveal: (f: FindingRecord) => Promise<void>,
  ) {
    // Re-render only when the findings listed change: a new page loses the scroll position.
    this.subscriptions.push(store.onDidChange(() => this.render(false)));
  }

  /** The page currently shown (for tests). */
  get html(): string | undefined {
    return this.panel?.webview.html;
  }

  get current(): DetailsTarget | undefined {
    return this.panel ? this.target : undefined;
  }

  /** Shows `id` (a threat or a rule id); false when the catalog does not know it. */
  async show(id: string): Promise<boolean> {
    const index = await this.catalog.ready();
    if (!index) {
      void vscode.window.showWarningMessage(`ThreatLens: the threat catalog is not available${this.catalog.error ? ` (${this.catalog.error})` : ''}.`);
      return false;
    }
    const target: DetailsTarget | undefined = index.threats.has(id)
      ? { kind: 'threat', id }
      : index.rules.has(id)
        ? { kind: 'rule', id }
        : undefined;
    if (!target) {
      void vscode.window.showWarningMessage(`ThreatLens: no threat or rule ${id}.`);
      return false;
    }
    this.target = target;
    if (!this.panel) {
      const media = vscode.Uri.joinPath(this.extensionUri, 'media');
      this.panel = vscode.window.createWebviewPanel(
        DETAILS_VIEW_TYPE,
        'ThreatLens',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
        { enableScripts: true, localResourceRoots: [media], enableFindWidget: true },
      );
      this.panel.iconPath = vscode.Uri.joinPath(media, 'threatlens.svg');
      this.panel.onDidDispose(() => {
        this.panel = undefined;
      });
      this.panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m));
    } else {
      this.panel.reveal(undefined, false);
    }
    this.render();
    return true;
  }

  private render(force = true): void {
    const panel = this.panel;
    const target = this.target;
    const index = this.catalog.index;
    if (!panel || !target || !index) return;
    const findings =
      target.kind === 'threat'
        ? findingsOfThreat(this.store.all, index, target.id)
        : this.store.all.filter((f) => f.ruleId === target.id).sort(compareFindings);
    const key = (list: FindingRecord[]) => list.map((f) => `${f.uri}#${locationLabel(f)}:${f.ruleId}:${f.severity}:${f.message}`).join('|');
    if (!force && key(findings) === key(this.findings)) return;
    this.findings = findings;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const res: PageResources = {
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'details.css')).toString(),
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'details.js')).toString(),
    };
    if (target.kind === 'threat') {
      const threat = index.threats.get(target.id)!;
      panel.title = `ThreatLens: ${threat.id} ${threat.name}`;
      panel.webview.html = threatDetailsHtml(threat, index, this.findings, res);
    } else {
      const rule = index.rules.get(target.id)!;
      panel.title = `ThreatLens: ${rule.id} ${rule.title}`;
      panel.webview.html = ruleDetailsHtml(rule, index, this.findings, res);
    }
  }

  private async onMessage(message: unknown): Promise<void> {
    if (!isDetailsMessage(message)) return;
    switch (message.type) {
      case 'reveal': {
        const f = this.findings[message.index];
        if (f) await this.reveal(f);
        break;
      }
      case 'open':
        await this.show(message.id);
        break;
      case 'external': {
        const url = safeUrl(message.url);
        if (url) await vscode.env.openExternal(vscode.Uri.parse(url));
        break;
      }
    }
  }

  dispose(): void {
    this.panel?.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
