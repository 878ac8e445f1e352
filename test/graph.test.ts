/**
 * The threat graph: one structure, built from the catalog and the rule registry, that answers the
 * questions the server, the CLI and the explorer ask.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, RULES, STAGES, findingHover, getGraph, getRule } from '../server/src/engine';
import { allThreats, getTechnique } from '../server/src/engine/catalog';

const graph = getGraph();

describe('threat graph', () => {
  it('is built once per process', () => {
    assert.equal(getGraph(), graph);
  });

  it('has a node for every threat, rule and stage, and edges of every kind', () => {
    assert.equal(graph.nodes('threat').length, allThreats().length);
    assert.equal(graph.nodes('rule').length, RULES.length);
    assert.deepEqual(graph.nodes('stage').map((n) => n.id), [...STAGES]);
    for (const kind of ['targets', 'uses', 'achieves', 'mitigated-by', 'weakness', 'evidences'] as const) {
      assert.ok(graph.edges(kind).length > 0, `no ${kind} edges`);
    }
  });

  it('answers threats of a rule and rules of a threat consistently', () => {
    for (const rule of RULES) {
      const threats = graph.threatsOfRule(rule.meta.id);
      assert.deepEqual(threats.map((t) => t.id), [...rule.meta.threats].sort());
      for (const t of threats) assert.ok(graph.rulesOfThreat(t.id).includes(rule.meta.id));
    }
  });

  it('answers threats of a stage, a technique (with sub-techniques) and a tactic', () => {
    for (const stage of STAGES) {
      assert.deepEqual(
        graph.threatsOfStage(stage).map((t) => t.id),
        allThreats().filter((t) => t.stages.includes(stage)).map((t) => t.id),
      );
    }
    const threat = allThreats().find((t) => t.techniques.some((x) => x.includes('.0')))!;
    const sub = threat.techniques.find((x) => /\.\d{3}$/.test(x))!;
    const parent = getTechnique(sub)!.parent!;
    assert.ok(graph.threatsOfTechnique(sub).some((t) => t.id === threat.id));
    assert.ok(graph.threatsOfTechnique(parent).some((t) => t.id === threat.id), 'parent technique finds sub-technique users');
    for (const tactic of threat.tactics) assert.ok(graph.threatsOfTactic(tactic).some((t) => t.id === threat.id));
  });

  it('gives the mitigations of a finding from the threats its rule evidences', () => {
    const m = graph.mitigationsOfRule('TL108');
    assert.ok(m.atlas.length > 0 && m.atlas.every((x) => /^AML\.M\d{4}$/.test(x.id)));
    assert.ok(m.steps.length > 0);
  });

  it('counts threats per stage, source and tactic', () => {
    const s = graph.stats();
    assert.equal(s.threats, allThreats().length);
    assert.equal(Object.values(s.bySource).reduce((a, b) => a + b, 0), s.threats);
    assert.ok(s.withRules > 0 && s.withRules <= s.threats);
  });
});

describe('finding hover', () => {
  it('names every threat with its stages, links the ATLAS techniques and lists mitigations', async () => {
    const engine = await Engine.create();
    const finding = engine.analyze('import torch\nstate = torch.load(p)\n').findings[0];
    const hover = findingHover(finding);
    const meta = getRule('TL108')!.meta;
    for (const t of graph.threatsOfRule('TL108')) {
      assert.ok(hover.includes(t.id) && hover.includes(t.name), t.id);
      assert.ok(hover.includes(t.stages.join(', ')), `${t.id} stages`);
    }
    for (const id of meta.techniques) assert.ok(hover.includes(`(https://atlas.mitre.org/techniques/${id})`), id);
    assert.match(hover, /\*\*Mitigations\*\*/);
    assert.match(hover, /https:\/\/atlas\.mitre\.org\/mitigations\/AML\.M\d{4}/);
  });
});
