/**
 * The annotated fixture corpus: every line marked `# expect: TLxxx` must be flagged by that rule,
 * and nothing else may be flagged. Fails on any miss and on any unexpected finding, prints a
 * per-rule and per-family precision/recall table, and fails when a family is under 0.95 on either.
 * Notebooks (.ipynb) are read as the program made of their code cells.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RULES, RULE_FAMILIES, manifestKindOf, notebookProgram, type Engine, type Finding } from '../server/src/engine';
import { CORPUS, expectations, getEngine, walk } from './helpers';

interface Tally {
  tp: number;
  fn: number;
  fp: number;
}

const tallies = new Map<string, Tally>(RULES.map((r) => [r.meta.id, { tp: 0, fn: 0, fp: 0 }]));
/** Python files, notebooks and dependency manifests (requirements*.txt, pyproject.toml...). */
const files = walk(CORPUS, ['']).filter((f) => /\.(py|ipynb)$/.test(f) || manifestKindOf(path.basename(f)) !== undefined);

/** The text the expectations are read from (a notebook's code cells as one program). */
function source(file: string): string {
  const raw = fs.readFileSync(file, 'utf8');
  return file.endsWith('.ipynb') ? notebookProgram(raw).text : raw;
}

/**
 * Findings of a corpus file, with lines of `source(file)`: notebooks as their cells' program,
 * manifests (with their folder's other files, for lock files), setup.py as Python and manifest.
 */
function findingsOf(engine: Engine, file: string): Finding[] {
  const raw = fs.readFileSync(file, 'utf8');
  const name = path.basename(file);
  if (file.endsWith('.ipynb')) {
    const r = engine.analyzeNotebook(raw);
    return r.findings.map((f) => {
      const cell = r.program.cells.find((c) => c.number === f.cell)!;
      const line = f.range.start.line + cell.startLine;
      return { ...f, range: { start: { ...f.range.start, line }, end: { ...f.range.end, line } } };
    });
  }
  const kind = manifestKindOf(name);
  const siblings = fs.readdirSync(path.dirname(file));
  if (kind && kind !== 'setup-py') return engine.analyzeManifest(name, raw, { siblings }).findings;
  const python = engine.analyze(raw).findings;
  return kind === 'setup-py' ? [...python, ...engine.analyzeManifest(name, raw, { siblings }).findings] : python;
}

/** `# expect:` ids of a fixture file, or of every file under a fixture folder. */
function expectedIds(target: string): string[] {
  if (fs.statSync(target).isDirectory()) return fs.readdirSync(target).flatMap((n) => expectedIds(path.join(target, n)));
  return [...expectations(fs.readFileSync(target, 'utf8')).values()].flat();
}

describe('annotated fixture corpus', () => {
  let engine: Engine;
  before(async () => {
    engine = await getEngine();
  });

  it('has files', () => assert.ok(files.length > 20, `only ${files.length} corpus files`));

  for (const file of files) {
    const rel = path.relative(CORPUS, file);
    it(rel, () => {
      const text = source(file);
      const expected = expectations(text);
      const found = new Map<number, string[]>();
      for (const f of findingsOf(engine, file)) {
        const list = found.get(f.range.start.line) ?? [];
        list.push(f.ruleId);
        found.set(f.range.start.line, list);
      }
      const problems: string[] = [];
      for (const line of new Set([...expected.keys(), ...found.keys()])) {
        const want = [...(expected.get(line) ?? [])];
        const got = [...(found.get(line) ?? [])];
        for (const id of [...want]) {
          const i = got.indexOf(id);
          if (i >= 0) {
            got.splice(i, 1);
            want.splice(want.indexOf(id), 1);
            tallies.get(id)!.tp++;
          }
        }
        for (const id of want) {
          problems.push(`line ${line + 1}: missed ${id}`);
          tallies.get(id)!.fn++;
        }
        for (const id of got) {
          problems.push(`line ${line + 1}: unexpected ${id}`);
          tallies.get(id)!.fp++;
        }
      }
      assert.deepEqual(problems, [], `${rel}\n${problems.join('\n')}`);
    });
  }

  it('every rule has positive and negative fixtures', () => {
    for (const rule of RULES) {
      const dir = path.join(CORPUS, rule.meta.id);
      assert.ok(fs.existsSync(dir), `no fixture folder for ${rule.meta.id}`);
      const names = fs.readdirSync(dir);
      const positives = names.filter((n) => n.startsWith('positive'));
      const negatives = names.filter((n) => n.startsWith('negative'));
      assert.ok(positives.length > 0 && negatives.length > 0, `${rule.meta.id} needs positive and negative files`);
      const flagged = positives.reduce((n, p) => n + expectedIds(path.join(dir, p)).filter((id) => id === rule.meta.id).length, 0);
      assert.ok(flagged >= 3, `${rule.meta.id} positive fixtures flag only ${flagged} lines`);
      for (const n of negatives) {
        assert.deepEqual(expectedIds(path.join(dir, n)), [], `${rule.meta.id}/${n} must have no expectations`);
      }
    }
  });

  after(() => {
    const rows = [...tallies].map(([id, t]) => {
      const p = t.tp + t.fp ? t.tp / (t.tp + t.fp) : 1;
      const r = t.tp + t.fn ? t.tp / (t.tp + t.fn) : 1;
      return `${id}  tp=${String(t.tp).padStart(3)}  fn=${String(t.fn).padStart(2)}  fp=${String(t.fp).padStart(2)}  precision=${p.toFixed(2)}  recall=${r.toFixed(2)}`;
    });
    console.log(`corpus: ${files.length} files\n${rows.join('\n')}`);
  });

  it('reaches precision and recall of at least 0.95 in every rule family', () => {
    const rows: string[] = [];
    const failing: string[] = [];
    for (const family of RULE_FAMILIES) {
      const ids = RULES.filter((r) => r.meta.family === family).map((r) => r.meta.id);
      if (ids.length === 0) continue;
      const t = ids.reduce((acc, id) => {
        const x = tallies.get(id)!;
        return { tp: acc.tp + x.tp, fn: acc.fn + x.fn, fp: acc.fp + x.fp };
      }, { tp: 0, fn: 0, fp: 0 });
      const precision = t.tp + t.fp ? t.tp / (t.tp + t.fp) : 1;
      const recall = t.tp + t.fn ? t.tp / (t.tp + t.fn) : 1;
      rows.push(`${family.padEnd(20)} rules=${String(ids.length).padStart(2)} tp=${String(t.tp).padStart(4)} fn=${String(t.fn).padStart(3)} fp=${String(t.fp).padStart(3)} precision=${precision.toFixed(3)} recall=${recall.toFixed(3)}`);
      if (precision < 0.95 || recall < 0.95 || t.tp === 0) failing.push(family);
    }
    console.log(`families:\n${rows.join('\n')}`);
    assert.deepEqual(failing, [], 'families under 0.95 precision or recall (or without positives)');
  });
});
