/**
 * What the explorer's commands do with a finding: reveal it, apply its quick fix, ignore it with a
 * reason, and fix everything safe in a file. The fixes themselves come from the server's code
 * actions, asked for through `vscode.executeCodeActionProvider`.
 */
import * as vscode from 'vscode';
import type { FindingRecord } from './explorer/model';

const NOTEBOOK_CELL_SCHEME = 'vscode-notebook-cell';
export const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('threatlens');

function toRange(f: FindingRecord): vscode.Range {
  return new vscode.Range(f.range.start.line, f.range.start.character, f.range.end.line, f.range.end.character);
}

/** The notebook that holds the cell `uri`, opening it when needed. */
async function notebookOfCell(uri: vscode.Uri): Promise<{ notebook: vscode.NotebookDocument; cell: vscode.NotebookCell } | undefined> {
  const find = (nb: vscode.NotebookDocument) => nb.getCells().find((c) => c.document.uri.toString() === uri.toString());
  for (const nb of vscode.workspace.notebookDocuments) {
    const cell = find(nb);
    if (cell) return { notebook: nb, cell };
  }
  // A cell URI's path is the notebook's path; its fragment names the cell.
  const notebookUri = uri.with({ scheme: uri.authority ? 'vscode-remote' : 'file', fragment: '' });
  try {
    const nb = await vscode.workspace.openNotebookDocument(notebookUri);
    const cell = find(nb);
    return cell ? { notebook: nb, cell } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens the finding's document and selects its range. Notebook cells: opens the notebook, reveals
 * the cell and selects the range in the cell's editor. Returns the text editor showing it.
 */
export async function revealFinding(
  f: FindingRecord,
  options: { viewColumn?: vscode.ViewColumn; preserveFocus?: boolean } = {},
): Promise<vscode.TextEditor | undefined> {
  const uri = vscode.Uri.parse(f.uri);
  const range = toRange(f);
  try {
    if (uri.scheme === NOTEBOOK_CELL_SCHEME) {
      const hit = await notebookOfCell(uri);
      if (!hit) throw new Error('the notebook cell is no longer there');
      const cellRange = new vscode.NotebookRange(hit.cell.index, hit.cell.index + 1);
      const nbEditor = await vscode.window.showNotebookDocument(hit.notebook, {
        viewColumn: options.viewColumn,
        selections: [cellRange],
        preserveFocus: options.preserveFocus,
      });
      nbEditor.revealRange(cellRange, vscode.NotebookEditorRevealType.InCenterIfOutsideViewport);
      const editor = await vscode.window.showTextDocument(hit.cell.document, {
        viewColumn: nbEditor.viewColumn,
        selection: range,
        preserveFocus: options.preserveFocus,
      });
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      return editor;
    }
    if (/\.ipynb$/i.test(uri.path)) {
      // A finding a workspace scan reported for a closed notebook file: open it as a notebook.
      const nb = await vscode.workspace.openNotebookDocument(uri);
      await vscode.window.showNotebookDocument(nb, { viewColumn: options.viewColumn, preserveFocus: options.preserveFocus });
      return undefined;
    }
    const editor = await vscode.window.showTextDocument(uri, {
      viewColumn: options.viewColumn,
      selection: range,
      preserveFocus: options.preserveFocus,
    });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return editor;
  } catch (err) {
    void vscode.window.showWarningMessage(`ThreatLens: cannot open ${f.file}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

function isCodeAction(a: vscode.Command | vscode.CodeAction): a is vscode.CodeAction {
  return !('command' in a && typeof a.command === 'string');
}

/** The server's code actions for the finding, asked again once if the document was only just opened. */
async function codeActionsFor(uri: vscode.Uri, range: vscode.Range, kind?: string): Promise<vscode.CodeAction[]> {
  const ask = async () =>
    ((await vscode.commands.executeCommand<(vscode.Command | vscode.CodeAction)[]>(
      'vscode.executeCodeActionProvider',
      uri,
      range,
      kind,
    )) ?? []).filter(isCodeAction);
  let actions = await ask();
  if (actions.length === 0) {
    // The server may not have analysed the document yet: wait for its diagnostics, then ask again.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        sub.dispose();
        resolve();
      }, 3000);
      const sub = vscode.languages.onDidChangeDiagnostics((e) => {
        if (e.uris.some((u) => u.toString() === uri.toString())) {
          clearTimeout(timer);
          sub.dispose();
          resolve();
        }
      });
    });
    actions = await ask();
  }
  return actions;
}

async function runAction(action: vscode.CodeAction): Promise<boolean> {
  if (action.edit && !(await vscode.workspace.applyEdit(action.edit))) return false;
  if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
  return true;
}

/**
 * Applies the finding's quick fix: the server's actions titled `<ruleId>: ...` (the preferred one
 * when there is one, else the only one, else the user picks). Returns the title applied.
 */
export async function applyFix(f: FindingRecord): Promise<string | undefined> {
  const editor = await revealFinding(f);
  const uri = editor?.document.uri ?? vscode.Uri.parse(f.uri);
  const actions = (await codeActionsFor(uri, toRange(f), vscode.CodeActionKind.QuickFix.value)).filter((a) =>
    a.title.startsWith(`${f.ruleId}:`),
  );
  let chosen = actions.find((a) => a.isPreferred) ?? (actions.length === 1 ? actions[0] : undefined);
  if (!chosen && actions.length > 1) {
    const picked = await vscode.window.showQuickPick(
      actions.map((a) => ({ label: a.title, action: a })),
      { title: `ThreatLens: fix ${f.ruleId}`, placeHolder: 'Pick a fix' },
    );
    chosen = picked?.action;
    if (!chosen) return undefined;
  }
  if (!chosen) {
    void vscode.window.showInformationMessage(`ThreatLens: ${f.ruleId} has no automatic fix here. Open its details for what to change.`);
    return undefined;
  }
  if (!(await runAction(chosen))) {
    void vscode.window.showWarningMessage('ThreatLens: the fix could not be applied (the file changed?). Try again.');
    return undefined;
  }
  return chosen.title;
}

export const REASON_PLACEHOLDER = '<reason>';

/**
 * Applies the server's "Ignore <ruleId> on this line" action, then selects the `<reason>`
 * placeholder it wrote so that the user types the reason over it.
 */
export async function ignoreHere(f: FindingRecord): Promise<boolean> {
  const editor = await revealFinding(f);
  if (!editor) return false;
  const title = `Ignore ${f.ruleId} on this line`;
  const action = (await codeActionsFor(editor.document.uri, toRange(f), vscode.CodeActionKind.QuickFix.value)).find(
    (a) => a.title === title,
  );
  if (!action) {
    void vscode.window.showInformationMessage(`ThreatLens: ${f.ruleId} cannot be ignored on this line (is it already?).`);
    return false;
  }
  if (!(await runAction(action))) return false;
  // The directive goes at the end of the finding's line or on the line above it.
  const doc = editor.document;
  const line = f.range.start.line;
  for (const l of [line, line + 1, line - 1]) {
    if (l < 0 || l >= doc.lineCount) continue;
    const text = doc.lineAt(l).text;
    const at = text.indexOf(REASON_PLACEHOLDER, Math.max(0, text.indexOf('threatlens:')));
    if (text.includes('threatlens:') && at >= 0) {
      const sel = new vscode.Selection(l, at, l, at + REASON_PLACEHOLDER.length);
      const shown = await vscode.window.showTextDocument(doc, { viewColumn: editor.viewColumn, selection: sel });
      shown.revealRange(sel, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      break;
    }
  }
  return true;
}

/** Applies `source.fixAll.threatlens` to the document; returns the action's title, or undefined when there was none. */
export async function fixAllInDocument(document: vscode.TextDocument): Promise<string | undefined> {
  const full = new vscode.Range(0, 0, document.lineCount, 0);
  const actions = (
    (await vscode.commands.executeCommand<(vscode.Command | vscode.CodeAction)[]>(
      'vscode.executeCodeActionProvider',
      document.uri,
      full,
      FIX_ALL_KIND.value,
    )) ?? []
  )
    .filter(isCodeAction)
    .filter((a) => a.kind && FIX_ALL_KIND.contains(a.kind));
  const action = actions[0];
  if (!action) return undefined;
  return (await runAction(action)) ? action.title : undefined;
}
