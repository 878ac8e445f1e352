/**
 * The language-client half of the extension, bundled on its own (dist/client-lsp.js) and loaded
 * only after `activate` has returned: vscode-languageclient and the protocol libraries are about
 * nine tenths of the client's code, and evaluating them is not part of VS Code's start-up.
 */
import { LanguageClient, State, TransportKind, WorkDoneProgress, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

export { State, WorkDoneProgress };

/** A client for the server bundle at `serverModule` (dist/server.js), over IPC. */
export function createLanguageClient(serverModule: string, clientOptions: LanguageClientOptions): LanguageClient {
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: {
      module: serverModule,
      transport: TransportKind.ipc,
      options: { execArgv: ['--nolazy', '--inspect=6011'] },
    },
  };
  return new LanguageClient('threatlens', 'ThreatLens', serverOptions, clientOptions);
}
