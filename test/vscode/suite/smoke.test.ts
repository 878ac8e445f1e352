/**
 * Smoke test of the extension in a real VS Code: it activates, a Python file gets a ThreatLens
 * diagnostic, and the quick fix the server offers for it removes it.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateThreatLens, openAndWaitForDiagnostics, ruleOf, threatLensDiagnostics, waitFor, workspaceUri } from './helpers';
import { suite, test } from './mocha';

suite('smoke', () => {
  test('the extension activates', async function () {
    this.timeout(60_000);
    const ext = await activateThreatLens();
    assert.equal(ext.isActive, true);
  });

  test('a demo file gets ThreatLens diagnostics', async function () {
    this.timeout(60_000);
    await activateThreatLens();
    const started = Date.now();
    const { diagnostics } = await openAndWaitForDiagnostics('train.py', (ds) => ds.some((d) => ruleOf(d) === 'TL201'));
    console.log(`train.py: ${diagnostics.length} ThreatLens diagnostics after ${Date.now() - started} ms (${diagnostics.map(ruleOf).join(', ')})`);
    const evalCall = diagnostics.find((d) => ruleOf(d) === 'TL201');
    assert.ok(evalCall);
    assert.equal(evalCall.severity, vscode.DiagnosticSeverity.Error, 'a high-severity finding shows as an error');
  });

  test('a quick fix applies and removes the diagnostic', async function () {
    this.timeout(60_000);
    await activateThreatLens();
    const file = 'threatlens-fixtures/smoke_checkpoint.py';
    const { editor, diagnostics } = await openAndWaitForDiagnostics(file, (ds) => ds.some((d) => ruleOf(d) === 'TL108'));
    const finding = diagnostics.find((d) => ruleOf(d) === 'TL108');
    assert.ok(finding);

    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      editor.document.uri,
      finding.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const titles = actions.map((a) => a.title);
    const fix = actions.find((a) => a.title.startsWith('TL108:') && a.edit);
    assert.ok(fix?.edit, `no TL108 fix with an edit among: ${titles.join(' | ')}`);
    assert.ok(titles.some((t) => t.startsWith('Ignore TL108')), 'the ignore-this-line action is offered too');

    assert.equal(await vscode.workspace.applyEdit(fix.edit), true, 'the fix applies');
    assert.match(editor.document.getText(), /torch\.load\(path, weights_only=True\)/);
    await waitFor('the TL108 diagnostic to go away', () => !threatLensDiagnostics(workspaceUri(file)).some((d) => ruleOf(d) === 'TL108'));
    await editor.document.save();
  });
});
