/**
 * Jupyter notebooks through LSP notebook sync, end to end over stdio against dist/server.js: the
 * code cells are analysed as one program (names resolve across cells), diagnostics, hovers and
 * code actions live on the cell URIs, and a fix never edits another cell. Cell URIs carry an
 * authority here, as in code-server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CodeAction, Diagnostic, Hover, InitializeResult, TextDocumentEdit } from 'vscode-languageserver/node';
import { ensureBuilt, serverBundle, TestClient, type Settings } from './lsp-client';

function settings(): Settings {
  return { enable: true, run: 'onType', rules: { disabled: [], severity: {} }, exclude: [] };
}

const NOTEBOOK = 'file:///home/dev/project/explore.ipynb';
const cellUri = (notebook: string, n: number) =>
  `vscode-notebook-cell://localhost:8080${new URL(notebook).pathname}#W${n}sZmlsZQ%3D%3D`;

async function openNotebook(client: TestClient, uri: string, cells: { text: string; kind?: 1 | 2 }[]): Promise<string[]> {
  const uris = cells.map((_, i) => cellUri(uri, i));
  await client.conn.sendNotification('notebookDocument/didOpen', {
    notebookDocument: {
      uri,
      notebookType: 'jupyter-notebook',
      version: 1,
      cells: cells.map((c, i) => ({ kind: c.kind ?? 2, document: uris[i] })),
    },
    cellTextDocuments: cells.map((c, i) => ({ uri: uris[i], languageId: c.kind === 1 ? 'markdown' : 'python', version: 1, text: c.text })),
  });
  return uris;
}

describe('notebooks through notebook sync', () => {
  let client: TestClient;
  let init: InitializeResult;
  let cells: string[];

  before(async () => {
    ensureBuilt();
    client = TestClient.start(serverBundle, settings);
    const from = client.mark();
    init = await client.initialize(undefined, { folders: [{ uri: 'file:///home/dev/project', name: 'project' }] });
    await client.status(from, 'ok');
  });

  after(async () => {
    await client?.stop();
  });

  it('declares notebook sync for Jupyter notebooks with Python cells', () => {
    const sync = init.capabilities.notebookDocumentSync as { notebookSelector: { notebook: { notebookType: string }; cells: { language: string }[] }[] };
    assert.equal(sync.notebookSelector[0].notebook.notebookType, 'jupyter-notebook');
    assert.deepEqual(sync.notebookSelector[0].cells, [{ language: 'python' }]);
  });

  it('resolves an import of cell 1 in cell 3 and reports on cell 3', async () => {
    const from = client.mark();
    cells = await openNotebook(client, NOTEBOOK, [
      { text: 'import torch as t\n' },
      { text: '# Notes about the weights', kind: 1 },
      { text: 'p = "w.pt"\nmodel = t.load(p)' },
    ]);
    const diags = await client.diagnostics(cells[2], 1, from);
    assert.deepEqual(diags.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.character}`), ['TL108 1:8']);
    assert.deepEqual(await client.diagnostics(cells[0], 1, from), []);
    assert.equal(client.events.slice(from).some((e) => e.method === 'textDocument/publishDiagnostics' && (e.params as { uri: string }).uri === cells[1]), false, 'markdown cells get nothing');
  });

  it('hovers and code actions on a cell find the finding; fixes edit that cell only', async () => {
    const diags = await client.diagnostics(cells[2], 1);
    const hover = await client.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri: cells[2] }, position: { line: 1, character: 10 } });
    assert.match((hover?.contents as { value: string } | undefined)?.value ?? '', /TL108/);

    const actions = await client.codeActions(cells[2], diags);
    const fix = actions.find((a) => a.title.startsWith('TL108:'));
    assert.ok(fix?.edit, JSON.stringify(actions.map((a) => a.title)));
    const edited = (a: CodeAction) => [
      ...((a.edit?.documentChanges ?? []) as TextDocumentEdit[]).map((dc) => dc.textDocument.uri),
      ...Object.keys(a.edit?.changes ?? {}),
    ];
    for (const a of actions.filter((x) => x.edit)) assert.deepEqual([...new Set(edited(a))], [cells[2]], a.title);
    const [change] = fix.edit.documentChanges as TextDocumentEdit[];
    assert.equal(change.textDocument.version, 1);
    assert.ok(change.edits.every((e) => e.range.start.line <= 1), 'cell-relative ranges');
    assert.ok(actions.some((a) => a.title === 'Ignore TL108 on this line'));
  });

  it('an edit in cell 1 that removes the import clears the finding in cell 3', async () => {
    const from = client.mark();
    await client.conn.sendNotification('notebookDocument/didChange', {
      notebookDocument: { uri: NOTEBOOK, version: 2 },
      change: {
        cells: {
          textContent: [
            {
              document: { uri: cells[0], version: 2 },
              changes: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 17 } }, text: 'import numpy as t' }],
            },
          ],
        },
      },
    });
    assert.deepEqual(await client.diagnostics(cells[0], 2, from), []);
    const cell3 = await client.nextDiagnostics(cells[2], from);
    assert.deepEqual(cell3.diagnostics, []);
  });

  it('reads !pip install lines of a cell', async () => {
    const uri = 'file:///home/dev/project/setup.ipynb';
    const from = client.mark();
    const uris = await openNotebook(client, uri, [{ text: 'import os\n' }, { text: '!pip install torchtriton\nimport torch\n' }]);
    const diags: Diagnostic[] = await client.diagnostics(uris[1], 1, from);
    assert.ok(diags.some((d) => d.code === 'TL008' && d.range.start.line === 0), JSON.stringify(diags.map((d) => d.code)));
    assert.deepEqual(await client.diagnostics(uris[0], 1, from), []);
  });

  it('closing a notebook clears its cells', async () => {
    const from = client.mark();
    await client.conn.sendNotification('notebookDocument/didClose', {
      notebookDocument: { uri: NOTEBOOK },
      cellTextDocuments: cells.map((uri) => ({ uri })),
    });
    assert.deepEqual((await client.nextDiagnostics(cells[2], from)).diagnostics, []);
  });
});
