/**
 * Shared helpers of the suites that run inside VS Code. Everything waits by polling a condition
 * with a deadline, never by sleeping a fixed time.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'threatlens.threatlens';
export const SOURCE = 'ThreatLens';

/** Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let activationReported = false;

/** The ThreatLens extension, activated. Prints the activation time the first time it activates it. */
export async function activateThreatLens(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded in this VS Code`);
  if (!activationReported) {
    activationReported = true;
    let measured: number | undefined;
    if (!ext.isActive) {
      const started = performance.now();
      await ext.activate();
      measured = Math.round(performance.now() - started);
    }
    // The extension reports its own time when its API has one (from loading its bundle to the end of activate()).
    const exported = ext.exports as { activationMs?: unknown; loadMs?: unknown } | undefined;
    const reported = exported?.activationMs;
    const load = typeof exported?.loadMs === 'number' ? `, of which ${Math.round(exported.loadMs)} ms evaluating the bundle` : '';
    const own = typeof reported === 'number' ? `${Math.round(reported)} ms reported by the extension${load}` : undefined;
    if (measured !== undefined) console.log(`activation: ${measured} ms${own ? ` (${own})` : ''}`);
    else console.log(`activation: ${own ?? 'unknown'} (it was already active: an activation event fired at start-up)`);
  }
  await ext.activate();
  return ext;
}

/** A file of the test workspace (a temporary copy of demo/ plus test/vscode/fixtures). */
export function workspaceUri(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need a workspace folder');
  return vscode.Uri.joinPath(folder.uri, ...relative.split('/'));
}

export function threatLensDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

export function ruleOf(d: vscode.Diagnostic): string {
  const code = d.code;
  return typeof code === 'object' && code !== null ? String(code.value) : String(code);
}

/** Opens a workspace file in an editor and waits for ThreatLens diagnostics matching `accept`. */
export async function openAndWaitForDiagnostics(
  relative: string,
  accept: (ds: vscode.Diagnostic[]) => boolean = (ds) => ds.length > 0,
  timeoutMs = 30_000,
): Promise<{ editor: vscode.TextEditor; diagnostics: vscode.Diagnostic[] }> {
  const uri = workspaceUri(relative);
  const doc = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(doc);
  const diagnostics = await waitFor(`ThreatLens diagnostics in ${relative}`, () => {
    const ds = threatLensDiagnostics(uri);
    return accept(ds) ? ds : undefined;
  }, timeoutMs);
  return { editor, diagnostics };
}
