/**
 * The language server's workspace features, end to end over stdio against dist/server.js:
 * `threatlens/catalog`, `threatlens/scanWorkspace` (files, excludes, progress, cancellation,
 * status), watched-file events and closing a scanned file. Plus, in process, the abort signal of
 * `scanFiles` that the scan's cancellation relies on.
 *
 * Nothing sleeps for a fixed time: every expectation waits for the matching message.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource, type PublishDiagnosticsParams } from 'vscode-languageserver/node';
import { scanFiles } from '../server/src/cli/scan';
import type { SourceFile } from '../server/src/cli/walk';
import type { CatalogResult, ScanWorkspaceResult, StatusParams } from '../server/src/protocol';
import { bundledScanFiles, type ScanFiles } from './helpers';
import { ensureBuilt, root, serverBundle, TestClient, type ServerEvent, type Settings } from './lsp-client';

const TORCH = 'import torch\nstate = torch.load("ckpt.pt")\n';
const PICKLE = 'import pickle\npickle.loads(b"")\n';

function settings(): Settings {
  return { enable: true, run: 'onType', rules: { disabled: [], severity: {} }, exclude: ['**/vendored/**'] };
}

/** A notebook laid out as Jupyter writes it: cell 1 imports torch under another name, cell 3 loads. */
function notebookJson(): string {
  const cell = (type: string, lines: string[]) => ({ cell_type: type, metadata: {}, source: lines, ...(type === 'code' ? { execution_count: null, outputs: [] } : {}) });
  return JSON.stringify(
    {
      cells: [
        cell('code', ['import torch as t\n', 'p = "w.pt"']),
        cell('markdown', ['# Load the "weights"']),
        cell('code', ['x = 1\n', 'model = t.load(p)']),
      ],
      metadata: { language_info: { name: 'python' } },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  );
}

function write(root: string, rel: string, text: string): string {
  const p = join(root, ...rel.split('/'));
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

const uriOf = (p: string) => pathToFileURL(p).href;

function published(e: ServerEvent, uri: string): PublishDiagnosticsParams | undefined {
  if (e.method !== 'textDocument/publishDiagnostics') return undefined;
  const p = e.params as PublishDiagnosticsParams;
  return p.uri === uri ? p : undefined;
}

describe('threatlens/catalog', () => {
  let client: TestClient;

  before(async () => {
    ensureBuilt();
    client = TestClient.start(serverBundle, settings);
    const from = client.mark();
    await client.initialize();
    await client.status(from, 'ok');
  });

  after(async () => {
    await client?.stop();
  });

  it('lists stages, threats with their rules and links, and rules with named techniques', async () => {
    const catalog = await client.conn.sendRequest<CatalogResult>('threatlens/catalog', {});
    assert.equal(catalog.stages[0], 'Data Preparation');
    assert.ok(catalog.stages.includes('Inference'));
    assert.match(catalog.atlasVersion, /^\d+\.\d+/);

    const threat = catalog.threats.find((t) => t.id === 'MLT-016');
    assert.ok(threat, 'MLT-016 is in the catalog');
    assert.equal(threat.name, 'Compromised PyTorch Dependency Chain');
    assert.ok(threat.summary.includes('torchtriton'));
    for (const id of ['TL001', 'TL002', 'TL003']) assert.ok(threat.rules.includes(id), `${id} evidences MLT-016`);
    assert.ok(threat.stages.length > 0);
    assert.ok(threat.techniques.length > 0 && threat.techniques.every((t) => t.name && t.name !== t.id && t.url?.startsWith('https://atlas.mitre.org/')));
    assert.ok(threat.tactics.length > 0 && threat.tactics.every((t) => t.name && t.name !== t.id));
    assert.ok(threat.mitigations.length > 0 && threat.mitigations.every((m) => m.name));
    assert.ok(['atlas-case-study', 'incident', 'literature'].includes(threat.source));

    const rule = catalog.rules.find((r) => r.id === 'TL108');
    assert.ok(rule, 'TL108 is in the catalog');
    assert.ok(rule.threats.length > 0);
    assert.ok(rule.techniques.length > 0);
    for (const t of rule.techniques) {
      assert.match(t.id, /^AML\.T\d{4}/);
      assert.ok(t.name.length > 0 && t.name !== t.id, `technique ${t.id} has a name`);
      assert.match(t.url ?? '', /^https:\/\/atlas\.mitre\.org\/techniques\//);
    }
    assert.equal(rule.exampleLanguage, 'python');
    assert.ok(rule.finds && rule.why && rule.example && rule.useInstead);
    assert.equal(catalog.rules.find((r) => r.id === 'TL001')?.exampleLanguage, 'text', 'a requirements.txt example');
    // Every rule a threat names exists.
    const ids = new Set(catalog.rules.map((r) => r.id));
    for (const t of catalog.threats) for (const r of t.rules) assert.ok(ids.has(r), `${t.id} -> ${r}`);
  });
});

describe('threatlens/scanWorkspace', () => {
  let client: TestClient;
  let ws: string;
  const uri = (rel: string) => uriOf(join(ws, ...rel.split('/')));

  before(async () => {
    ensureBuilt();
    ws = mkdtempSync(join(tmpdir(), 'threatlens-ws-'));
    write(ws, '.gitignore', 'ignored/\n');
    write(ws, 'ignored/bad.py', TORCH);
    write(ws, 'vendored/lib.py', TORCH);
    write(ws, 'app/train.py', TORCH);
    write(ws, 'open.py', TORCH);
    write(ws, 'nb.ipynb', notebookJson());
    write(ws, 'README.md', 'not analysed\n');
    client = TestClient.start(serverBundle, settings);
    const from = client.mark();
    await client.initialize(undefined, {
      folders: [{ uri: uriOf(ws), name: 'ws' }],
      capabilities: { window: { workDoneProgress: true } },
    });
    await client.status(from, 'ok');
  });

  after(async () => {
    await client?.stop();
    rmSync(ws, { recursive: true, force: true });
  });

  it('scans the folder with progress, skipping ignored and excluded files and leaving open files alone', async () => {
    // open.py is open with other text: its live diagnostics must stay.
    await client.open(uri('open.py'), PICKLE);
    assert.deepEqual((await client.diagnostics(uri('open.py'), 1)).map((d) => d.code), ['TL101']);

    const from = client.mark();
    const token = 'scan-progress-1';
    const result = await client.conn.sendRequest<ScanWorkspaceResult>('threatlens/scanWorkspace', { workDoneToken: token });
    assert.equal(result.cancelled, false);
    assert.equal(result.files, 3, 'app/train.py, open.py, nb.ipynb; .gitignore-d, excluded and other files left out');
    assert.equal(result.errors, 0);
    assert.ok(result.findings >= 3, `findings: ${result.findings}`);
    assert.ok(result.durationMs >= 0);

    const events = client.events.slice(from);
    const progress = events
      .filter((e) => e.method === '$/progress' && (e.params as { token: unknown }).token === token)
      .map((e) => (e.params as { value: { kind: string; message?: string; percentage?: number } }).value);
    assert.equal(progress[0]?.kind, 'begin');
    assert.equal(progress.at(-1)?.kind, 'end');
    const reports = progress.filter((p) => p.kind === 'report');
    assert.ok(reports.length > 0, 'at least one report');
    assert.ok(reports.every((r) => /^\d+ \/ 3 files$/.test(r.message ?? '') && typeof r.percentage === 'number'), JSON.stringify(reports));

    const train = events.map((e) => published(e, uri('app/train.py'))).find(Boolean);
    assert.deepEqual(train?.diagnostics.map((d) => d.code), ['TL108']);
    assert.equal(train?.diagnostics[0].range.start.line, 1);
    assert.ok(typeof train?.diagnostics[0].codeDescription?.href === 'string', 'rule link');
    for (const rel of ['ignored/bad.py', 'vendored/lib.py', 'open.py', 'README.md']) {
      assert.equal(events.some((e) => published(e, uri(rel))), false, `${rel} is not published`);
    }

    // The closed notebook's finding sits on the .ipynb file, on the JSON line of `t.load(p)`.
    const nb = events.map((e) => published(e, uri('nb.ipynb'))).find(Boolean);
    const d = nb?.diagnostics.find((x) => x.code === 'TL108');
    assert.ok(d, JSON.stringify(nb));
    const json = readFileSync(join(ws, 'nb.ipynb'), 'utf8').split('\n');
    const line = json.findIndex((l) => l.includes('t.load(p)'));
    assert.equal(d.range.start.line, line);
    assert.equal(json[line].slice(d.range.start.character, d.range.end.character), 't.load(p)');
    assert.match(typeof d.message === 'string' ? d.message : d.message.value, /cell 3, line 2/);

    const statuses = events.filter((e) => e.method === 'threatlens/status').map((e) => e.params as StatusParams);
    assert.ok(statuses.some((s) => s.state === 'analyzing' && s.workspace?.scanning === true), 'analyzing while scanning');
    const last = statuses.at(-1);
    assert.deepEqual(last?.workspace, { scanning: false, files: 3, findings: result.findings });
  });

  it('re-analyses changed and created files, skips ignored ones and clears deleted ones', async () => {
    let from = client.mark();
    write(ws, 'app/train.py', 'import torch\nstate = torch.load("ckpt.pt", weights_only=True)\n');
    write(ws, 'app/new.py', PICKLE);
    write(ws, 'ignored/new.py', PICKLE);
    write(ws, 'app/notes.txt', 'not a source file\n');
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [
        { uri: uri('app/train.py'), type: 2 },
        { uri: uri('ignored/new.py'), type: 1 },
        { uri: uri('app/new.py'), type: 1 },
        { uri: uri('app/notes.txt'), type: 1 },
      ],
    });
    assert.deepEqual((await client.nextDiagnostics(uri('app/train.py'), from)).diagnostics, []);
    assert.deepEqual((await client.nextDiagnostics(uri('app/new.py'), from)).diagnostics.map((d) => d.code), ['TL101']);
    assert.equal(client.events.slice(from).some((e) => published(e, uri('ignored/new.py'))), false, 'git-ignored file stays out');

    from = client.mark();
    unlinkSync(join(ws, 'app', 'new.py'));
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('app/new.py'), type: 3 }] });
    assert.deepEqual((await client.nextDiagnostics(uri('app/new.py'), from)).diagnostics, []);
  });

  it('closing a scanned file brings back its on-disk findings', async () => {
    const from = client.mark();
    await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri: uri('open.py') } });
    const after = await client.nextDiagnostics(uri('open.py'), from);
    assert.deepEqual(after.diagnostics.map((d) => d.code), ['TL108'], 'the file on disk loads with torch.load');
  });

  it('re-applies the settings to the scanned files when they change', async () => {
    const from = client.mark();
    client.settings = () => ({ ...settings(), rules: { disabled: ['TL108'], severity: {} } });
    await client.configurationChanged();
    assert.deepEqual((await client.nextDiagnostics(uri('open.py'), from)).diagnostics, []);
    client.settings = settings;
  });
});

describe('cancelling a workspace scan', () => {
  let client: TestClient;
  let ws: string;
  const FILES = 300;

  before(async () => {
    ensureBuilt();
    ws = mkdtempSync(join(tmpdir(), 'threatlens-ws-big-'));
    // Files big enough that the scan is still busy when the cancellation arrives.
    const body = Array.from({ length: 60 }, (_, i) => `def f${i}(p):\n    m = torch.load(p)\n    return pickle.loads(m)\n`).join('');
    for (let i = 0; i < FILES; i++) write(ws, `pkg${i % 10}/mod${i}.py`, `import torch\nimport pickle\n${body}`);
    client = TestClient.start(serverBundle, settings);
    const from = client.mark();
    await client.initialize(undefined, { folders: [{ uri: uriOf(ws), name: 'big' }] });
    await client.status(from, 'ok');
  });

  after(async () => {
    await client?.stop();
    rmSync(ws, { recursive: true, force: true });
  });

  it('stops soon after the request is cancelled and says so', async () => {
    const from = client.mark();
    const source = new CancellationTokenSource();
    const pending = client.conn.sendRequest<ScanWorkspaceResult>('threatlens/scanWorkspace', {}, source.token);
    // Cancel once the first file's diagnostics are out (the workers are running by then).
    await client.waitFor('a published file', (e) => (e.method === 'textDocument/publishDiagnostics' ? true : undefined), from, 60_000);
    const cancelledAt = Date.now();
    source.cancel();
    const result = await pending;
    const stoppedAfter = Date.now() - cancelledAt;
    assert.equal(result.cancelled, true);
    assert.ok(result.files > 0 && result.files < FILES, `files: ${result.files}`);
    assert.ok(stoppedAfter < 5000, `stopped ${stoppedAfter} ms after the cancellation`);
    const last = await client.waitFor('final status', (e) => {
      const s = e.method === 'threatlens/status' ? (e.params as StatusParams) : undefined;
      return s?.workspace?.scanning === false ? s : undefined;
    }, from);
    assert.match(last.message ?? '', /cancelled/);

    // The server keeps serving: a scan of two named files completes.
    const two = await client.conn.sendRequest<ScanWorkspaceResult>('threatlens/scanWorkspace', {
      uris: [uriOf(join(ws, 'pkg0', 'mod0.py')), uriOf(join(ws, 'pkg1', 'mod1.py'))],
    });
    assert.deepEqual({ files: two.files, cancelled: two.cancelled }, { files: 2, cancelled: false });
  });
});

describe('scanFiles with an abort signal (in process)', () => {
  let dir: string;
  let files: SourceFile[];
  let bundled: { scanFiles: ScanFiles; dir: string };

  after(() => rmSync(bundled?.dir ?? '', { recursive: true, force: true }));

  before(() => {
    ensureBuilt();
    mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
    bundled = bundledScanFiles();
    dir = mkdtempSync(join(tmpdir(), 'threatlens-abort-'));
    // Enough work per file that an abort after the second result lands well before the end.
    const body = Array.from({ length: 60 }, (_, i) => `def f${i}(p):\n    return torch.load(p)\n`).join('');
    files = Array.from({ length: 120 }, (_, i) => {
      const abs = write(dir, `m${i}.py`, `import torch\n${body}`);
      return { abs, display: `m${i}.py` };
    });
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const jobs of [1, 2]) {
    it(`stops feeding files and resolves with what finished (jobs: ${jobs})`, async () => {
      const controller = new AbortController();
      let seen = 0;
      // jobs 1 runs in this thread (the loop yields between files), jobs 2 in worker threads.
      const scan = jobs === 1 ? scanFiles : bundled.scanFiles;
      const results = await scan(files, { analysis: {}, jobs, explicitJobs: true, signal: controller.signal }, () => {
        seen++;
        if (seen === 2) controller.abort();
      });
      assert.ok(results.length >= 2 && results.length < files.length, `results: ${results.length}`);
      assert.ok(results.every((r) => r.outcome.kind === 'scanned'));
      // In file order.
      const order = results.map((r) => files.findIndex((f) => f.abs === r.file.abs));
      assert.deepEqual(order, [...order].sort((a, b) => a - b));
    });
  }

  it('without a signal scans every file, as the CLI does', async () => {
    // No onResult callback either (the CLI always passes one).
    const results = await bundled.scanFiles(files, { analysis: {}, jobs: 2, explicitJobs: true });
    assert.equal(results.length, files.length);
    assert.ok(results.every((r) => r.outcome.kind === 'scanned' && r.outcome.findings.length === 60));
  });
});
