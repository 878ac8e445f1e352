/**
 * The Threat Catalog view: lifecycle stage -> threat -> its workspace findings, ATLAS techniques,
 * mitigations and rules. Threats with findings come first, with a warning icon and "N findings".
 */
import * as vscode from 'vscode';
import { Commands, type CatalogLink, type CatalogRule, type CatalogThreat } from '../../../server/src/protocol';
import type { CatalogStore } from '../catalog-store';
import { findingTreeItem } from './items';
import { countByThreat, findingsOfThreat, plural, severityRank, type FindingRecord } from './model';
import type { FindingsStore } from './store';

type Folder = 'findings' | 'techniques' | 'mitigations' | 'rules';

export type CatalogNode =
  | { kind: 'stage'; id: string; stage: string }
  | { kind: 'threat'; id: string; threat: CatalogThreat; findings: number }
  | { kind: 'folder'; id: string; threat: CatalogThreat; folder: Folder }
  | { kind: 'technique'; id: string; link: CatalogLink }
  | { kind: 'mitigation'; id: string; mitigation: CatalogThreat['mitigations'][number] }
  | { kind: 'rule'; id: string; rule: CatalogRule }
  | { kind: 'finding'; id: string; finding: FindingRecord };

export const OTHER_STAGE = 'Other';

export class CatalogTreeProvider implements vscode.TreeDataProvider<CatalogNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<CatalogNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly catalog: CatalogStore,
    private readonly store: FindingsStore,
  ) {
    this.subscriptions.push(
      catalog.onDidChange(() => this.refresh()),
      store.onDidChange(() => this.refresh()),
    );
  }

  refresh(): void {
    this.changed.fire();
  }

  private threatsOfStage(stage: string): CatalogThreat[] {
    const threats = this.catalog.index?.catalog.threats ?? [];
    return stage === OTHER_STAGE ? threats.filter((t) => t.stages.length === 0) : threats.filter((t) => t.stages.includes(stage));
  }

  getChildren(node?: CatalogNode): CatalogNode[] {
    const index = this.catalog.index;
    if (!index) return [];
    const findings = this.store.all;
    if (!node) {
      const stages = [...index.catalog.stages];
      if (index.catalog.threats.some((t) => t.stages.length === 0)) stages.push(OTHER_STAGE);
      return stages.filter((s) => this.threatsOfStage(s).length > 0).map((stage) => ({ kind: 'stage', id: `stage:${stage}`, stage }));
    }
    switch (node.kind) {
      case 'stage': {
        const counts = countByThreat(findings, index);
        return this.threatsOfStage(node.stage)
          .map((threat) => ({ threat, findings: counts.get(threat.id) ?? 0 }))
          .sort(
            (a, b) =>
              b.findings - a.findings ||
              severityRank(b.threat.severity) - severityRank(a.threat.severity) ||
              a.threat.id.localeCompare(b.threat.id),
          )
          .map(({ threat, findings: n }) => ({ kind: 'threat', id: `${node.id}/threat:${threat.id}`, threat, findings: n }));
      }
      case 'threat': {
        const t = node.threat;
        const folders: Folder[] = [];
        if (node.findings > 0) folders.push('findings');
        if (t.techniques.length) folders.push('techniques');
        if (t.mitigations.length) folders.push('mitigations');
        if (t.rules.length) folders.push('rules');
        return folders.map((folder) => ({ kind: 'folder', id: `${node.id}/${folder}`, threat: t, folder }));
      }
      case 'folder': {
        const t = node.threat;
        switch (node.folder) {
          case 'findings':
            return findingsOfThreat(findings, index, t.id).map((finding, i) => ({
              kind: 'finding',
              id: `${node.id}/${i}:${finding.uri}#${finding.range.start.line}:${finding.ruleId}`,
              finding,
            }));
          case 'techniques':
            return t.techniques.map((link) => ({ kind: 'technique', id: `${node.id}/${link.id}`, link }));
          case 'mitigations':
            return t.mitigations.map((mitigation, i) => ({ kind: 'mitigation', id: `${node.id}/${i}`, mitigation }));
          case 'rules':
            return t.rules
              .map((id) => index.rules.get(id))
              .filter((r): r is CatalogRule => !!r)
              .map((rule) => ({ kind: 'rule', id: `${node.id}/${rule.id}`, rule }));
        }
      }
      // falls through: leaves have no children
      default:
        return [];
    }
  }

  getTreeItem(node: CatalogNode): vscode.TreeItem {
    const index = this.catalog.index;
    const None = vscode.TreeItemCollapsibleState.None;
    const Collapsed = vscode.TreeItemCollapsibleState.Collapsed;
    const Expanded = vscode.TreeItemCollapsibleState.Expanded;
    let item: vscode.TreeItem;
    switch (node.kind) {
      case 'stage': {
        const threats = this.threatsOfStage(node.stage);
        const counts = countByThreat(this.store.all, index);
        const withFindings = threats.filter((t) => (counts.get(t.id) ?? 0) > 0).length;
        item = new vscode.TreeItem(node.stage, withFindings > 0 ? Expanded : Collapsed);
        item.description = `${plural(threats.length, 'threat')}${withFindings ? ` · ${withFindings} with findings` : ''}`;
        item.iconPath = new vscode.ThemeIcon('layers');
        item.contextValue = 'threatlens.stage';
        break;
      }
      case 'threat': {
        const t = node.threat;
        item = new vscode.TreeItem(`${t.id} ${t.name}`, Collapsed);
        item.description = node.findings > 0 ? plural(node.findings, 'finding') : undefined;
        item.iconPath =
          node.findings > 0
            ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
            : new vscode.ThemeIcon('shield');
        item.tooltip = new vscode.MarkdownString(undefined, true).appendText(`${t.id} ${t.name} (${t.severity})\n\n${t.summary}`);
        item.contextValue = 'threatlens.threat';
        item.command = { title: 'Show Details', command: Commands.showThreatDetails, arguments: [t.id] };
        break;
      }
      case 'folder': {
        const t = node.threat;
        const labels: Record<Folder, [string, number, string]> = {
          findings: ['Findings in this workspace', findingsOfThreat(this.store.all, index, t.id).length, 'warning'],
          techniques: ['ATLAS techniques', t.techniques.length, 'target'],
          mitigations: ['Mitigations', t.mitigations.length, 'shield'],
          rules: ['Rules', t.rules.length, 'checklist'],
        };
        const [label, count, icon] = labels[node.folder];
        item = new vscode.TreeItem(label, node.folder === 'findings' ? Expanded : Collapsed);
        item.description = String(count);
        item.iconPath = new vscode.ThemeIcon(icon);
        item.contextValue = `threatlens.folder.${node.folder}`;
        break;
      }
      case 'technique': {
        const { link } = node;
        item = new vscode.TreeItem(link.id, None);
        item.description = link.name;
        item.tooltip = link.url ? `${link.id} ${link.name}\n${link.url}` : `${link.id} ${link.name}`;
        item.iconPath = new vscode.ThemeIcon('link-external');
        item.contextValue = 'threatlens.technique';
        if (link.url) item.command = { title: 'Open in ATLAS', command: 'vscode.open', arguments: [vscode.Uri.parse(link.url)] };
        break;
      }
      case 'mitigation': {
        const m = node.mitigation;
        item = new vscode.TreeItem(m.id ? `${m.id} ${m.name}` : m.name, None);
        item.tooltip = m.text ? new vscode.MarkdownString(undefined, true).appendText(m.text) : undefined;
        item.iconPath = new vscode.ThemeIcon('check');
        item.contextValue = 'threatlens.mitigation';
        if (m.url) item.command = { title: 'Open', command: 'vscode.open', arguments: [vscode.Uri.parse(m.url)] };
        break;
      }
      case 'rule': {
        const r = node.rule;
        item = new vscode.TreeItem(r.id, None);
        item.description = r.title;
        item.iconPath = new vscode.ThemeIcon('checklist');
        item.contextValue = 'threatlens.rule';
        item.command = { title: 'Show Details', command: Commands.showThreatDetails, arguments: [r.id] };
        break;
      }
      case 'finding':
        return findingTreeItem(node.finding, index, node.id);
    }
    item.id = node.id;
    return item;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
