/**
 * The Findings view: the workspace's ThreatLens findings grouped by threat, lifecycle stage, file or
 * severity (`threatlens.explorer.groupBy`), filtered by text and `threatlens.explorer.minimumSeverity`.
 */
import * as vscode from 'vscode';
import {
  EXPLORER_GROUPINGS,
  RULE_SEVERITIES,
  SETTINGS_SECTION,
  type ExplorerGrouping,
  type RuleSeverity,
} from '../../../server/src/protocol';
import type { CatalogStore } from '../catalog-store';
import { findingTreeItem, severityIcon } from './items';
import { filterFindings, groupFindings, plural, type FindingGroup, type FindingRecord } from './model';
import type { FindingsStore } from './store';

export type FindingsNode =
  | { kind: 'group'; id: string; groupBy: ExplorerGrouping; group: FindingGroup }
  | { kind: 'finding'; id: string; finding: FindingRecord; parent?: FindingsNode };

export const FILTERED_CONTEXT = 'threatlens.findings.filtered';

export function explorerSettings(): { groupBy: ExplorerGrouping; minimumSeverity: RuleSeverity } {
  const cfg = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const groupBy = cfg.get<string>('explorer.groupBy');
  const min = cfg.get<string>('explorer.minimumSeverity');
  return {
    groupBy: (EXPLORER_GROUPINGS as readonly (string | undefined)[]).includes(groupBy) ? (groupBy as ExplorerGrouping) : 'threat',
    minimumSeverity: (RULE_SEVERITIES as readonly (string | undefined)[]).includes(min) ? (min as RuleSeverity) : 'low',
  };
}

export class FindingsTreeProvider implements vscode.TreeDataProvider<FindingsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<FindingsNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  private filterText = '';
  private view: vscode.TreeView<FindingsNode> | undefined;

  constructor(
    private readonly store: FindingsStore,
    private readonly catalog: CatalogStore,
  ) {
    this.subscriptions.push(
      store.onDidChange(() => this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SETTINGS_SECTION}.explorer`)) this.refresh();
      }),
    );
  }

  /** Connects the tree view, whose description shows the filter and whose badge the count. */
  attach(view: vscode.TreeView<FindingsNode>): void {
    this.view = view;
    this.updateView(this.visibleFindings());
  }

  get filter(): string {
    return this.filterText;
  }

  set filter(text: string) {
    this.filterText = text.trim();
    void vscode.commands.executeCommand('setContext', FILTERED_CONTEXT, this.filterText !== '');
    this.refresh();
  }

  refresh(): void {
    this.changed.fire();
  }

  /** The findings the view lists (after the minimum severity and the text filter). */
  visibleFindings(): FindingRecord[] {
    return filterFindings(this.store.all, {
      filter: this.filterText,
      minimumSeverity: explorerSettings().minimumSeverity,
      index: this.catalog.index,
    });
  }

  getChildren(node?: FindingsNode): FindingsNode[] {
    if (node?.kind === 'finding') return [];
    if (node?.kind === 'group') {
      return node.group.findings.map((finding, i) => ({
        kind: 'finding',
        id: `${node.id}/${i}:${finding.uri}#${finding.range.start.line}:${finding.range.start.character}:${finding.ruleId}`,
        finding,
        parent: node,
      }));
    }
    const { groupBy } = explorerSettings();
    const findings = this.visibleFindings();
    this.updateView(findings);
    return groupFindings(findings, groupBy, this.catalog.index).map((group) => ({
      kind: 'group',
      id: `group:${groupBy}:${group.key}`,
      groupBy,
      group,
    }));
  }

  getParent(node: FindingsNode): FindingsNode | undefined {
    return node.kind === 'finding' ? node.parent : undefined;
  }

  getTreeItem(node: FindingsNode): vscode.TreeItem {
    if (node.kind === 'finding') return findingTreeItem(node.finding, this.catalog.index, node.id);
    const { group, groupBy } = node;
    const item = new vscode.TreeItem(group.label, vscode.TreeItemCollapsibleState.Expanded);
    item.id = node.id;
    item.description = group.description;
    item.contextValue = `threatlens.group.${groupBy}${group.key && groupBy === 'threat' ? '.threat' : ''}`;
    item.tooltip = `${group.label}: ${plural(group.findings.length, 'finding')}, highest severity ${group.severity}`;
    switch (groupBy) {
      case 'file': {
        const first = group.findings[0];
        if (first && first.cell === undefined) item.resourceUri = vscode.Uri.parse(first.uri);
        item.iconPath = first?.cell !== undefined ? new vscode.ThemeIcon('notebook') : vscode.ThemeIcon.File;
        break;
      }
      case 'severity':
        item.iconPath = severityIcon(group.severity);
        break;
      case 'stage':
        item.iconPath = new vscode.ThemeIcon('layers');
        break;
      case 'threat':
        item.iconPath = new vscode.ThemeIcon(group.key ? 'shield' : 'question');
        break;
    }
    return item;
  }

  private updateView(findings: readonly FindingRecord[]): void {
    const view = this.view;
    if (!view) return;
    const { minimumSeverity } = explorerSettings();
    const parts: string[] = [];
    if (this.filterText) parts.push(`Filter: ${this.filterText}`);
    if (minimumSeverity !== 'low') parts.push(`≥ ${minimumSeverity}`);
    view.description = parts.join(' · ') || undefined;
    view.badge = findings.length ? { value: findings.length, tooltip: plural(findings.length, 'finding') } : undefined;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
