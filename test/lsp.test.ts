/**
 * End-to-end tests of the language server: they start the BUILT bundle (`node dist/server.js
 * --stdio`) and talk LSP to it over a real JSON-RPC connection, the way an editor does.
 *
 *   node --import tsx --test test/lsp.test.ts
 *
 * `before` runs `npm run build` when dist/server.js is missing or older than server/src. Nothing
 * here sleeps for a fixed time: every expectation waits for the matching notification (with a
 * timeout), usually the publishDiagnostics of one document version.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Diagnostic, Hover, InitializeResult, PublishDiagnosticsParams, TextDocumentContentChangeEvent } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Engine, type Tree } from '../server/src/engine';
import { OpenDocument } from '../server/src/lsp/documents';
import { pointAt, treeEditFor } from '../server/src/lsp/text';
import type { RuleDocResult, RulesResult } from '../server/src/protocol';
import { ensureBuilt, serverBundle, TestClient, type Settings } from './lsp-client';
import { FAKE_TRANSFORMERS, startFakeOsv, type FakeOsv } from './fake-osv';

// ---------------------------------------------------------------------------------------------

/** Settings as the test's "editor" reports them; individual tests swap in their own. */
function baseSettings(scopeUri: string | undefined): Settings {
  const s: Settings = { enable: true, run: 'onType', rules: { disabled: [], severity: {} }, exclude: ['**/vendored/**'] };
  if (scopeUri?.includes('onsave')) s.run = 'onSave';
  if (scopeUri?.includes('disabled')) s.enable = false;
  if (scopeUri?.includes('slow')) s.timeBudgetMs = 1e-6;
  return s;
}

const TORCH = 'import torch\nstate = torch.load("ckpt.pt")\n';

describe('language server over stdio (dist/server.js)', () => {
  let client: TestClient;
  let init: InitializeResult;

  before(async () => {
    ensureBuilt();
    client = TestClient.start(serverBundle, baseSettings);
    const from = client.mark();
    init = await client.initialize();
    await client.status(from, 'ok');
  });

  after(async () => {
    await client?.stop();
  });

  it('declares incremental sync, hover and the two code action kinds', () => {
    const caps = init.capabilities;
    const sync = caps.textDocumentSync;
    assert.ok(typeof sync === 'object' && sync !== null);
    assert.equal(sync.change, 2, 'TextDocumentSyncKind.Incremental');
    assert.equal(sync.openClose, true);
    assert.equal(caps.hoverProvider, true);
    const ca = caps.codeActionProvider;
    assert.ok(typeof ca === 'object' && ca !== null);
    assert.deepEqual(ca.codeActionKinds, ['quickfix', 'source.fixAll.threatlens']);
    assert.equal(ca.resolveProvider, false);
  });

  it('reports torch.load, follows incremental edits, fixes it with a quick fix', async () => {
    const uri = 'file:///project/train.py';
    await client.open(uri, TORCH);
    const [d] = await client.diagnostics(uri, 1);
    assert.ok(d, 'one diagnostic');
    assert.equal(d.code, 'TL108');
    assert.equal(d.source, 'ThreatLens');
    assert.equal(d.range.start.line, 1);
    assert.equal(d.severity, 2, 'medium -> Warning');
    assert.match(d.codeDescription?.href ?? '', /^file:\/\/.*\/docs\/rules\/TL108\.md$/);
    const message = typeof d.message === 'string' ? d.message : d.message.value;
    assert.match(message, /weights_only/);
    assert.match(message, /\nThreats: MLT-\d+/);
    assert.match(message, /ATLAS: AML\.T\d{4}/);
    assert.deepEqual((d.data as { ruleId: string }).ruleId, 'TL108');
    assert.ok(!client.configurationRequests.length || client.configurationRequests.some((p) => p.items.some((i) => i.scopeUri === uri)), 'settings were pulled for the document');

    // Two lines inserted above: the finding moves with the text.
    await client.change(uri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'import os\nimport sys\n' }]);
    const moved = await client.diagnostics(uri, 2);
    assert.equal(moved.length, 1);
    assert.equal(moved[0].range.start.line, 3);
    assert.equal(moved[0].range.start.character, d.range.start.character);

    const actions = await client.codeActions(uri, moved);
    const titles = actions.map((a) => a.title);
    const fix = actions.find((a) => a.title === 'TL108: Add weights_only=True');
    assert.ok(fix, `quick fix offered: ${titles.join(' | ')}`);
    assert.equal(fix.kind, 'quickfix');
    assert.equal(fix.isPreferred, true);
    const ignore = titles.indexOf('Ignore TL108 on this line');
    const doc = actions.find((a) => a.title === 'Show documentation for TL108');
    assert.ok(ignore > titles.indexOf(fix.title), 'ignore comes after the fixes');
    assert.ok(doc && titles.indexOf(doc.title) > ignore, 'documentation comes last');
    assert.deepEqual(doc.command, { title: 'Show documentation for TL108', command: 'threatlens.showRuleDoc', arguments: ['TL108'] });

    const text = await client.applyEdit(uri, 3, fix.edit);
    assert.match(text, /torch\.load\("ckpt\.pt", weights_only=True\)/);
    assert.deepEqual(await client.diagnostics(uri, 3), []);
  });

  it('keeps the tree in sync through many small edits (typing character by character)', async () => {
    const uri = 'file:///project/typing.py';
    await client.open(uri, 'import pickle\n');
    assert.deepEqual(await client.diagnostics(uri, 1), []);
    const typed = 'data = pickle.loads(blob)\n';
    let version = 1;
    for (let i = 0; i < typed.length; i++) {
      const pos = client.texts.get(uri)!.positionAt(client.text(uri).length);
      await client.change(uri, ++version, [{ range: { start: pos, end: pos }, text: typed[i] }]);
    }
    const diags = await client.diagnostics(uri, version);
    assert.deepEqual(diags.map((x) => [x.code, x.range.start.line]), [['TL101', 1]]);
    // Delete the call again (a multi-line range) and replace it.
    await client.change(uri, ++version, [{ range: { start: { line: 1, character: 7 }, end: { line: 2, character: 0 } }, text: 'None\n' }]);
    assert.deepEqual(await client.diagnostics(uri, version), []);
  });

  it('hover shows the rule, its threat and the ATLAS technique', async () => {
    const uri = 'file:///project/hover.py';
    await client.open(uri, TORCH);
    const [d] = await client.diagnostics(uri, 1);
    const hover = await client.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: d.range.start });
    assert.ok(hover);
    const contents = hover.contents as { kind: string; value: string };
    assert.equal(contents.kind, 'markdown');
    assert.match(contents.value, /TL108/);
    assert.match(contents.value, /MLT-\d+/);
    assert.match(contents.value, /AML\.T\d{4}/);
    const nothing = await client.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    assert.equal(nothing, null);
  });

  it('source.fixAll.threatlens applies every safe fix', async () => {
    const uri = 'file:///project/fixall.py';
    const text = 'import torch\nimport yaml\n\nmodel = torch.load("m.pt")\ncfg = yaml.load(open("c.yaml"))\n';
    await client.open(uri, text);
    const diags = await client.diagnostics(uri, 1);
    assert.deepEqual(diags.map((x) => x.code).sort(), ['TL108', 'TL109']);
    const actions = await client.codeActions(uri, diags, ['source.fixAll.threatlens']);
    assert.equal(actions.length, 1, 'only the fix-all action when only asks for it');
    assert.equal(actions[0].kind, 'source.fixAll.threatlens');
    const fixed = await client.applyEdit(uri, 2, actions[0].edit);
    assert.match(fixed, /torch\.load\("m\.pt", weights_only=True\)/);
    assert.match(fixed, /yaml\.safe_load\(open\("c\.yaml"\)\)/);
    assert.deepEqual(await client.diagnostics(uri, 2), []);
    // Nothing left to fix: no fix-all action.
    assert.deepEqual(await client.codeActions(uri, [], ['source.fixAll']), []);
  });

  it('disabling a rule in the settings removes its diagnostic', async () => {
    const uri = 'file:///project/settings.py';
    await client.open(uri, TORCH);
    assert.equal((await client.diagnostics(uri, 1)).length, 1);
    const from = client.mark();
    client.settings = (scope) => ({ ...baseSettings(scope), rules: { disabled: ['TL108'], severity: {} } });
    try {
      await client.configurationChanged();
      const next = await client.nextDiagnostics(uri, from);
      assert.equal(next.version, 1);
      assert.deepEqual(next.diagnostics, []);
    } finally {
      const back = client.mark();
      client.settings = baseSettings;
      await client.configurationChanged();
      assert.equal((await client.nextDiagnostics(uri, back)).diagnostics.length, 1);
    }
  });

  it('a severity override changes the diagnostic severity', async () => {
    const uri = 'file:///project/severity.py';
    await client.open(uri, TORCH);
    assert.equal((await client.diagnostics(uri, 1))[0].severity, 2);
    const from = client.mark();
    client.settings = (scope) => ({ ...baseSettings(scope), rules: { disabled: [], severity: { TL108: 'critical' } } });
    try {
      await client.configurationChanged();
      assert.equal((await client.nextDiagnostics(uri, from)).diagnostics[0]?.severity, 1, 'critical -> Error');
    } finally {
      const back = client.mark();
      client.settings = baseSettings;
      await client.configurationChanged();
      await client.nextDiagnostics(uri, back);
    }
  });

  it('analyses what tree-sitter recovers from malformed Python, without reporting the syntax error', async () => {
    const uri = 'file:///project/broken.py';
    await client.open(uri, 'def broken(:\n    pass\nimport pickle\npickle.loads(data)\n');
    const diags = await client.diagnostics(uri, 1);
    assert.deepEqual(diags.map((x) => [x.code, x.range.start.line]), [['TL101', 3]]);
  });

  it('an ignore comment suppresses, and the ignore action writes one', async () => {
    const commented = 'file:///project/ignored.py';
    await client.open(commented, 'import pickle\nobj = pickle.loads(blob)  # threatlens: ignore[TL101] trusted cache\n');
    assert.deepEqual(await client.diagnostics(commented, 1), []);

    const uri = 'file:///project/to-ignore.py';
    await client.open(uri, 'import pickle\nobj = pickle.loads(blob)\n');
    const diags = await client.diagnostics(uri, 1);
    const actions = await client.codeActions(uri, diags);
    const ignore = actions.find((a) => a.title === 'Ignore TL101 on this line');
    assert.ok(ignore, actions.map((a) => a.title).join(' | '));
    const text = await client.applyEdit(uri, 2, ignore.edit);
    assert.equal(text, 'import pickle\nobj = pickle.loads(blob)  # threatlens: ignore[TL101] <reason>\n');
    assert.deepEqual(await client.diagnostics(uri, 2), []);
  });

  it('the ignore action extends an existing ignore comment', async () => {
    const uri = 'file:///project/extend.py';
    await client.open(uri, 'import pickle, torch\nx = pickle.loads(torch.load("a"))  # threatlens: ignore[TL108] weights are ours\n');
    const diags = await client.diagnostics(uri, 1);
    assert.deepEqual(diags.map((x) => x.code), ['TL101']);
    const actions = await client.codeActions(uri, diags);
    const ignore = actions.find((a) => a.title === 'Ignore TL101 on this line');
    assert.ok(ignore);
    const text = await client.applyEdit(uri, 2, ignore.edit);
    assert.match(text, /# threatlens: ignore\[TL108, TL101\] weights are ours\n$/);
    assert.deepEqual(await client.diagnostics(uri, 2), []);
  });

  it('works for untitled buffers and notebook cells', async () => {
    for (const uri of ['untitled:Untitled-1', 'vscode-notebook-cell:/project/explore.ipynb#W2sZmlsZQ%3D%3D']) {
      await client.open(uri, 'import pickle\npickle.loads(b"")\n');
      const diags = await client.diagnostics(uri, 1);
      assert.deepEqual(diags.map((x) => x.code), ['TL101'], uri);
      const actions = await client.codeActions(uri, diags);
      assert.ok(actions.some((a) => a.title === 'Ignore TL101 on this line'), uri);
    }
  });

  it('skips excluded and disabled documents', async () => {
    for (const uri of ['file:///project/vendored/lib.py', 'file:///project/disabled/app.py']) {
      await client.open(uri, TORCH);
      assert.deepEqual(await client.diagnostics(uri, 1), [], uri);
    }
  });

  it('run: onSave analyses on open and save only', async () => {
    const uri = 'file:///project/onsave/job.py';
    await client.open(uri, 'import pickle\n');
    assert.deepEqual(await client.diagnostics(uri, 1), []);
    await client.change(uri, 2, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: 'pickle.loads(b"")\n' }]);
    // Requests still see the unsaved text...
    const hover = await client.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 0 } });
    assert.ok(hover, 'hover answers on unsaved text');
    // ...but nothing is published until the save.
    assert.equal(
      client.events.some((e) => e.method === 'textDocument/publishDiagnostics' && (e.params as PublishDiagnosticsParams).uri === uri && (e.params as PublishDiagnosticsParams).version === 2),
      false,
    );
    await client.conn.sendNotification('textDocument/didSave', { textDocument: { uri } });
    assert.deepEqual((await client.diagnostics(uri, 2)).map((x) => x.code), ['TL101']);
  });

  it('reports status "slow" when the time budget runs out', async () => {
    const uri = 'file:///project/slow.py';
    const from = client.mark();
    await client.open(uri, 'import torch\n' + 'm = torch.load(p)\n'.repeat(300));
    const status = await client.status(from, 'slow');
    assert.match(status.message ?? '', /timeBudgetMs/);
    const diags = await client.diagnostics(uri, 1, from);
    assert.ok(diags.length < 300, 'partial results');
  });

  it('closing a document clears its diagnostics', async () => {
    const uri = 'file:///project/closed.py';
    await client.open(uri, TORCH);
    await client.diagnostics(uri, 1);
    const from = client.mark();
    await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    assert.deepEqual((await client.nextDiagnostics(uri, from)).diagnostics, []);
  });

  it('answers threatlens/rules and threatlens/ruleDoc', async () => {
    const rules = await client.conn.sendRequest<RulesResult>('threatlens/rules', {});
    assert.ok(rules.some((r) => r.id === 'TL101' && r.title.length > 0));
    const doc = await client.conn.sendRequest<RuleDocResult>('threatlens/ruleDoc', { id: 'TL101' });
    assert.match(doc.markdown, /^# TL101/);
    await assert.rejects(client.conn.sendRequest('threatlens/ruleDoc', { id: 'TL999' }), /TL999/);
  });

  it('keeps serving after all of the above', async () => {
    const uri = 'file:///project/last.py';
    await client.open(uri, TORCH);
    assert.equal((await client.diagnostics(uri, 1)).length, 1);
  });
});

describe('dependency manifests in the language server', () => {
  let client: TestClient;
  let online = false;
  let osv: FakeOsv;
  const dir = mkdtempSync(join(tmpdir(), 'threatlens-lsp-deps-'));
  const cacheDir = join(dir, 'cache');

  before(async () => {
    ensureBuilt();
    osv = await startFakeOsv([FAKE_TRANSFORMERS]);
    client = TestClient.start(serverBundle, (scope) => ({ ...baseSettings(scope), advisories: { online } }), { THREATLENS_OSV_URL: osv.url });
    const from = client.mark();
    await client.initialize({ snippets: true, cacheDir });
    await client.status(from, 'ok');
  });

  after(async () => {
    await client?.stop();
    await osv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const message = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);

  it('reports requirement findings and a malformed line, and keeps checking after it', async () => {
    const uri = 'file:///project/requirements.txt';
    await client.open(uri, 'numpy\n<<<<<<< HEAD\npyyaml==5.3\n', 1, 'pip-requirements');
    const diags = await client.diagnostics(uri, 1);
    const summary = diags.map((d) => `${d.range.start.line}:${d.range.start.character} ${d.code ?? '-'} ${d.severity}`);
    assert.deepEqual(summary, ['0:0 TL001 2', '2:6 TL007 1', '1:0 - 2']);
    const problem = diags.find((d) => d.code === undefined)!;
    assert.match(message(problem), /could not read this: .*The rest of the file was still checked/);
    assert.match(message(diags[1]), /PYSEC-2021-142/);
  });

  it('hovering a pinned requirement lists its advisories and the upgrade', async () => {
    const uri = 'file:///project/requirements.txt';
    const hover = await client.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 2 } });
    const value = (hover?.contents as { value: string } | undefined)?.value ?? '';
    assert.match(value, /\*\*pyyaml\*\* `pyyaml==5\.3`/);
    assert.match(value, /pyyaml 5\.3 is affected by \d+ known advisor/);
    assert.match(value, /\[PYSEC-2021-142 \(CVE-2020-14343[^\]]*\]\(https:\/\/osv\.dev\/vulnerability\/PYSEC-2021-142\)/);
    assert.match(value, /Upgrade to \*\*\d/);
  });

  it('pins a vulnerable version with a quick fix, and offers a snippet for an unpinned one', async () => {
    const uri = 'file:///project/requirements.txt';
    const diags = (await client.diagnostics(uri, 1)).filter((d) => d.code);
    const pinActions = await client.codeActions(uri, [diags[1]]);
    const pin = pinActions.find((a) => a.title.startsWith('TL007: Pin pyyaml to'))!;
    assert.ok(pin?.edit, JSON.stringify(pinActions.map((a) => a.title)));
    const from = client.mark();
    const text = await client.applyEdit(uri, 2, pin.edit);
    assert.match(text, /^pyyaml==(\d+\.)+\d+$/m);
    const after = await client.diagnostics(uri, 2, from);
    assert.deepEqual(after.filter((d) => d.code).map((d) => d.code), ['TL001']);

    const [snippet] = (await client.codeActions(uri, [after.find((d) => d.code === 'TL001')!])).filter((a) => a.title.startsWith('TL001'));
    assert.equal(snippet.command?.command, 'threatlens.applySnippet');
    const args = snippet.command?.arguments?.[0] as { snippet: string; range: { start: { line: number; character: number } }; version: number };
    assert.equal(args.snippet, '==${1:VERSION}');
    assert.deepEqual(args.range.start, { line: 0, character: 5 });
    assert.equal(args.version, 2);
  });

  it('reads pip install lines of notebook cells', async () => {
    const uri = 'vscode-notebook-cell:/project/nb.ipynb#W1sZmlsZQ%3D%3D';
    await client.open(uri, '!pip install -q torchtriton accelerate==0.34.2\nimport torch\n');
    const diags = await client.diagnostics(uri, 1);
    assert.deepEqual(diags.map((d) => `${d.range.start.line}:${d.range.start.character} ${d.code} ${d.severity}`), ['0:16 TL001 3', '0:16 TL008 1']);
  });

  it('stays quiet about ranges next to a lock file', async () => {
    const app = '[project]\nname = "app"\nversion = "1"\ndependencies = ["numpy>=1.26", "torch"]\n';
    mkdirSync(join(dir, 'locked'));
    writeFileSync(join(dir, 'locked', 'pyproject.toml'), app);
    writeFileSync(join(dir, 'locked', 'uv.lock'), '# lock\n');
    mkdirSync(join(dir, 'unlocked'));
    writeFileSync(join(dir, 'unlocked', 'pyproject.toml'), app);
    const locked = pathToFileURL(join(dir, 'locked', 'pyproject.toml')).href;
    const unlocked = pathToFileURL(join(dir, 'unlocked', 'pyproject.toml')).href;
    await client.open(locked, app, 1, 'toml');
    await client.open(unlocked, app, 1, 'toml');
    assert.deepEqual(await client.diagnostics(locked, 1), []);
    assert.deepEqual((await client.diagnostics(unlocked, 1)).map((d) => d.code), ['TL002', 'TL001']);
  });

  it('asks OSV about pinned versions when threatlens.advisories.online is on', async () => {
    const uri = 'file:///project/requirements-ml.txt';
    await client.open(uri, 'transformers==4.30.0\n', 1, 'pip-requirements');
    assert.deepEqual(await client.diagnostics(uri, 1), [], 'offline: the snapshot has no transformers advisories');
    online = true;
    const from = client.mark();
    await client.configurationChanged();
    const diags = (await client.nextDiagnostics(uri, from)).diagnostics;
    assert.equal(diags.length, 1);
    assert.equal(diags[0].code, 'TL007');
    assert.equal(diags[0].severity, 1, 'critical (CVSS 9.8) -> Error');
    assert.match(message(diags[0]), /GHSA-test-0000-0001/);
    assert.ok(osv.requests.includes('POST /v1/querybatch'));
    assert.ok(readdirSync(cacheDir).length > 0, 'answers are cached in the folder the client gave');
    online = false;
  });
});

describe('language server without its parser files', () => {
  let client: TestClient | undefined;
  let dir: string | undefined;

  after(async () => {
    await client?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts, reports an error status and answers with empty results', async () => {
    ensureBuilt();
    // A copy of the bundle in a folder with no dist/web-tree-sitter.wasm or grammars/ above it.
    dir = mkdtempSync(join(tmpdir(), 'threatlens-lsp-'));
    const bundle = join(dir, 'server.js');
    copyFileSync(serverBundle, bundle);
    client = TestClient.start(bundle, baseSettings);
    const from = client.mark();
    const init = await client.initialize();
    assert.ok(init.capabilities.hoverProvider);
    const status = await client.status(from, 'error');
    assert.match(status.message ?? '', /parser/i);

    const uri = 'file:///project/train.py';
    await client.open(uri, TORCH);
    const hover = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 8 } });
    assert.equal(hover, null);
    assert.deepEqual(await client.codeActions(uri, []), []);
    const rules = await client.conn.sendRequest<RulesResult>('threatlens/rules', {});
    assert.ok(rules.length > 0, 'rule docs need no parser');
  });
});

// ---------------------------------------------------------------------------------------------
// In-process: the incremental tree equals a fresh parse after any sequence of edits
// ---------------------------------------------------------------------------------------------

/** Every node as `type start-end (row:col-row:col)`, in document order. */
function shape(tree: Tree): string[] {
  const out: string[] = [];
  const cursor = tree.walk();
  for (;;) {
    const n = cursor.currentNode;
    out.push(`${n.type} ${n.startIndex}-${n.endIndex} (${n.startPosition.row}:${n.startPosition.column}-${n.endPosition.row}:${n.endPosition.column})`);
    if (cursor.gotoFirstChild()) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) {
        cursor.delete();
        return out;
      }
    }
  }
}

describe('incremental document sync (in process)', () => {
  it('an edited and re-parsed tree matches a fresh parse of the same text', async () => {
    const engine = await Engine.create();
    let seed = 20240611;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const snippets = ['', 'x', '\n', '    ', 'pickle.loads(b)\n', '(', ')', '"é😀"', '\r\n', 'def f(a):\n    return a\n', '# 注释\n', 'ß', '\t'];
    const start =
      'import pickle\r\nimport torch\n\ndef load(p):\n    """Load 😀 a model."""\n    return torch.load(p)  # é\n\nclass A:\n    x = pickle.loads(b"")\n';
    const doc = new OpenDocument('untitled:fuzz', 'python', 1, start);
    try {
      doc.syncedTree(engine);
      for (let step = 0; step < 300; step++) {
        const before = doc.text;
        // 1 to 3 changes per notification, each relative to the text left by the previous one.
        const changes: TextDocumentContentChangeEvent[] = [];
        let expected = TextDocument.create('untitled:expected', 'python', 0, before);
        for (let k = 0, count = 1 + random(3); k < count; k++) {
          const len = expected.getText().length;
          const a = random(len + 1);
          const b = Math.min(len, a + random(12));
          const change = { range: { start: expected.positionAt(a), end: expected.positionAt(b) }, text: snippets[random(snippets.length)] };
          changes.push(change);
          // The edit's points must be where tree-sitter counts them (rows split at \n only).
          const edit = treeEditFor(expected, change.range, change.text);
          const oldText = expected.getText();
          expected = TextDocument.update(expected, [change], 0);
          assert.deepEqual(edit.startPosition, pointAt(oldText, edit.startIndex));
          assert.deepEqual(edit.oldEndPosition, pointAt(oldText, edit.oldEndIndex));
          assert.deepEqual(edit.newEndPosition, pointAt(expected.getText(), edit.newEndIndex));
          assert.equal(expected.getText().slice(edit.startIndex, edit.newEndIndex), change.text);
        }
        doc.applyChanges(changes, step + 2);
        assert.equal(doc.text, expected.getText(), 'the text follows the changes');
        // Re-parse only every few steps, so edits pile up on one tree as during fast typing.
        if (random(3) === 0 || step === 299) {
          const fresh = engine.parse(doc.text);
          try {
            assert.deepEqual(shape(doc.syncedTree(engine)), shape(fresh), `step ${step}: ${JSON.stringify(before)} + ${JSON.stringify(changes)}`);
          } finally {
            fresh.delete();
          }
        }
      }
    } finally {
      doc.dispose();
    }
  });
});
