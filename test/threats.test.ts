/**
 * The whole catalog: 93 threats (26 ATLAS case studies, 12 AI incidents, 55 from the literature),
 * each complete and every cross-reference resolving, in both directions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RULES, getGraph, getRule } from '../server/src/engine';
import { allThreats, getCaseStudy, getMitigation, getTactic, getTechnique } from '../server/src/engine/catalog';

const threats = allThreats();
const pad = (n: number) => `MLT-${String(n).padStart(3, '0')}`;

describe('threat catalog', () => {
  it('has exactly 93 threats, MLT-001 to MLT-093 in order', () => {
    assert.equal(threats.length, 93);
    assert.deepEqual(threats.map((t) => t.id), Array.from({ length: 93 }, (_, i) => pad(i + 1)));
  });

  it('takes 26 threats from ATLAS case studies, 12 from AI incidents and 55 from the literature', () => {
    const kinds = threats.map((t) => t.source.kind);
    assert.deepEqual(kinds.slice(0, 26), Array(26).fill('atlas-case-study'));
    assert.deepEqual(kinds.slice(26, 38), Array(12).fill('incident'));
    assert.deepEqual(kinds.slice(38), Array(55).fill('literature'));
    threats.slice(0, 26).forEach((t, i) => {
      const cs = `AML.CS${String(i).padStart(4, '0')}`;
      assert.equal(t.source.ref, cs, t.id);
      assert.equal(t.name, getCaseStudy(cs)?.name, `${t.id} is named after ${cs}`);
    });
    const incidents = threats.slice(26, 38);
    for (const t of incidents) {
      const m = /^AIID #(\d+)$/.exec(t.source.ref);
      assert.ok(m, `${t.id}: incident ref must be "AIID #<n>", got ${t.source.ref}`);
      assert.equal(t.source.url, `https://incidentdatabase.ai/cite/${m[1]}`);
    }
    assert.equal(new Set(incidents.map((t) => t.source.ref)).size, 12, 'twelve different incidents');
    for (const t of threats.slice(38)) assert.match(t.source.url, /^https:\/\//, `${t.id} cites a reachable source`);
  });

  it('gives every threat stages, techniques, tactics, harms and mitigations', () => {
    for (const t of threats) {
      assert.ok(t.stages.length > 0, `${t.id} has no stage`);
      assert.ok(t.techniques.length > 0, `${t.id} has no technique`);
      assert.ok(t.tactics.length > 0, `${t.id} has no tactic`);
      assert.ok(t.harms.length > 0, `${t.id} harms nothing`);
      assert.ok(t.mitigations.atlas.length > 0 && t.mitigations.steps.length > 0, `${t.id} has no mitigation`);
      assert.ok(t.summary.length > 80, `${t.id} summary is too short`);
      assert.ok(t.inCode.note.length > 20, `${t.id} does not say how it shows in code`);
    }
  });

  it('uses only ATLAS ids that exist, with tactics that its techniques serve', () => {
    for (const t of threats) {
      for (const id of t.techniques) assert.ok(getTechnique(id), `${t.id}: unknown technique ${id}`);
      for (const id of t.tactics) assert.ok(getTactic(id), `${t.id}: unknown tactic ${id}`);
      for (const id of t.mitigations.atlas) assert.ok(getMitigation(id), `${t.id}: unknown mitigation ${id}`);
      // Every tactic is served by one of the techniques, and every technique serves a listed tactic
      // (case studies list the tactic their procedure used, not every tactic a technique can serve).
      const fromTechniques = new Set(t.techniques.flatMap((id) => getTechnique(id)?.tactics ?? []));
      for (const tactic of t.tactics) assert.ok(fromTechniques.has(tactic), `${t.id}: no technique serves ${tactic}`);
      for (const id of t.techniques) {
        assert.ok(getTechnique(id)!.tactics.some((x) => t.tactics.includes(x)), `${t.id}: ${id} serves none of the listed tactics`);
      }
    }
  });

  it('resolves every rule → threat and threat → rule reference, both ways', () => {
    const graph = getGraph();
    for (const rule of RULES) {
      for (const id of rule.meta.threats) {
        const t = threats.find((x) => x.id === id);
        assert.ok(t, `${rule.meta.id} names unknown threat ${id}`);
        assert.ok(t.inCode.rules.includes(rule.meta.id), `${id}.inCode.rules lacks ${rule.meta.id} (run npm run docs)`);
      }
    }
    for (const t of threats) {
      for (const id of t.inCode.rules) {
        assert.ok(getRule(id)?.meta.threats.includes(t.id), `${t.id} lists ${id}, which does not name it`);
      }
      assert.deepEqual(graph.rulesOfThreat(t.id), [...t.inCode.rules].sort());
    }
  });
});
