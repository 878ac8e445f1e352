/**
 * Rule metadata and documentation cannot drift: ids are unique and well formed, every rule links
 * to threats and ATLAS techniques that exist, generated docs are up to date, and each doc's
 * example is flagged while its "use instead" code is not.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { RULES, type Engine } from '../server/src/engine';
import { getTechnique, getThreat } from '../server/src/engine/catalog';
import { generatedDocs } from '../scripts/gen-docs';
import { getEngine, ROOT } from './helpers';

let engine: Engine;
before(async () => {
  engine = await getEngine();
});

describe('rule registry', () => {
  it('has unique, well-formed ids and names', () => {
    const ids = RULES.map((r) => r.meta.id);
    const names = RULES.map((r) => r.meta.name);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(new Set(names).size, names.length);
    for (const r of RULES) {
      assert.match(r.meta.id, /^TL\d{3}$/);
      assert.match(r.meta.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(r.meta.cwe.length > 0 && r.meta.cwe.every((c) => /^CWE-\d+$/.test(c)), r.meta.id);
      // Python rules need trigger words for the pre-check; dependency rules read manifests and have none.
      if (r.manifest) assert.equal(r.triggers.length, 0, `${r.meta.id}: a manifest rule must not run on Python`);
      else assert.ok(r.triggers.length > 0, `${r.meta.id} has no triggers`);
      if (r.manifest) assert.ok(r.meta.docs.exampleFile, `${r.meta.id}: a manifest rule names its example's file`);
      for (const key of ['finds', 'why', 'example', 'useInstead'] as const) assert.ok(r.meta.docs[key].trim().length > 20, `${r.meta.id} docs.${key}`);
      assert.ok(r.meta.docs.references.length > 0 && r.meta.docs.references.every((x) => /^https:\/\//.test(x.url)), `${r.meta.id} references`);
    }
  });

  it('links every rule to threats and ATLAS techniques that exist', () => {
    for (const r of RULES) {
      assert.ok(r.meta.threats.length > 0, `${r.meta.id} names no threat`);
      assert.ok(r.meta.techniques.length > 0, `${r.meta.id} names no technique`);
      for (const t of r.meta.threats) assert.ok(getThreat(t), `${r.meta.id}: unknown threat ${t}`);
      for (const t of r.meta.techniques) assert.ok(getTechnique(t), `${r.meta.id}: unknown ATLAS technique ${t}`);
    }
  });

  it("has trigger words that occur in its own example (the pre-check must not hide a rule's findings)", () => {
    for (const r of RULES) {
      if (r.manifest) continue; // dependency rules read manifests, not Python: they have no trigger words
      assert.ok(r.triggers.some((t) => r.meta.docs.example.includes(t)), r.meta.id);
    }
  });
});

describe('rule documentation', () => {
  it('is generated and up to date (run `npm run docs`)', () => {
    const docs = generatedDocs();
    for (const [rel, content] of docs) {
      const file = path.join(ROOT, rel);
      assert.ok(fs.existsSync(file), `${rel} is missing`);
      assert.equal(fs.readFileSync(file, 'utf8'), content, `${rel} is stale`);
    }
    const onDisk = fs.readdirSync(path.join(ROOT, 'docs', 'rules'));
    assert.deepEqual(onDisk.sort(), [...docs.keys()].filter((k) => k.startsWith('docs/rules/')).map((k) => path.basename(k)).sort());
  });

  for (const rule of RULES) {
    it(`${rule.meta.id}: the example is flagged and the safe form is not`, () => {
      const file = rule.meta.docs.exampleFile;
      if (file) {
        // Dependency rules: the examples are manifests (no lock file next to them).
        const example = engine.analyzeManifest(file, rule.meta.docs.example, { siblings: [] });
        assert.deepEqual(example.problems, [], 'example does not parse');
        assert.ok(example.findings.some((f) => f.ruleId === rule.meta.id), `example not flagged by ${rule.meta.id}: ${JSON.stringify(example.findings.map((f) => f.ruleId))}`);
        const safe = engine.analyzeManifest(file, rule.meta.docs.useInstead, { siblings: [] });
        assert.deepEqual(safe.problems, [], '"use instead" does not parse');
        assert.deepEqual(safe.findings.map((f) => `${f.ruleId}: ${f.message}`), [], '"use instead" is flagged');
        return;
      }
      const example = engine.analyze(rule.meta.docs.example, {}, true);
      assert.equal(example.hasSyntaxErrors, false, 'example does not parse');
      assert.ok(
        example.findings.some((f) => f.ruleId === rule.meta.id),
        `example not flagged by ${rule.meta.id}: ${JSON.stringify(example.findings.map((f) => f.ruleId))}`,
      );
      const safe = engine.analyze(rule.meta.docs.useInstead, {}, true);
      assert.equal(safe.hasSyntaxErrors, false, '"use instead" does not parse');
      assert.deepEqual(safe.findings.map((f) => f.ruleId), [], '"use instead" is flagged');
    });
  }
});
