/**
 * The ThreatLens VS Code extension: starts the language server (dist/server.js) and adds the small
 * pieces of UI the protocol cannot express: a language status item, a rule-doc viewer and a
 * restart command. All analysis happens in the server.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
  type StateChangeEvent,
} from 'vscode-languageclient/node';
import {
  Commands,
  InternalCommands,
  RULE_DOC_REQUEST,
  RULE_DOC_SCHEME,
  RULES_REQUEST,
  SETTINGS_SECTION,
  STATUS_NOTIFICATION,
  type RuleDocParams,
  type RuleDocResult,
  type ApplySnippetArgs,
  type InitializationOptions,
  type RulesResult,
  type StatusParams,
} from '../../server/src/protocol';

/**
 * Which documents the server sees. The server only reads the text the editor sends, never the
 * file system, so any scheme that holds real Python source is fine: local files, unsaved buffers,
 * remote and virtual workspaces (vscode-remote, vscode-vfs) and notebook cells (matched through
 * the notebook filter, whatever the cell URI's scheme is). Schemes that show other versions of a
 * file (git:, output:, diff views) are left out on purpose.
 */
const MANIFEST_PATTERNS = [
  '**/*requirements*.{txt,in}',
  '**/requirements/*.{txt,in}',
  '**/*constraints*.txt',
  '**/pyproject.toml',
  '**/setup.cfg',
  '**/Pipfile',
  '**/environment*.{yml,yaml}',
];

const DOCUMENT_SELECTOR: LanguageClientOptions['documentSelector'] = [
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'python' },
  { scheme: 'vscode-remote', language: 'python' },
  { scheme: 'vscode-vfs', language: 'python' },
  { scheme: 'vscode-notebook-cell', language: 'python' },
  { notebook: '*', language: 'python' },
  // Dependency manifests, whatever language the editor gives them (plaintext, pip-requirements, toml, ini, yaml).
  ...MANIFEST_PATTERNS.map((pattern) => ({ scheme: 'file', pattern })),
];

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('ThreatLens', { log: true });
  context.subscriptions.push(output);

  const status = new StatusItem();
  context.subscriptions.push(status);

  const docs = new RuleDocProvider(() => client);
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(RULE_DOC_SCHEME, docs), docs);

  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.showRuleDoc, (id?: unknown) => showRuleDoc(docs, id)),
    vscode.commands.registerCommand(InternalCommands.applySnippet, (args: ApplySnippetArgs) => applySnippet(args)),
    vscode.commands.registerCommand(Commands.restartServer, async () => {
      if (!client) return;
      status.set({ state: 'analyzing', message: 'Restarting the server…' });
      try {
        await client.restart();
      } catch (err) {
        status.set({ state: 'error', message: `Restart failed: ${errorMessage(err)}` });
      }
    }),
  );

  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: {
      module: serverModule,
      transport: TransportKind.ipc,
      options: { execArgv: ['--nolazy', '--inspect=6011'] },
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    synchronize: { configurationSection: SETTINGS_SECTION },
    outputChannel: output,
    diagnosticCollectionName: 'threatlens',
    initializationOptions: { snippets: true, cacheDir: vscode.Uri.joinPath(context.globalStorageUri, 'osv').fsPath } satisfies InitializationOptions,
  };

  client = new LanguageClient('threatlens', 'ThreatLens', serverOptions, clientOptions);
  context.subscriptions.push(
    client.onNotification(STATUS_NOTIFICATION, (params: StatusParams) => status.set(params)),
    client.onDidChangeState((e: StateChangeEvent) => {
      if (e.newState === State.Starting) status.set({ state: 'analyzing', message: 'Starting…' });
      else if (e.newState === State.Running) status.set({ state: 'ok' });
      else status.set({ state: 'error', message: 'The server stopped. Run "ThreatLens: Restart Server".' });
    }),
  );

  try {
    await client.start();
  } catch (err) {
    status.set({ state: 'error', message: `The server did not start: ${errorMessage(err)}` });
    output.appendLine(`ThreatLens server failed to start: ${errorMessage(err)}`);
  }
}

/** Inserts a fix with placeholders (a commit id, a version) as a snippet the user completes. */
async function applySnippet(args: ApplySnippetArgs): Promise<void> {
  const uri = vscode.Uri.parse(args.uri);
  const editor = await vscode.window.showTextDocument(uri, { preserveFocus: false });
  if (editor.document.version !== args.version) {
    void vscode.window.showWarningMessage('ThreatLens: the file changed since this fix was offered; run the quick fix again.');
    return;
  }
  const range = new vscode.Range(args.range.start.line, args.range.start.character, args.range.end.line, args.range.end.character);
  await editor.insertSnippet(new vscode.SnippetString(args.snippet), range);
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop();
}

// ---------------------------------------------------------------------------------------------

/** "ThreatLens" in the language status area of Python editors, updated by `threatlens/status`. */
class StatusItem implements vscode.Disposable {
  private readonly item = vscode.languages.createLanguageStatusItem('threatlens.status', { language: 'python' });

  constructor() {
    this.item.name = 'ThreatLens';
    this.set({ state: 'analyzing', message: 'Starting…' });
  }

  set(params: StatusParams): void {
    const { item } = this;
    const findings =
      typeof params.findings === 'number' ? `${params.findings} finding${params.findings === 1 ? '' : 's'}` : undefined;
    item.busy = params.state === 'analyzing';
    item.command = undefined;
    switch (params.state) {
      case 'ok':
        item.text = findings ? `ThreatLens: ${findings}` : 'ThreatLens';
        item.severity = vscode.LanguageStatusSeverity.Information;
        item.detail = params.message ?? 'Ready';
        item.command = { title: 'Rule docs', command: Commands.showRuleDoc };
        break;
      case 'analyzing':
        item.text = 'ThreatLens';
        item.severity = vscode.LanguageStatusSeverity.Information;
        item.detail = params.message ?? 'Analyzing…';
        break;
      case 'slow':
        item.text = findings ? `ThreatLens: ${findings} (partial)` : 'ThreatLens: slow';
        item.severity = vscode.LanguageStatusSeverity.Warning;
        item.detail = params.message ?? 'Analysis hit the time budget (threatlens.timeBudgetMs); results may be partial';
        break;
      case 'error':
        item.text = 'ThreatLens: error';
        item.severity = vscode.LanguageStatusSeverity.Error;
        item.detail = params.message ?? 'The server reported an error';
        item.command = { title: 'Restart', command: Commands.restartServer };
        break;
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}

/**
 * Read-only virtual documents `threatlens-doc:/TL001.md` whose text the server supplies through
 * `threatlens/ruleDoc`. Shown with the built-in markdown preview.
 */
class RuleDocProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly getClient: () => LanguageClient | undefined) {}

  static uriFor(id: string): vscode.Uri {
    return vscode.Uri.from({ scheme: RULE_DOC_SCHEME, path: `/${id}.md` });
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const id = uri.path.replace(/^\//, '').replace(/\.md$/, '');
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

async function showRuleDoc(docs: RuleDocProvider, arg: unknown): Promise<void> {
  let id = typeof arg === 'string' && arg.trim() !== '' ? arg.trim() : undefined;
  if (!id) id = await pickRule();
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

async function pickRule(): Promise<string | undefined> {
  const c = client;
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

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
