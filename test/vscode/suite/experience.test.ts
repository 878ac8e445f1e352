/**
 * The editor experience in a real VS Code: diagnostics that follow edits, fix-all, notebooks
 * (names resolved across cells, pip lines), manifests, settings applied without a restart, the
 * workspace scan, the explorer trees and the details view. Every wait polls a condition.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ThreatLensApi } from '../../../client/src/extension';
import { activateThreatLens, openAndWaitForDiagnostics, ruleOf, threatLensDiagnostics, waitFor, workspaceUri } from './helpers';
import { suite, suiteSetup, test } from './mocha';

const FIXTURES = 'threatlens-fixtures';

let api: ThreatLensApi;

interface TreeLike<T> {
  getChildren(element?: T): vscode.ProviderResult<T[]>;
  getTreeItem(element: T): vscode.TreeItem | Thenable<vscode.TreeItem>;
}

/** The labels of a tree level, as shown (label text, then description). */
async function labels<T>(tree: TreeLike<T>, parent?: T): Promise<{ node: T; label: string; description: string }[]> {
  const children = (await tree.getChildren(parent)) ?? [];
  const out: { node: T; label: string; description: string }[] = [];
  for (const node of children) {
    const item = await tree.getTreeItem(node);
    const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
    out.push({ node, label, description: typeof item.description === 'string' ? item.description : '' });
  }
  return out;
}

async function codeActions(uri: vscode.Uri, range: vscode.Range, kind: string): Promise<vscode.CodeAction[]> {
  return (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range, kind)) ?? [];
}

suite('editor experience', () => {
  suiteSetup(async function () {
    this.timeout(90_000);
    const ext = await activateThreatLens();
    api = ext.exports as ThreatLensApi;
    await api.ready;
  });

  test('diagnostics move with an edit', async function () {
    this.timeout(60_000);
    const file = `${FIXTURES}/edit_me.py`;
    const { editor, diagnostics } = await openAndWaitForDiagnostics(file, (ds) => ds.some((d) => ruleOf(d) === 'TL108'));
    assert.equal(diagnostics.find((d) => ruleOf(d) === 'TL108')!.range.start.line, 4);
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), '"""Checkpoints."""\n\n'));
    await waitFor('TL108 to move down two lines', () =>
      threatLensDiagnostics(editor.document.uri).some((d) => ruleOf(d) === 'TL108' && d.range.start.line === 6),
    );
  });

  test('fix-all applies every safe fix of the file', async function () {
    this.timeout(60_000);
    const file = `${FIXTURES}/fix_all.py`;
    const { editor } = await openAndWaitForDiagnostics(file, (ds) => ['TL108', 'TL109'].every((id) => ds.some((d) => ruleOf(d) === id)));
    const whole = new vscode.Range(0, 0, editor.document.lineCount, 0);
    const [fixAll] = await codeActions(editor.document.uri, whole, 'source.fixAll.threatlens');
    assert.ok(fixAll?.edit, 'the fix-all source action is offered');
    assert.match(fixAll.title, /apply 2 safe fixes/);
    assert.equal(await vscode.workspace.applyEdit(fixAll.edit), true);
    const text = editor.document.getText();
    assert.match(text, /torch\.load\(path, weights_only=True\)/);
    assert.match(text, /yaml\.safe_load\(f\)|Loader=yaml\.SafeLoader/);
    await waitFor('TL108 and TL109 to go away', () => !threatLensDiagnostics(editor.document.uri).some((d) => ['TL108', 'TL109'].includes(ruleOf(d))));
    await editor.document.save();
  });

  test('fix-all on save (editor.codeActionsOnSave) applies the safe fixes when the file is saved', async function () {
    this.timeout(60_000);
    const file = `${FIXTURES}/save_fix.py`;
    const { editor } = await openAndWaitForDiagnostics(file, (ds) => ds.some((d) => ruleOf(d) === 'TL108'));
    const editorConfig = vscode.workspace.getConfiguration('editor', editor.document.uri);
    await editorConfig.update('codeActionsOnSave', { 'source.fixAll.threatlens': 'explicit' }, vscode.ConfigurationTarget.Workspace);
    try {
      await editor.edit((b) => b.insert(new vscode.Position(0, 0), '# resume training\n'));
      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('workbench.action.files.save');
      await waitFor('the save to apply weights_only=True', () => /torch\.load\(path, weights_only=True\)/.test(editor.document.getText()));
      await waitFor('the document to be saved', () => !editor.document.isDirty);
    } finally {
      await editorConfig.update('codeActionsOnSave', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('notebook cells: a name imported in one cell resolves in another, pip lines are read, fixes stay in their cell', async function () {
    this.timeout(60_000);
    const notebook = await vscode.workspace.openNotebookDocument(workspaceUri(`${FIXTURES}/cells.ipynb`));
    await vscode.window.showNotebookDocument(notebook);
    const cell = notebook.cellAt(2).document;
    const diagnostics = await waitFor('diagnostics in cell 3', () => {
      const ds = threatLensDiagnostics(cell.uri);
      return ['TL108', 'TL008', 'TL001'].every((id) => ds.some((d) => ruleOf(d) === id)) ? ds : undefined;
    });
    const load = diagnostics.find((d) => ruleOf(d) === 'TL108')!;
    assert.equal(load.range.start.line, 1, 't.load is on the second line of its cell (t imported in cell 1)');
    assert.equal(diagnostics.find((d) => ruleOf(d) === 'TL008')!.range.start.line, 0, 'torchtriton on the !pip line');
    assert.deepEqual(threatLensDiagnostics(notebook.cellAt(0).document.uri), [], 'the import cell itself is clean');

    const fix = (await codeActions(cell.uri, load.range, vscode.CodeActionKind.QuickFix.value)).find((a) => a.title.startsWith('TL108:') && a.edit);
    assert.ok(fix?.edit);
    const touched = fix.edit.entries().map(([uri]) => uri.toString());
    assert.deepEqual(touched, [cell.uri.toString()], 'the fix edits only its own cell');
  });

  test('manifests get dependency findings', async function () {
    this.timeout(60_000);
    const { diagnostics } = await openAndWaitForDiagnostics(`${FIXTURES}/deps/requirements.txt`, (ds) => ds.some((d) => ruleOf(d) === 'TL007'));
    assert.deepEqual(diagnostics.map(ruleOf).sort(), ['TL003', 'TL007']);
  });

  test('settings changes apply without a restart', async function () {
    this.timeout(60_000);
    const file = `${FIXTURES}/edit_me.py`;
    const uri = workspaceUri(file);
    await openAndWaitForDiagnostics(file, (ds) => ds.some((d) => ruleOf(d) === 'TL108'));
    const config = vscode.workspace.getConfiguration('threatlens');
    await config.update('rules.disabled', ['TL108'], vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('TL108 to disappear once disabled', () => !threatLensDiagnostics(uri).some((d) => ruleOf(d) === 'TL108'));
    } finally {
      await config.update('rules.disabled', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor('TL108 to come back', () => threatLensDiagnostics(uri).some((d) => ruleOf(d) === 'TL108'));
  });

  test('the workspace scan reports files that are not open and fills the explorer', async function () {
    this.timeout(120_000);
    const started = Date.now();
    const result = await api.scanWorkspace();
    console.log(`workspace scan: ${result.files} files, ${result.findings} findings, ${result.durationMs} ms in the server (${Date.now() - started} ms end to end)`);
    assert.equal(result.cancelled, false);
    assert.ok(result.files >= 10, `scanned only ${result.files} files`);
    const closed = workspaceUri(`${FIXTURES}/scan_only.py`);
    await waitFor('TL101 on the file nobody opened', () => threatLensDiagnostics(closed).some((d) => ruleOf(d) === 'TL101'));

    // Findings view, grouped by threat (the default): groups carry counts, findings sit below them.
    await waitFor('the findings view to list scan_only.py', () => api.findings().some((f) => f.uri === closed.toString() && f.ruleId === 'TL101'));
    const groups = await labels(api.findingsTree);
    assert.ok(groups.length > 0, 'the findings view has groups');
    assert.ok(groups.some((g) => /MLT-\d{3}/.test(g.label + g.description)), `groups name threats: ${groups.map((g) => g.label).join(' | ')}`);
    assert.ok(groups.every((g) => /\d/.test(g.label + g.description)), 'every group shows a count');
    const firstGroupChildren = await labels(api.findingsTree, groups[0].node);
    assert.ok(firstGroupChildren.length > 0 && firstGroupChildren.every((c) => /^TL\d{3}/.test(c.label)), 'findings are listed under their group');

    // Threat Catalog view: lifecycle stages, then threats; threats with findings say so.
    const stages = await labels(api.catalogTree);
    assert.ok(stages.length >= 5, `only ${stages.length} stages`);
    let evidenced = 0;
    for (const stage of stages) {
      for (const threat of await labels(api.catalogTree, stage.node)) if (/finding/.test(threat.description)) evidenced++;
    }
    assert.ok(evidenced > 0, 'some threats show the findings that evidence them');
  });

  test('the details view shows a threat with its ATLAS links under a strict CSP', async function () {
    this.timeout(60_000);
    assert.equal(await api.showDetails('MLT-016'), true);
    const html = await waitFor('the details view HTML', () => api.detailsHtml());
    assert.match(html, /MLT-016/);
    assert.match(html, /AML\.T0010/);
    assert.match(html, /Content-Security-Policy/);
    // Scripts and styles come only from the extension itself, through webview resource URIs.
    const sources = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(sources.length > 0, 'the view loads its own script and style');
    for (const src of sources) assert.match(src, /vscode-resource|vscode-cdn\.net|vscode-webview/, `${src} is not a local webview resource`);
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
  });
});
