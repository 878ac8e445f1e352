/** Jupyter notebooks: code cells as one program, magics skipped, findings mapped back to cells. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { NotebookError, notebookProgram, stripMagics, type Engine } from '../server/src/engine';
import { CORPUS, getEngine } from './helpers';

let engine: Engine;
before(async () => {
  engine = await getEngine();
});

function notebook(...cells: [string, string][]): string {
  return JSON.stringify(
    {
      cells: cells.map(([kind, src]) => ({
        cell_type: kind,
        metadata: {},
        source: src.split(/(?<=\n)/),
        ...(kind === 'code' ? { outputs: [], execution_count: null } : {}),
      })),
      metadata: { kernelspec: { language: 'python', name: 'python3' } },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  );
}

describe('notebooks', () => {
  it('resolves names across cells and reports the cell and the line within it', () => {
    const nb = notebook(['markdown', '# Title\n'], ['code', 'import pickle as pk\n'], ['code', 'x = 1\ndata = pk.loads(blob)\n']);
    const r = engine.analyzeNotebook(nb);
    assert.equal(r.findings.length, 1);
    const [f] = r.findings;
    assert.equal(f.ruleId, 'TL101');
    assert.equal(f.cell, 3, 'cells are numbered among all cells, markdown included');
    assert.equal(f.range.start.line, 1, 'line within the cell (0-based)');
  });

  it('rewrites shell and magic lines as nbconvert does, keeps Python cell magics, and never reads outputs', () => {
    assert.equal(stripMagics('!pip install x\nimport os\n%matplotlib inline\n'), 'get_ipython().system("pip install x")\nimport os\nget_ipython().magic("matplotlib inline")\n');
    assert.equal(stripMagics('for i in range(3):\n    !echo "$i"\n'), 'for i in range(3):\n    get_ipython().system("echo \\"$i\\"")\n');
    assert.equal(stripMagics('%%bash\nrm -rf /tmp/x\n'), '\n\n');
    assert.equal(stripMagics('%%time\nimport os\n'), '\nimport os\n');
    assert.equal(stripMagics('!echo a \\\n  b\nx = 1'), 'get_ipython().system("echo a ")\n\nx = 1');
    assert.equal(stripMagics('df.head?\n'), '\n');
    const nb = JSON.parse(notebook(['code', 'import pickle\n'])) as { cells: { outputs: unknown[] }[] };
    nb.cells[0].outputs = [{ output_type: 'stream', name: 'stdout', text: ['pickle.loads(x)\n'] }];
    assert.deepEqual(engine.analyzeNotebook(JSON.stringify(nb)).findings, []);
  });

  it('sees tokens typed into magics, at their column in the cell', () => {
    const key = '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';
    const nb = notebook(['code', `!huggingface-cli login --token ${key}\n%env HF_TOKEN=${key}\n`]);
    const found = engine.analyzeNotebook(nb).findings.filter((f) => f.ruleId === 'TL601');
    assert.equal(found.length, 2, JSON.stringify(found));
    const first = found[0];
    assert.equal(first.cell, 1);
    assert.equal(first.range.start.line, 0);
    // The squiggle starts within the original line, not in the rewritten call.
    assert.ok(first.range.start.character <= '!huggingface-cli login --token '.length, String(first.range.start.character));
    assert.ok(found.every((f) => !f.message.includes(key)), 'secrets are masked');
    assert.ok(found.every((f) => f.fixes.length === 0), 'no fix edits a rewritten magic line');
  });

  it('keeps fixes inside the finding cell, moving an added import to the top of that cell', () => {
    const nb = notebook(['code', 'import subprocess, torch\n'], ['code', 'subprocess.run(cmd, shell=True)\nm = torch.load(p)\n']);
    const r = engine.analyzeNotebook(nb);
    const shell = r.findings.find((f) => f.ruleId === 'TL203')!;
    // The shlex.split fix adds `import shlex` before the first import, in cell 1: it moves to cell 2.
    assert.equal(shell.fixes.length, 1);
    const imp = shell.fixes[0].edits.find((e) => e.newText === 'import shlex\n')!;
    assert.deepEqual(imp.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
    assert.ok(shell.fixes[0].edits.every((e) => e.range.start.line <= 1));
    const torch = r.findings.find((f) => f.ruleId === 'TL108')!;
    assert.equal(torch.fixes.length, 1);
    assert.deepEqual(torch.fixes[0].edits[0].range.start, { line: 1, character: 16 });
  });

  it('knows the .ipynb file line of every source line', () => {
    const file = path.join(CORPUS, 'notebooks', 'positive_cells.ipynb');
    const raw = fs.readFileSync(file, 'utf8');
    const program = notebookProgram(raw);
    const lines = raw.split('\n');
    for (const cell of program.cells) {
      assert.ok(cell.fileLines, `cell ${cell.number} has file lines`);
      const cellLines = program.text.split('\n').slice(cell.startLine, cell.startLine + cell.lineCount);
      cellLines.forEach((code, i) => {
        const fileLine = lines[cell.fileLines![i] - 1];
        // The JSON line holds the original source line (magics included), JSON-escaped.
        // (blanked and rewritten magic lines are not compared)
        if (code.trim() && !code.includes('get_ipython()')) assert.ok(fileLine.includes(JSON.stringify(code.trim()).slice(1, -1)), `${fileLine} vs ${code}`);
      });
    }
  });

  it('gives a clear error for files that are not Python notebooks', () => {
    assert.throws(() => notebookProgram('{"cells": ['), (e: unknown) => e instanceof NotebookError && /JSON/.test(e.message));
    assert.throws(() => notebookProgram('{"nbformat": 4}'), /no "cells" list/);
    assert.throws(
      () => notebookProgram(JSON.stringify({ cells: [], metadata: { language_info: { name: 'R' } } })),
      /not a Python notebook \(language: R\)/,
    );
  });
});
