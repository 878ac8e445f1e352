/**
 * When the language server analyses, and what it reuses:
 *
 * - `AnalysisQueue` (server/src/lsp/scheduler.ts) on its own: quick documents run at once, slow
 *   ones wait for the debounce, edits that pile up cost one run, a request made during a run is
 *   run once more after it, never alongside;
 * - the server in this process (`TestClient.inProcess`), with an engine that counts its parses:
 *   an idle change is published without waiting for the debounce, a burst of changes ends with the
 *   final version and never publishes an older version after a newer one, a text seen before is
 *   not analysed again (undo, save, reopening), `initialize` does not wait for the parser;
 * - `DocumentStore`: only the most recently used documents keep a tree, and a document whose tree
 *   was dropped still follows its edits.
 *
 * No assertion is about elapsed time: "at once" is checked with a debounce of ten minutes (a test
 * that waited for it would time out), "not yet" in turns of the event loop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Diagnostic, Hover, PublishDiagnosticsParams } from 'vscode-languageserver/node';
import { Engine } from '../server/src/engine';
import { DocumentStore, ResultCache } from '../server/src/lsp/documents';
import { AnalysisQueue, mergeReasons, type RunReason } from '../server/src/lsp/scheduler';
import { TestClient, type ServerEvent, type Settings } from './lsp-client';

const TEN_MINUTES = 600_000;

/** Resolves after `n` turns of the event loop. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function settings(): Settings {
  return { enable: true, run: 'onType', rules: { disabled: [], severity: {} }, exclude: [] };
}

/** An engine whose parses are counted (every analysis of Python that has anything to look at parses). */
function countingEngine(): { create: () => Promise<Engine>; parses: () => number } {
  let parses = 0;
  return {
    parses: () => parses,
    create: async () => {
      const engine = await Engine.create();
      const parse = engine.parse.bind(engine);
      engine.parse = (text, oldTree) => {
        parses++;
        return parse(text, oldTree);
      };
      return engine;
    },
  };
}

function published(e: ServerEvent, uri: string): PublishDiagnosticsParams | undefined {
  if (e.method !== 'textDocument/publishDiagnostics') return undefined;
  const p = e.params as PublishDiagnosticsParams;
  return p.uri === uri ? p : undefined;
}

const codes = (ds: Diagnostic[]) => ds.map((d) => `${d.code}@${d.range.start.line}`);

// ---------------------------------------------------------------------------------------------
// The queue on its own
// ---------------------------------------------------------------------------------------------

describe('AnalysisQueue', () => {
  /** A queue whose runs are recorded; `hold` keeps each run going until `release` is called. */
  function recorder(policy: { debounceMs: number; immediateBelowMs: number }, hold = false) {
    const runs: RunReason[] = [];
    let active = 0;
    let overlapped = false;
    const waiting: (() => void)[] = [];
    const queue = new AnalysisQueue(policy, async (reason) => {
      runs.push(reason);
      active++;
      overlapped ||= active > 1;
      if (hold) await new Promise<void>((resolve) => waiting.push(resolve));
      active--;
    });
    return { queue, runs, overlapped: () => overlapped, release: () => waiting.splice(0).forEach((r) => r()) };
  }

  it('runs a change of a quick document within a few turns, whatever the debounce', async () => {
    const { queue, runs } = recorder({ debounceMs: TEN_MINUTES, immediateBelowMs: 50 });
    queue.record(3);
    queue.changed();
    queue.request('change');
    assert.deepEqual(runs, [], 'not synchronously: messages already waiting are handled first');
    await turns(5);
    assert.deepEqual(runs, ['change']);
    queue.dispose();
  });

  it('debounces the changes of a slow document, and runs a save at once', async () => {
    const { queue, runs } = recorder({ debounceMs: TEN_MINUTES, immediateBelowMs: 50 });
    queue.record(80);
    queue.record(120);
    queue.record(20);
    assert.equal(queue.slow, true, 'median of 20, 80, 120 ms is over 50 ms');
    queue.changed();
    queue.request('change');
    await turns(50);
    assert.deepEqual(runs, [], 'still waiting for the quiet period');
    queue.request('save');
    await turns(5);
    assert.deepEqual(runs, ['save'], 'the save ran at once, and took the pending change with it');
    queue.dispose();
  });

  it('a change that needs no analysis (its result is cached) runs at once even in a slow document', async () => {
    const { queue, runs } = recorder({ debounceMs: TEN_MINUTES, immediateBelowMs: 50 });
    queue.record(500);
    queue.changed();
    queue.request('change', true);
    await turns(5);
    assert.deepEqual(runs, ['change']);
    queue.dispose();
  });

  it('a slow document is analysed once the debounce has passed', async () => {
    const { queue, runs } = recorder({ debounceMs: 5, immediateBelowMs: 0 });
    queue.record(10);
    queue.changed();
    queue.request('change');
    while (runs.length === 0) await turns(1);
    assert.deepEqual(runs, ['change']);
    queue.dispose();
  });

  it('edits handled one per turn (as the connection does with queued messages) cost one run, after the last', async () => {
    const { queue, runs } = recorder({ debounceMs: TEN_MINUTES, immediateBelowMs: Infinity });
    let sent = 0;
    let ranBeforeLast = false;
    await new Promise<void>((resolve) => {
      const next = (): void => {
        if (runs.length > 0) ranBeforeLast = true;
        queue.changed();
        queue.request('change');
        if (++sent < 20) setImmediate(next);
        else resolve();
      };
      setImmediate(next);
    });
    await turns(5);
    assert.equal(ranBeforeLast, false);
    assert.deepEqual(runs, ['change']);
    queue.dispose();
  });

  it('a request during a run is run once more after it, never alongside', async () => {
    const r = recorder({ debounceMs: TEN_MINUTES, immediateBelowMs: Infinity }, true);
    r.queue.request('open');
    await turns(5);
    assert.deepEqual(r.runs, ['open']);
    for (let i = 0; i < 5; i++) {
      r.queue.changed();
      r.queue.request('change');
    }
    r.queue.request('save');
    await turns(5);
    assert.deepEqual(r.runs, ['open'], 'nothing starts while the first run is in progress');
    r.release();
    await turns(5);
    assert.deepEqual(r.runs, ['open', 'save'], 'one trailing run, with the strongest reason asked for');
    r.release();
    await turns(5);
    assert.deepEqual(r.runs, ['open', 'save']);
    assert.equal(r.overlapped(), false);
    r.queue.dispose();
  });

  it('cancelPending and dispose drop a run that has not started', async () => {
    const { queue, runs } = recorder({ debounceMs: TEN_MINUTES, immediateBelowMs: Infinity });
    queue.request('change');
    queue.cancelPending();
    await turns(5);
    assert.deepEqual(runs, []);
    queue.request('open');
    queue.dispose();
    queue.request('config');
    await turns(5);
    assert.deepEqual(runs, []);
  });

  it('ignores nonsense durations and ranks reasons', () => {
    const { queue } = recorder({ debounceMs: 1, immediateBelowMs: 10 });
    queue.record(Number.NaN);
    queue.record(-5);
    assert.equal(queue.slow, false, 'no real duration recorded: counts as quick');
    assert.equal(mergeReasons(undefined, 'change'), 'change');
    assert.equal(mergeReasons('change', 'save'), 'save');
    assert.equal(mergeReasons('config', 'change'), 'config');
    assert.equal(mergeReasons('open', 'save'), 'open');
    queue.dispose();
  });
});

describe('ResultCache', () => {
  it('finds a text again under the same settings generation, keeps the last four', () => {
    const cache = new ResultCache();
    const result = (n: number) => ({ findings: [], timedOut: false, generation: n });
    cache.set('a', 1, result(1));
    assert.equal(cache.get('a', 1)?.generation, 1);
    assert.equal(cache.get('a', 2), undefined, 'other settings: not the same result');
    assert.equal(cache.get('b', 1), undefined);
    for (const t of ['b', 'c', 'd', 'e']) cache.set(t, 1, result(1));
    assert.equal(cache.size, 4);
    assert.equal(cache.get('a', 1), undefined, 'the oldest text went');
    cache.set('f', 2, result(2));
    assert.equal(cache.size, 1, 'a new generation drops the old one');
  });
});

// ---------------------------------------------------------------------------------------------
// The server in process
// ---------------------------------------------------------------------------------------------

const PICKLE = 'import pickle\nobj = pickle.loads(blob)\n';
const CLEAN = 'import pickle\nobj = None\n';

describe('scheduling in the language server (in process)', () => {
  let client: TestClient;
  const counter = countingEngine();

  before(async () => {
    // Every document counts as quick here (how long an analysis takes depends on the machine's
    // load); the queue tests above cover the choice between quick and slow.
    client = TestClient.inProcess(settings, { debounceMs: TEN_MINUTES, immediateBelowMs: Infinity, createEngine: counter.create });
    const from = client.mark();
    await client.initialize();
    await client.status(from, 'ok');
  });

  after(async () => {
    await client?.stop();
  });

  it('publishes an idle change at once, not after the (ten-minute) debounce', async () => {
    const uri = 'file:///project/idle.py';
    await client.open(uri, CLEAN);
    assert.deepEqual(await client.diagnostics(uri, 1), []);
    await client.change(uri, 2, [{ range: { start: { line: 1, character: 6 }, end: { line: 1, character: 10 } }, text: 'pickle.loads(blob)' }]);
    assert.deepEqual(codes(await client.diagnostics(uri, 2)), ['TL101@1']);
  });

  it('a burst of changes ends with the final version, and no older version is published after a newer one', async () => {
    const uri = 'file:///project/burst.py';
    await client.open(uri, CLEAN);
    await client.diagnostics(uri, 1);
    const from = client.mark();
    // Version v has a finding when v is even: the line is swapped back and forth, without waiting.
    const last = 41;
    const sends: Promise<void>[] = [];
    for (let v = 2; v <= last; v++) {
      const line = client.text(uri).split('\n')[1];
      const text = v % 2 === 0 ? 'obj = pickle.loads(blob)' : 'obj = None';
      sends.push(client.change(uri, v, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: line.length } }, text }]));
    }
    await Promise.all(sends);
    await client.diagnostics(uri, last, from);
    const seen = client.events.slice(from).map((e) => published(e, uri)).filter((p): p is PublishDiagnosticsParams => p !== undefined);
    const versions = seen.map((p) => p.version ?? -1);
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b), `versions only go up: ${versions.join(' ')}`);
    for (const p of seen) assert.equal(p.diagnostics.length, (p.version ?? 0) % 2 === 0 ? 1 : 0, `v${p.version} is right for its own text`);
    assert.equal(versions[versions.length - 1], last);
  });

  it('does not analyse a text again: undo, save, and reopening an unchanged file reuse the result', async () => {
    const uri = 'file:///project/undo.py';
    await client.open(uri, PICKLE);
    const original = await client.diagnostics(uri, 1);
    assert.deepEqual(codes(original), ['TL101@1']);
    const typed = { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# note\n' };
    await client.change(uri, 2, [typed]);
    assert.deepEqual(codes(await client.diagnostics(uri, 2)), ['TL101@2']);
    const parses = counter.parses();

    // Undo: the text of version 1 again.
    await client.change(uri, 3, [{ range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, text: '' }]);
    const undone = await client.diagnostics(uri, 3);
    assert.deepEqual(undone.map((d) => d.range), original.map((d) => d.range));
    assert.equal((undone[0].data as { version: number }).version, 3, 'the reused findings belong to the new version');
    // Redo.
    await client.change(uri, 4, [typed]);
    assert.deepEqual(codes(await client.diagnostics(uri, 4)), ['TL101@2']);
    assert.equal(counter.parses(), parses, 'undo and redo parsed nothing');

    // Saving an analysed version, then closing and opening the same text: still nothing parsed.
    let from = client.mark();
    await client.conn.sendNotification('textDocument/didSave', { textDocument: { uri } });
    await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    await client.nextDiagnostics(uri, from);
    from = client.mark();
    await client.open(uri, client.text(uri), 7);
    assert.deepEqual(codes(await client.diagnostics(uri, 7, from)), ['TL101@2']);
    assert.equal(counter.parses(), parses, 'save and reopen parsed nothing');

    // A quick fix still works on a reused result (it needs the tree, which is parsed now).
    const diags = await client.diagnostics(uri, 7, from);
    const actions = await client.codeActions(uri, diags);
    assert.ok(actions.some((a) => a.title === 'Ignore TL101 on this line'), actions.map((a) => a.title).join(' | '));
  });

  it('a settings change analyses again instead of reusing', async () => {
    const uri = 'file:///project/settings-change.py';
    await client.open(uri, PICKLE);
    assert.equal((await client.diagnostics(uri, 1)).length, 1);
    const from = client.mark();
    client.settings = () => ({ ...settings(), rules: { disabled: ['TL101'], severity: {} } });
    try {
      await client.configurationChanged();
      assert.deepEqual((await client.nextDiagnostics(uri, from)).diagnostics, []);
    } finally {
      const back = client.mark();
      client.settings = settings;
      await client.configurationChanged();
      assert.equal((await client.nextDiagnostics(uri, back)).diagnostics.length, 1);
    }
  });

  it('a hover on a changed document publishes its version; the run that follows publishes nothing older', async () => {
    const uri = 'file:///project/hover-first.py';
    await client.open(uri, CLEAN);
    await client.diagnostics(uri, 1);
    const from = client.mark();
    await client.change(uri, 2, [{ range: { start: { line: 1, character: 6 }, end: { line: 1, character: 10 } }, text: 'pickle.loads(blob)' }]);
    const hover = await client.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 8 } });
    assert.ok(hover, 'the hover sees the finding of version 2');
    await client.diagnostics(uri, 2, from);
    await client.conn.sendRequest('threatlens/rules', {});
    await turns(10);
    const versions = client.events.slice(from).map((e) => published(e, uri)?.version).filter((v) => v !== undefined);
    assert.ok(versions.every((v) => v === 2), `only version 2 published: ${versions.join(' ')}`);
  });
});

describe('a slow document in the language server (in process)', () => {
  it('debounces its changes, but publishes a text seen before (undo) at once', async () => {
    // Every analysis counts as slow, and the debounce is ten minutes: only a save, or a text whose
    // result is cached, can be published during this test.
    const client = TestClient.inProcess(settings, { debounceMs: TEN_MINUTES, immediateBelowMs: -1 });
    try {
      const from = client.mark();
      await client.initialize();
      await client.status(from, 'ok');
      const uri = 'file:///project/slow-undo.py';
      await client.open(uri, PICKLE);
      assert.deepEqual(codes(await client.diagnostics(uri, 1)), ['TL101@1']);
      const typed = { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# note\n' };
      await client.change(uri, 2, [typed]);
      await client.conn.sendNotification('textDocument/didSave', { textDocument: { uri } });
      assert.deepEqual(codes(await client.diagnostics(uri, 2)), ['TL101@2'], 'the save flushed the debounce');
      await client.change(uri, 3, [{ range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, text: '' }]);
      assert.deepEqual(codes(await client.diagnostics(uri, 3)), ['TL101@1'], 'the undo needed no analysis and no debounce');
      await client.change(uri, 4, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '# new\n' }]);
      await turns(50);
      assert.equal(client.events.some((e) => published(e, uri)?.version === 4), false, 'a new text waits for the debounce');
    } finally {
      await client.stop();
    }
  });
});

describe('start-up of the language server (in process)', () => {
  it('answers initialize before the parser is loaded, and analyses once it is', async () => {
    let loaded!: (engine: Engine) => void;
    const engine = new Promise<Engine>((resolve) => (loaded = resolve));
    const client = TestClient.inProcess(settings, { createEngine: () => engine });
    try {
      const from = client.mark();
      const init = await client.initialize();
      assert.ok(init.capabilities.hoverProvider, 'initialize answered while the engine is pending');
      const uri = 'file:///project/early.py';
      await client.open(uri, PICKLE);
      const hover = client.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 8 } });
      await turns(20);
      assert.equal(client.events.slice(from).some((e) => published(e, uri)), false, 'nothing published without a parser');
      loaded(await Engine.create());
      assert.deepEqual(codes(await client.diagnostics(uri, 1, from)), ['TL101@1']);
      assert.ok(await hover, 'the hover waited for the parser');
      assert.equal((await client.status(from)).state, 'ok');
    } finally {
      await client.stop();
    }
  });

  it('a parser that fails to load is reported once it fails, and requests get empty answers', async () => {
    const client = TestClient.inProcess(settings, { createEngine: () => Promise.reject(new Error('no wasm here')) });
    try {
      const from = client.mark();
      await client.initialize();
      const status = await client.status(from, 'error');
      assert.match(status.message ?? '', /no wasm here/);
      const uri = 'file:///project/none.py';
      await client.open(uri, PICKLE);
      assert.equal(await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 8 } }), null);
      assert.deepEqual(await client.codeActions(uri, []), []);
    } finally {
      await client.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Trees
// ---------------------------------------------------------------------------------------------

describe('DocumentStore trees', () => {
  it('keeps the trees of the most recently used documents only; a dropped one is parsed again when needed', async () => {
    const engine = await Engine.create();
    const store = new DocumentStore(2);
    try {
      const docs = ['a', 'b', 'c', 'd'].map((n) => store.open(`file:///project/${n}.py`, 'python', 1, PICKLE));
      for (const d of docs) d.syncedTree(engine);
      assert.equal(store.trees, 2);
      assert.deepEqual(docs.map((d) => d.hasTree), [false, false, true, true]);
      // Using c makes d the oldest: opening e drops d, not c.
      docs[2].syncedTree(engine);
      const e = store.open('file:///project/e.py', 'python', 1, PICKLE);
      e.syncedTree(engine);
      assert.deepEqual([...docs, e].map((d) => d.hasTree), [false, false, true, false, true]);
      // a lost its tree; it follows an edit and parses the edited text.
      docs[0].applyChanges([{ range: { start: { line: 1, character: 6 }, end: { line: 1, character: 12 } }, text: 'json' }], 2);
      const tree = docs[0].syncedTree(engine);
      assert.equal(tree.rootNode.text, docs[0].text);
      assert.match(docs[0].text, /obj = json\.loads/);
      assert.equal(store.trees, 2);
      store.close(docs[0].uri);
      assert.equal(store.trees, 1, 'closing frees the tree');
    } finally {
      store.disposeAll();
    }
  });
});
