/**
 * Read-only virtual documents `threatlens-doc:/TL001.md` whose text the server supplies through
 * `threatlens/ruleDoc`, shown with the built-in markdown preview.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  RULE_DOC_REQUEST,
  RULE_DOC_SCHEME,
  RULES_REQUEST,
  type RuleDocParams,
  type RuleDocResult,
  type RulesResult,
} from '../../server/src/protocol';

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class RuleDocProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly getClient: () => LanguageClient | undefined) {}

  static uriFor(id: string): vscode.Uri {
    return vscode.Uri.from({ scheme: RULE_DOC_SCHEME, path: `/${id}.md` });
  }

  /** The rule id of a `threatlens-doc:` URI. */
  static idOf(uri: vscode.Uri): string {
    return uri.path.replace(/^\//, '').replace(/\.md$/, '');
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const id = RuleDocProvider.idOf(uri);
    const c = this.getClient();
    if (!c || !c.isRunning()) return `# ${id}\n\nThe ThreatLens server is not running.\n`;
    try {
      const params: RuleDocParams = { id };
      const result = await c.sendRequest<RuleDocResult | null>(RULE_DOC_REQUEST, params, token);
      return result?.markdown ?? `# ${id}\n\nNo documentation for this rule.\n`;
    } catch (err) {
      return `# ${id}\n\nCould not load the documentation: ${errorMessage(err)}\n`;
    }
  }

  refresh(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export async function showRuleDoc(docs: RuleDocProvider, client: LanguageClient | undefined, arg: unknown): Promise<void> {
  let id = typeof arg === 'string' && arg.trim() !== '' ? arg.trim() : undefined;
  if (!id) id = await pickRule(client);
  if (!id) return;
  const uri = RuleDocProvider.uriFor(id);
  docs.refresh(uri);
  try {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch {
    // The markdown extension is disabled: show the source instead.
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}

async function pickRule(c: LanguageClient | undefined): Promise<string | undefined> {
  if (!c || !c.isRunning()) {
    void vscode.window.showWarningMessage('ThreatLens: the server is not running.');
    return undefined;
  }
  let rules: RulesResult;
  try {
    rules = (await c.sendRequest<RulesResult | null>(RULES_REQUEST, {})) ?? [];
  } catch (err) {
    void vscode.window.showErrorMessage(`ThreatLens: could not list the rules: ${errorMessage(err)}`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    rules.map((r) => ({ label: r.id, description: r.title })),
    { title: 'ThreatLens: Show Rule Documentation', placeHolder: 'Pick a rule', matchOnDescription: true },
  );
  return picked?.label;
}
