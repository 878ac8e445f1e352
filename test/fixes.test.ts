/**
 * Every fix offered anywhere in the corpus, applied on its own, must leave valid Python and make
 * its finding go away without creating a new one. Applying all safe fixes of a file at once
 * (fix-all) must leave no safe fix behind.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { applyEdits, manifestKindOf, type Engine, type Finding } from '../server/src/engine';
import { CORPUS, getEngine, walk } from './helpers';

let engine: Engine;
before(async () => {
  engine = await getEngine();
});

function key(f: Finding): string {
  return `${f.ruleId}@${f.range.start.line}`;
}

describe('fixes over the corpus', () => {
  let total = 0;
  // Colab exports keep their `!pip install` lines, which are not Python: fixes there are checked as manifests below.
  const files = walk(CORPUS).filter((f) => !path.basename(f).startsWith('malformed_') && !/^[ \t]*[!%]/m.test(fs.readFileSync(f, 'utf8')));
  for (const file of files) {
    it(path.relative(CORPUS, file), () => {
      const text = fs.readFileSync(file, 'utf8');
      const before = engine.analyze(text, {}, true);
      assert.equal(before.hasSyntaxErrors, false, 'fixture must be valid Python');
      for (const finding of before.findings) {
        for (const fix of finding.fixes) {
          total++;
          const fixed = applyEdits(text, fix.edits);
          assert.notEqual(fixed, text, `${fix.title} changed nothing`);
          const after = engine.analyze(fixed, {}, true);
          const where = `${finding.ruleId} line ${finding.range.start.line + 1} "${fix.title}"`;
          assert.equal(after.hasSyntaxErrors, false, `${where} produced invalid Python:\n${fixed}`);
          // Fixes may add lines (an import) above: compare rule counts, not positions.
          const count = (fs: Finding[], id: string) => fs.filter((f) => f.ruleId === id).length;
          assert.ok(count(after.findings, finding.ruleId) < count(before.findings, finding.ruleId), `${where} did not remove the finding`);
          assert.ok(after.findings.length < before.findings.length, `${where} introduced a finding`);
        }
      }
      // fix-all: the first safe fix of each finding, skipping overlaps, as the server does.
      const safe = before.findings.flatMap((f) => f.fixes.filter((x) => x.safety === 'safe').slice(0, 1));
      if (safe.length) {
        const fixed = applyEdits(text, safe.flatMap((x) => x.edits));
        const after = engine.analyze(fixed, {}, true);
        assert.equal(after.hasSyntaxErrors, false);
        const left = after.findings.filter((f) => f.fixes.some((x) => x.safety === 'safe')).map(key);
        assert.deepEqual(left, [], 'safe fixes left after fix-all');
      }
    });
  }
  it('offered fixes at all', () => assert.ok(total > 30, `only ${total} fixes in the corpus`));
});

describe('dependency fixes over the corpus manifests', () => {
  let total = 0;
  const manifests = walk(CORPUS, ['']).filter((f) => {
    const kind = manifestKindOf(path.basename(f));
    return kind !== undefined && kind !== 'setup-py';
  });
  for (const file of manifests) {
    it(path.relative(CORPUS, file), () => {
      const name = path.basename(file);
      const siblings = fs.readdirSync(path.dirname(file));
      const text = fs.readFileSync(file, 'utf8');
      const before = engine.analyzeManifest(name, text, { siblings });
      for (const finding of before.findings) {
        for (const fix of finding.fixes) {
          const where = `${finding.ruleId} line ${finding.range.start.line + 1} "${fix.title}"`;
          if (fix.snippet) {
            // Snippets leave a placeholder for the user (a commit id, a version): check its shape only.
            assert.ok(fix.edits.some((e) => /\$\{1:[A-Z_0-9]+\}/.test(e.newText)), `${where}: snippet without a placeholder`);
            continue;
          }
          total++;
          const fixed = applyEdits(text, fix.edits);
          assert.notEqual(fixed, text, `${where} changed nothing`);
          const after = engine.analyzeManifest(name, fixed, { siblings });
          assert.deepEqual(after.problems, before.problems, `${where} made the file unreadable:\n${fixed}`);
          const count = (list: Finding[], id: string) => list.filter((f) => f.ruleId === id).length;
          assert.ok(count(after.findings, finding.ruleId) < count(before.findings, finding.ruleId), `${where} did not remove the finding:\n${fixed}`);
          assert.ok(after.findings.length < before.findings.length, `${where} introduced a finding`);
        }
      }
    });
  }
  it('offered dependency fixes at all', () => assert.ok(total > 15, `only ${total} dependency fixes in the corpus`));
});
