/**
 * A small LSP client for the end-to-end language server tests: it starts the BUILT bundle
 * (`node dist/server.js --stdio`), talks JSON-RPC to it the way an editor does, records what the
 * server sends and waits for expected notifications (never for a fixed time).
 *
 * `TestClient.inProcess` runs the server from the sources in the test's own process instead,
 * connected through in-memory streams, so a test can give it `ThreatLensServerOptions` (a
 * debounce, an engine that counts its parses, one that loads when the test says so).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  createConnection,
  createMessageConnection,
  ProposedFeatures,
  StreamMessageReader,
  StreamMessageWriter,
  type CodeAction,
  type ConfigurationParams,
  type Diagnostic,
  type InitializeResult,
  type MessageConnection,
  type PublishDiagnosticsParams,
  type TextDocumentContentChangeEvent,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { StatusParams } from '../server/src/protocol';
import { ThreatLensServer, type ThreatLensServerOptions } from '../server/src/lsp/server';

export const root = join(__dirname, '..');
export const serverBundle = join(root, 'dist', 'server.js');
export const TIMEOUT_MS = 15_000;

// ---------------------------------------------------------------------------------------------
// Build
// ---------------------------------------------------------------------------------------------

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.isFile()) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  const sources = Math.max(newestMtime(join(root, 'server', 'src')), statSync(join(root, 'scripts', 'build.mjs')).mtimeMs);
  if (existsSync(serverBundle) && statSync(serverBundle).mtimeMs >= sources) return;
  const result = spawnSync('npm', ['run', 'build'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) assert.fail(`npm run build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
}

// ---------------------------------------------------------------------------------------------
// A small LSP client
// ---------------------------------------------------------------------------------------------

export interface ServerEvent {
  method: string;
  params: unknown;
}

export type Settings = Record<string, unknown>;

export const CLIENT_CAPABILITIES = {
  workspace: {
    configuration: true,
    didChangeConfiguration: { dynamicRegistration: false },
    workspaceEdit: { documentChanges: true },
  },
  textDocument: {
    synchronization: { didSave: true, dynamicRegistration: false },
    publishDiagnostics: {
      relatedInformation: true,
      versionSupport: true,
      codeDescriptionSupport: true,
      dataSupport: true,
    },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    codeAction: {
      isPreferredSupport: true,
      codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source', 'source.fixAll'] } },
    },
  },
};

export class TestClient {
  readonly events: ServerEvent[] = [];
  readonly configurationRequests: ConfigurationParams[] = [];
  private readonly listeners = new Set<() => void>();
  private stderr = '';
  private exited = false;
  readonly texts = new Map<string, TextDocument>();

  /** The server, when it runs in this process (`inProcess`). */
  server: ThreatLensServer | undefined;
  private closeInProcess: (() => void) | undefined;

  private constructor(
    /** The server process; undefined when the server runs in this process. */
    readonly proc: ChildProcessWithoutNullStreams | undefined,
    readonly conn: MessageConnection,
    /** The `threatlens` settings the client answers with, per scope URI. */
    public settings: (scopeUri: string | undefined) => Settings,
  ) {
    proc?.stderr.setEncoding('utf8');
    proc?.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    proc?.on('exit', () => {
      this.exited = true;
      this.notify();
    });
    const record = (method: string) => (params: unknown) => {
      this.events.push({ method, params });
      this.notify();
    };
    for (const m of ['textDocument/publishDiagnostics', 'threatlens/status', 'window/logMessage', 'window/showMessage', '$/progress']) {
      conn.onNotification(m, record(m));
    }
    conn.onRequest('window/workDoneProgress/create', (params: unknown) => {
      record('window/workDoneProgress/create')(params);
      return null;
    });
    conn.onRequest('workspace/configuration', (params: ConfigurationParams) => {
      this.configurationRequests.push(params);
      return params.items.map((item) => (item.section === 'threatlens' ? this.settings(item.scopeUri) : null));
    });
    conn.listen();
  }

  static start(bundle: string, settings: (scopeUri: string | undefined) => Settings, env: Record<string, string> = {}): TestClient {
    const proc = spawn(process.execPath, [bundle, '--stdio'], { cwd: root, stdio: 'pipe', env: { ...process.env, ...env } });
    const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
    return new TestClient(proc, conn, settings);
  }

  /**
   * A server made from the sources in this process (no build needed), talking to this client over
   * in-memory streams. `stop()` disposes it; it never exits the process.
   */
  static inProcess(settings: (scopeUri: string | undefined) => Settings, options: ThreatLensServerOptions = {}): TestClient {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const serverConn = createConnection(ProposedFeatures.all, new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
    const conn = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    const client = new TestClient(undefined, conn, settings);
    serverConn.onInitialize(async (params) => {
      const server = await ThreatLensServer.initialize(serverConn, params, options);
      server.register();
      client.server = server;
      return { capabilities: server.capabilities(), serverInfo: { name: 'ThreatLens (in process)' } };
    });
    serverConn.listen();
    client.closeInProcess = () => {
      client.server?.dispose();
      serverConn.dispose();
      toServer.end();
      toClient.end();
    };
    return client;
  }

  /**
   * Initializes the server. `folders` replaces the default workspace folder (`file:///project`),
   * `capabilities` is merged over CLIENT_CAPABILITIES (top-level keys).
   */
  async initialize(
    initializationOptions?: Record<string, unknown>,
    workspace: { folders?: { uri: string; name: string }[]; capabilities?: Record<string, unknown> } = {},
  ): Promise<InitializeResult> {
    const folders = workspace.folders ?? [{ uri: 'file:///project', name: 'project' }];
    const result = await this.conn.sendRequest<InitializeResult>('initialize', {
      // In process, no parent-process watchdog (it would watch this very process).
      processId: this.proc ? process.pid : null,
      rootUri: folders[0]?.uri ?? null,
      workspaceFolders: folders,
      capabilities: { ...CLIENT_CAPABILITIES, ...(workspace.capabilities ?? {}) },
      ...(initializationOptions ? { initializationOptions } : {}),
    });
    await this.conn.sendNotification('initialized', {});
    return result;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Index of the next event; pass it to `waitFor` to only look at what arrives afterwards. */
  mark(): number {
    return this.events.length;
  }

  /** Resolves with the first event from index `from` on for which `pick` returns a value. */
  waitFor<T>(what: string, pick: (e: ServerEvent) => T | undefined, from = 0, timeoutMs = TIMEOUT_MS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let cursor = from;
      const check = (): void => {
        for (; cursor < this.events.length; cursor++) {
          const value = pick(this.events[cursor]);
          if (value !== undefined) {
            done();
            resolve(value);
            return;
          }
        }
        if (this.exited) {
          done();
          reject(new Error(`server exited while waiting for ${what}\n${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        const seen = this.events.slice(from).map((e) => `${e.method} ${JSON.stringify(e.params).slice(0, 200)}`);
        reject(new Error(`timed out waiting for ${what}; events since:\n${seen.join('\n')}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** The diagnostics the server publishes for `uri` at `version` (from event index `from` on). */
  diagnostics(uri: string, version: number, from = 0): Promise<Diagnostic[]> {
    return this.waitFor(`diagnostics for ${uri} v${version}`, (e) => {
      if (e.method !== 'textDocument/publishDiagnostics') return undefined;
      const p = e.params as PublishDiagnosticsParams;
      return p.uri === uri && p.version === version ? p.diagnostics : undefined;
    }, from);
  }

  /** The next diagnostics published for `uri`, whatever the version. */
  nextDiagnostics(uri: string, from: number): Promise<PublishDiagnosticsParams> {
    return this.waitFor(`diagnostics for ${uri}`, (e) => {
      if (e.method !== 'textDocument/publishDiagnostics') return undefined;
      const p = e.params as PublishDiagnosticsParams;
      return p.uri === uri ? p : undefined;
    }, from);
  }

  status(from: number, state?: StatusParams['state']): Promise<StatusParams> {
    return this.waitFor(`status ${state ?? ''}`, (e) => {
      if (e.method !== 'threatlens/status') return undefined;
      const p = e.params as StatusParams;
      return !state || p.state === state ? p : undefined;
    }, from);
  }

  async open(uri: string, text: string, version = 1, languageId = 'python'): Promise<void> {
    this.texts.set(uri, TextDocument.create(uri, languageId, version, text));
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  /** Applies `changes` to the local copy and sends them as one didChange. */
  async change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): Promise<void> {
    const doc = this.texts.get(uri);
    assert.ok(doc, `${uri} is not open`);
    this.texts.set(uri, TextDocument.update(doc, changes, version));
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
  }

  /** Applies the edits of a WorkspaceEdit for `uri` as incremental changes (last edit first). */
  async applyEdit(uri: string, version: number, edit: WorkspaceEdit | undefined): Promise<string> {
    const doc = this.texts.get(uri);
    assert.ok(doc && edit, 'no edit to apply');
    const edits: TextEdit[] = [];
    for (const dc of edit.documentChanges ?? []) {
      assert.ok('textDocument' in dc && 'edits' in dc, 'only text document edits expected');
      assert.equal(dc.textDocument.uri, uri);
      assert.equal(dc.textDocument.version, doc.version, 'the edit is versioned for the current text');
      edits.push(...(dc.edits as TextEdit[]));
    }
    edits.push(...(edit.changes?.[uri] ?? []));
    assert.ok(edits.length > 0, 'the edit changes nothing');
    const sorted = [...edits].sort(
      (a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character,
    );
    await this.change(uri, version, sorted.map((e) => ({ range: e.range, text: e.newText })));
    return this.text(uri);
  }

  text(uri: string): string {
    return this.texts.get(uri)?.getText() ?? '';
  }

  codeActions(uri: string, diagnostics: Diagnostic[], only?: string[]): Promise<CodeAction[]> {
    const range = diagnostics[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return this.conn.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range,
      context: { diagnostics, ...(only ? { only } : {}) },
    });
  }

  async configurationChanged(): Promise<void> {
    await this.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
  }

  async stop(): Promise<void> {
    if (this.closeInProcess) {
      this.closeInProcess();
      this.closeInProcess = undefined;
      this.conn.dispose();
      this.exited = true;
      return;
    }
    if (!this.exited) {
      try {
        await Promise.race([
          (async () => {
            await this.conn.sendRequest('shutdown');
            await this.conn.sendNotification('exit');
          })(),
          new Promise((resolve) => setTimeout(resolve, 2000).unref()),
        ]);
      } catch {
        // The server is already gone.
      }
    }
    this.conn.dispose();
    if (!this.exited) this.proc?.kill();
  }
}
