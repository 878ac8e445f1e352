/**
 * Entry point of the ThreatLens language server (bundled to dist/server.js).
 *
 * The transport comes from the command line, as vscode-languageserver reads it: `--node-ipc` (how
 * the VS Code client starts it), `--stdio` (other editors, the tests) or `--socket=<port>`.
 * All the work happens in `ThreatLensServer`, which is created from the connection.
 *
 * The workspace scan runs its analyses in worker threads started from this same bundle (see
 * `scanFiles` in cli/scan.ts). Loaded in such a thread, the bundle only runs the scan worker (which
 * cli/scan.ts starts when it is loaded there): no connection, no handlers.
 */
import { isMainThread } from 'node:worker_threads';
import { createConnection, ProposedFeatures, type InitializeResult } from 'vscode-languageserver/node';
import { defaultDocsDir } from './lsp/diagnostics';
import { ThreatLensServer } from './lsp/server';

function main(): void {
  const connection = createConnection(ProposedFeatures.all);

  connection.onInitialize(async (params): Promise<InitializeResult> => {
    // In the bundle __dirname is dist/, so the rule pages are dist/../docs/rules/<ID>.md.
    const server = await ThreatLensServer.initialize(connection, params, { docsDir: defaultDocsDir(__dirname) });
    server.register();
    return {
      capabilities: server.capabilities(),
      serverInfo: { name: 'ThreatLens' },
    };
  });

  process.on('unhandledRejection', (reason) => {
    connection.console.error(`ThreatLens: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });

  connection.listen();
}

if (isMainThread) main();
