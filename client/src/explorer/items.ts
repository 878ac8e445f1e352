/** Tree items shared by the Findings and Threat Catalog views. */
import * as vscode from 'vscode';
import type { RuleSeverity } from '../../../server/src/protocol';
import { atlasIdsOf, locationLabel, threatsOf, type CatalogIndex, type FindingRecord } from './model';

/**
 * Client-only command behind a click on a finding: reveals it in its editor. Argument: the
 * FindingRecord. (Registered by extension.ts, not contributed: it needs a finding.)
 */
export const REVEAL_FINDING_COMMAND = 'threatlens.revealFinding';

export function severityIcon(severity: RuleSeverity): vscode.ThemeIcon {
  switch (severity) {
    case 'critical':
    case 'high':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    case 'medium':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    default:
      return new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground'));
  }
}

function mdEscape(text: string): string {
  return text.replace(/[\\`*_{}[\]<>()#+!|~]/g, (c) => `\\${c}`);
}

export function findingTooltip(f: FindingRecord, index: CatalogIndex | undefined): vscode.MarkdownString {
  const rule = index?.rules.get(f.ruleId);
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${mdEscape(f.ruleId)}${rule ? ` ${mdEscape(rule.title)}` : ''}** · ${f.severity}\n\n`);
  md.appendMarkdown(`${mdEscape(f.message)}\n\n`);
  md.appendMarkdown(`$(location) ${mdEscape(locationLabel(f))}\n\n`);
  const threats = threatsOf(index, f.ruleId);
  if (threats.length) md.appendMarkdown(`Threats: ${threats.map((t) => `${mdEscape(t.id)} ${mdEscape(t.name)}`).join('; ')}\n\n`);
  const atlas = atlasIdsOf(index, f.ruleId);
  if (atlas.length) md.appendMarkdown(`ATLAS: ${atlas.map(mdEscape).join(', ')}`);
  return md;
}

/** A finding: rule id and message, `file:line` beside it, an icon by severity; a click reveals it. */
export function findingTreeItem(f: FindingRecord, index: CatalogIndex | undefined, id: string): vscode.TreeItem {
  const item = new vscode.TreeItem(`${f.ruleId} ${f.message}`, vscode.TreeItemCollapsibleState.None);
  item.id = id;
  item.description = locationLabel(f);
  item.tooltip = findingTooltip(f, index);
  item.iconPath = severityIcon(f.severity);
  item.contextValue = 'threatlens.finding';
  item.accessibilityInformation = { label: `${f.ruleId}, ${f.severity}: ${f.message}, at ${locationLabel(f)}` };
  item.command = { title: 'Reveal', command: REVEAL_FINDING_COMMAND, arguments: [f] };
  return item;
}
