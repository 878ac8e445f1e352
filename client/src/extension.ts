/**
 * The ThreatLens VS Code extension: starts the language server (dist/server.js) in the background
 * and adds the UI the protocol cannot express: the ThreatLens sidebar (Findings and Threat Catalog
 * views), the details view, workspace scans, the language status item, rule docs and commands.
 * All analysis happens in the server.
 */
import { t0 } from './t0';
import * as vscode from 'vscode';
import type { LanguageClient, LanguageClientOptions, StateChangeEvent } from 'vscode-languageclient/node';
import {
  Commands,
  EXPLORER_GROUPINGS,
  InternalCommands,
  RULE_DOC_SCHEME,
  SETTINGS_SECTION,
  STATUS_NOTIFICATION,
  type ApplySnippetArgs,
  type ExplorerGrouping,
  type InitializationOptions,
  type ScanWorkspaceResult,
  type StatusParams,
} from '../../server/src/protocol';
import { applyFix, fixAllInDocument, ignoreHere, revealFinding } from './actions';
import { MANIFEST_PATTERNS } from './explorer/model';
import { CatalogStore } from './catalog-store';
import type { DetailsPanel } from './details';
import { CatalogTreeProvider, type CatalogNode } from './explorer/catalog';
import { FindingsTreeProvider, explorerSettings, type FindingsNode } from './explorer/findings';
import { REVEAL_FINDING_COMMAND } from './explorer/items';
import {
  findingMarkdown,
  findingsOfThreat,
  groupMarkdown,
  plural,
  type CatalogIndex,
  type FindingRecord,
} from './explorer/model';
import { FindingsStore } from './explorer/store';
import { RuleDocProvider, errorMessage, showRuleDoc } from './rule-docs';
import { Scanner, changedFiles } from './scan';
import { StatusItem } from './status';

/**
 * Which documents the server sees. The server only reads the text the editor sends, never the
 * file system, so any scheme that holds real Python source is fine: local files, unsaved buffers,
 * remote and virtual workspaces (vscode-remote, vscode-vfs) and notebook cells (matched through
 * the notebook filter, whatever the cell URI's scheme is). Schemes that show other versions of a
 * file (git:, output:, diff views) are left out on purpose.
 */
export { MANIFEST_PATTERNS };

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

/** Where the language status item shows: Python files and cells, and the manifests. */
const STATUS_SELECTOR: vscode.DocumentSelector = [{ language: 'python' }, ...MANIFEST_PATTERNS.map((pattern) => ({ pattern }))];

/** Files whose creation, change or deletion the server hears about (it re-analyses scanned files). */
const WATCHED_PATTERNS = ['**/*.py', '**/*.ipynb', ...MANIFEST_PATTERNS];

/** What `activate` returns, for the extension-host tests (and other extensions). */
export interface ThreatLensApi {
  /** Milliseconds from the start of the bundle's evaluation to the end of `activate` (server start not included). */
  activationMs: number;
  /** The part of `activationMs` spent evaluating the bundle (its imports) before `activate` ran. */
  loadMs: number;
  /** Resolves once the server runs and the catalog was requested; rejects if the server did not start. */
  ready: Promise<void>;
  /** The language client, once it has been created (right after activation). */
  client(): LanguageClient | undefined;
  findingsTree: FindingsTreeProvider;
  catalogTree: CatalogTreeProvider;
  /** Every ThreatLens finding currently in the diagnostics. */
  findings(): FindingRecord[];
  /** The catalog, once loaded. */
  catalog(): Promise<CatalogIndex | undefined>;
  /** Scans the workspace (or just `uris`) with the progress notification, without the summary message. */
  scanWorkspace(uris?: vscode.Uri[]): Promise<ScanWorkspaceResult>;
  /** Opens the details view for a threat or rule id; false when unknown. */
  showDetails(id: string): Promise<boolean>;
  /** The details view's current HTML, if it is open. */
  detailsHtml(): string | undefined;
  status: StatusItem;
}

let client: LanguageClient | undefined;

export function activate(context: vscode.ExtensionContext): ThreatLensApi {
  const activateStart = performance.now();
  const output = vscode.window.createOutputChannel('ThreatLens', { log: true });
  context.subscriptions.push(output);

  const status = new StatusItem(STATUS_SELECTOR);
  const catalog = new CatalogStore();
  const store = new FindingsStore(catalog);
  const findingsTree = new FindingsTreeProvider(store, catalog);
  const catalogTree = new CatalogTreeProvider(catalog, store);
  context.subscriptions.push(status, catalog, store, findingsTree, catalogTree);

  const findingsView = vscode.window.createTreeView('threatlens.findings', { treeDataProvider: findingsTree, showCollapseAll: true });
  findingsTree.attach(findingsView);
  const catalogView = vscode.window.createTreeView('threatlens.catalog', { treeDataProvider: catalogTree, showCollapseAll: true });
  context.subscriptions.push(findingsView, catalogView);
  void vscode.commands.executeCommand('setContext', 'threatlens.findings.filtered', false);

  const docs = new RuleDocProvider(() => client);
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(RULE_DOC_SCHEME, docs), docs);

  // The details view's code is only evaluated when it is first opened.
  let details: Promise<DetailsPanel> | undefined;
  const detailsPanel = (): Promise<DetailsPanel> =>
    (details ??= import('./details.js').then(({ DetailsPanel }) => {
      const panel = new DetailsPanel(context.extensionUri, catalog, store, async (f) => {
        await revealFinding(f, { viewColumn: vscode.ViewColumn.One });
      });
      context.subscriptions.push(panel);
      return panel;
    }));
  let lastDetails: DetailsPanel | undefined;
  const showDetails = async (id: string): Promise<boolean> => {
    lastDetails = await detailsPanel();
    return lastDetails.show(id);
  };

  const watchers = WATCHED_PATTERNS.map((p) => vscode.workspace.createFileSystemWatcher(p));
  context.subscriptions.push(...watchers);
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    synchronize: { configurationSection: SETTINGS_SECTION, fileEvents: watchers },
    outputChannel: output,
    diagnosticCollectionName: 'threatlens',
    initializationOptions: { snippets: true, cacheDir: vscode.Uri.joinPath(context.globalStorageUri, 'osv').fsPath } satisfies InitializationOptions,
  };

  const scanner = new Scanner(() => client, () => ready, () => loadLsp().WorkDoneProgress.type);
  const scan = async (options: Parameters<Scanner['scan']>[0]): Promise<ScanWorkspaceResult> => {
    status.setScanning(true);
    try {
      const result = await scanner.scan(options);
      status.setScanning(false, { files: result.files, findings: result.findings });
      return result;
    } catch (err) {
      status.setScanning(false);
      throw err;
    }
  };
  const scanCommand = async (options: Parameters<Scanner['scan']>[0]): Promise<ScanWorkspaceResult | undefined> => {
    try {
      return await scan(options);
    } catch (err) {
      void vscode.window.showErrorMessage(`ThreatLens: the scan failed: ${errorMessage(err)}`);
      return undefined;
    }
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.showRuleDoc, (id?: unknown) => showRuleDoc(docs, client, id)),
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
    vscode.commands.registerCommand(REVEAL_FINDING_COMMAND, (f: FindingRecord) => revealFinding(f)),

    // Scans
    vscode.commands.registerCommand(Commands.scanWorkspace, () => scanCommand({})),
    vscode.commands.registerCommand(Commands.scanChangedFiles, async () => {
      const uris = await changedFiles();
      if (!uris) {
        void vscode.window.showInformationMessage('ThreatLens: no workspace folder is a git repository (or git is not available). Run "Scan Workspace" instead.');
        return undefined;
      }
      if (uris.length === 0) {
        void vscode.window.showInformationMessage('ThreatLens: no changed Python files, notebooks or dependency manifests.');
        return undefined;
      }
      return scanCommand({ uris });
    }),

    // Findings view
    vscode.commands.registerCommand(Commands.groupFindingsBy, async (arg?: unknown) => {
      let by = typeof arg === 'string' && (EXPLORER_GROUPINGS as readonly string[]).includes(arg) ? (arg as ExplorerGrouping) : undefined;
      if (!by) {
        const current = explorerSettings().groupBy;
        const labels: Record<ExplorerGrouping, string> = { threat: 'Threat', stage: 'Lifecycle stage', file: 'File', severity: 'Severity' };
        const picked = await vscode.window.showQuickPick(
          EXPLORER_GROUPINGS.map((g) => ({ label: labels[g], description: g === current ? 'current' : undefined, value: g })),
          { title: 'ThreatLens: Group Findings By', placeHolder: 'How the Findings view groups findings' },
        );
        by = picked?.value;
      }
      if (by) await setGrouping(by);
    }),
    vscode.commands.registerCommand(Commands.groupFindingsByThreat, () => setGrouping('threat')),
    vscode.commands.registerCommand(Commands.groupFindingsByStage, () => setGrouping('stage')),
    vscode.commands.registerCommand(Commands.groupFindingsByFile, () => setGrouping('file')),
    vscode.commands.registerCommand(Commands.groupFindingsBySeverity, () => setGrouping('severity')),
    vscode.commands.registerCommand(Commands.filterFindings, async (arg?: unknown) => {
      const text =
        typeof arg === 'string'
          ? arg
          : await vscode.window.showInputBox({
              title: 'ThreatLens: Filter Findings',
              prompt: 'Words to look for in the message, rule id, file or threat (all must match); empty clears the filter',
              value: findingsTree.filter,
            });
      if (text !== undefined) findingsTree.filter = text;
    }),
    vscode.commands.registerCommand(Commands.clearFindingsFilter, () => {
      findingsTree.filter = '';
    }),

    // Items
    vscode.commands.registerCommand(Commands.applyFix, async (node?: FindingsNode | CatalogNode) => {
      const f = findingOf(node ?? findingsView.selection[0]);
      return f ? applyFix(f) : undefined;
    }),
    vscode.commands.registerCommand(Commands.ignoreFinding, async (node?: FindingsNode | CatalogNode) => {
      const f = findingOf(node ?? findingsView.selection[0]);
      return f ? ignoreHere(f) : false;
    }),
    vscode.commands.registerCommand(Commands.openDetails, async (node?: FindingsNode | CatalogNode) => {
      const id = detailsIdOf(node ?? findingsView.selection[0] ?? catalogView.selection[0]);
      return id ? showDetails(id) : showThreatDetails(undefined);
    }),
    vscode.commands.registerCommand(Commands.copyAsMarkdown, async (node?: FindingsNode | CatalogNode) => {
      const md = markdownOf(node ?? findingsView.selection[0], catalog.index, store.all);
      if (!md) return undefined;
      await vscode.env.clipboard.writeText(md);
      vscode.window.setStatusBarMessage('ThreatLens: copied as Markdown', 3000);
      return md;
    }),
    vscode.commands.registerCommand(Commands.showThreatDetails, (arg?: unknown) => showThreatDetails(arg)),
    vscode.commands.registerCommand(Commands.fixAllInFile, async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        void vscode.window.showInformationMessage('ThreatLens: open a Python file or manifest first.');
        return undefined;
      }
      const title = await fixAllInDocument(editor.document);
      vscode.window.setStatusBarMessage(title ? `${title}` : 'ThreatLens: no safe fixes in this file', 4000);
      return title;
    }),
  );

  async function showThreatDetails(arg: unknown): Promise<boolean> {
    let id: string | undefined;
    if (typeof arg === 'string' && arg.trim()) id = arg.trim();
    else if (arg instanceof vscode.Uri && arg.scheme === RULE_DOC_SCHEME) id = RuleDocProvider.idOf(arg);
    else if (arg && typeof arg === 'object' && 'kind' in arg) id = detailsIdOf(arg as FindingsNode | CatalogNode);
    else {
      const active = vscode.window.activeTextEditor?.document.uri;
      if (active?.scheme === RULE_DOC_SCHEME) id = RuleDocProvider.idOf(active);
    }
    if (!id) id = await pickThreat();
    return id ? showDetails(id) : false;
  }

  async function pickThreat(): Promise<string | undefined> {
    const index = await catalog.ready();
    if (!index) {
      void vscode.window.showWarningMessage(`ThreatLens: the threat catalog is not available${catalog.error ? ` (${catalog.error})` : ''}.`);
      return undefined;
    }
    const all = store.all;
    const items = index.catalog.threats
      .map((t) => ({ t, n: findingsOfThreat(all, index, t.id).length }))
      .sort((a, b) => b.n - a.n || a.t.id.localeCompare(b.t.id))
      .map(({ t, n }) => ({
        label: `${n > 0 ? '$(warning) ' : ''}${t.id}`,
        description: t.name,
        detail: `${t.stages.join(', ')}${n > 0 ? ` · ${plural(n, 'finding')}` : ''}`,
        id: t.id,
      }));
    const picked = await vscode.window.showQuickPick(items, {
      title: 'ThreatLens: Show Threat Details',
      placeHolder: 'Pick a threat',
      matchOnDescription: true,
      matchOnDetail: true,
    });
    return picked?.id;
  }

  // The server starts in the background, after activation has returned: starting it (forking the
  // server process, registering the protocol features) is not part of VS Code's start-up.
  const started = new Promise<void>((resolve, reject) =>
    setTimeout(() => {
      try {
        const lsp = loadLsp();
        const c = lsp.createLanguageClient(context.asAbsolutePath('dist/server.js'), clientOptions);
        client = c;
        context.subscriptions.push(
          c.onNotification(STATUS_NOTIFICATION, (params: StatusParams) => status.set(params)),
          c.onDidChangeState((e: StateChangeEvent) => {
            if (e.newState === lsp.State.Starting) status.set({ state: 'analyzing', message: 'Starting…' });
            else if (e.newState === lsp.State.Running) {
              status.set({ state: 'ok' });
              if (!catalog.index) void catalog.load(c);
            } else status.set({ state: 'error', message: 'The server stopped. Run "ThreatLens: Restart Server".' });
          }),
        );
        c.start().then(resolve, reject);
      } catch (err) {
        reject(err);
      }
    }, 0),
  );
  const ready: Promise<void> = started.then(
    async () => {
      if (client) await catalog.load(client);
      if (vscode.workspace.getConfiguration(SETTINGS_SECTION).get<boolean>('scanOnStartup') && vscode.workspace.workspaceFolders?.length) {
        void scan({ location: vscode.ProgressLocation.Window, announce: false }).catch((err) =>
          output.appendLine(`ThreatLens start-up scan failed: ${errorMessage(err)}`),
        );
      }
    },
    (err: unknown) => {
      status.set({ state: 'error', message: `The server did not start: ${errorMessage(err)}` });
      output.appendLine(`ThreatLens server failed to start: ${errorMessage(err)}`);
      throw err;
    },
  );
  ready.catch(() => undefined);

  const activationMs = performance.now() - t0;
  const loadMs = activateStart - t0;
  output.info(`activated in ${activationMs.toFixed(0)} ms (loading the bundle: ${(activateStart - t0).toFixed(0)} ms)`);
  return {
    activationMs,
    loadMs,
    ready,
    client: () => client,
    findingsTree,
    catalogTree,
    findings: () => store.all,
    catalog: () => catalog.ready(),
    scanWorkspace: (uris) => scan({ ...(uris ? { uris } : {}), announce: false }),
    showDetails,
    detailsHtml: () => lastDetails?.html,
    status,
  };
}

async function setGrouping(by: ExplorerGrouping): Promise<void> {
  const cfg = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const inspected = cfg.inspect('explorer.groupBy');
  const target =
    inspected?.workspaceFolderValue !== undefined || inspected?.workspaceValue !== undefined
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  await cfg.update('explorer.groupBy', by, target);
}

function findingOf(node: FindingsNode | CatalogNode | undefined): FindingRecord | undefined {
  return node?.kind === 'finding' ? node.finding : undefined;
}

/** The threat or rule the details view shows for a tree node. */
function detailsIdOf(node: FindingsNode | CatalogNode | undefined): string | undefined {
  if (!node) return undefined;
  switch (node.kind) {
    case 'finding':
      return node.finding.ruleId;
    case 'group':
      return node.groupBy === 'threat' && node.group.key ? node.group.key : undefined;
    case 'threat':
    case 'folder':
      return node.threat.id;
    case 'rule':
      return node.rule.id;
    default:
      return undefined;
  }
}

function markdownOf(node: FindingsNode | CatalogNode | undefined, index: CatalogIndex | undefined, all: FindingRecord[]): string | undefined {
  if (!node) return undefined;
  switch (node.kind) {
    case 'finding':
      return findingMarkdown(node.finding, index);
    case 'group':
      return groupMarkdown(node.group.label, node.group.findings, index);
    case 'threat':
    case 'folder':
      return groupMarkdown(`${node.threat.id} ${node.threat.name}`, findingsOfThreat(all, index, node.threat.id), index);
    default:
      return undefined;
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

type LspModule = typeof import('./lsp');

/** The language-client bundle (dist/client-lsp.js, next to this one), loaded on first use. */
let lspModule: LspModule | undefined;
function loadLsp(): LspModule {
  // A plain require of a file next to the bundle: esbuild leaves it alone (see scripts/build.mjs).
  return (lspModule ??= require('./client-lsp.js') as LspModule);
}
