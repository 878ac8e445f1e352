import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';

import Ajv2020 from 'ajv/dist/2020';
import { load } from 'js-yaml';

import {
  allThreats,
  atlasVersion,
  getMitigation,
  getRenamed,
  getTactic,
  getTechnique,
  getThreat,
  techniqueUrl,
  threatUrl,
} from '../server/src/engine/catalog';

const root = resolve(__dirname, '..');
const catalogDir = join(root, 'threat-catalog');
const sharedRoot = process.env.THREATLENS_SHARED
  ? resolve(process.env.THREATLENS_SHARED)
  : resolve(root, '..', 'shared');
const hasShared = existsSync(join(sharedRoot, 'data', 'atlas', 'ATLAS.yaml'));

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

interface IdName {
  id: string;
  name: string;
  url: string;
}
interface Described extends IdName {
  description: string;
}
interface AtlasData {
  version: string;
  tactics: (Described & { order: number })[];
  techniques: (Described & { tactics: string[]; parent?: string })[];
  mitigations: (Described & { techniques: string[] })[];
  caseStudies: (IdName & { procedure: { tactic: string; technique: string }[] })[];
  renamed: { id: string; oldName: string; name: string }[];
}
interface ThreatData {
  id: string;
  name: string;
  source: { kind: string; ref: string; url: string; atlasCaseStudy?: string };
  stages: string[];
  tactics: string[];
  techniques: string[];
  layers: string[];
  harms: string[];
  mitigations: { atlas: string[]; steps: string[] };
}
interface ThreatsData {
  atlasVersion: string;
  threats: ThreatData[];
}
interface SchemaDefs {
  $defs: Record<string, { enum?: string[] }>;
}

const atlasSchema = readJson(join(catalogDir, 'schema', 'atlas.schema.json')) as object;
const threatsSchema = readJson(join(catalogDir, 'schema', 'threats.schema.json')) as SchemaDefs;
const atlas = readJson(join(catalogDir, 'atlas.json')) as AtlasData;
const data = readJson(join(catalogDir, 'threats.json')) as ThreatsData;

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validateAtlas = ajv.compile(atlasSchema);
const validateThreats = ajv.compile(threatsSchema);

function schemaErrors(validate: typeof validateAtlas, value: unknown): string {
  validate(value);
  return ajv.errorsText(validate.errors, { separator: '\n' });
}

function enumOf(def: string): string[] {
  const values = threatsSchema.$defs[def]?.enum;
  assert.ok(values, `threats schema has no enum ${def}`);
  return values;
}

function byId<T extends { id: string }>(items: T[]): Map<string, T> {
  return new Map(items.map((x) => [x.id, x]));
}

const tactics = byId(atlas.tactics);
const techniques = byId(atlas.techniques);
const mitigations = byId(atlas.mitigations);
const caseStudies = byId(atlas.caseStudies);

/** Number in `MLT-017`. */
function threatNumber(id: string): number {
  return Number(id.slice('MLT-'.length));
}

function assertSortedUnique(values: string[], what: string): void {
  const sorted = [...new Set(values)].sort();
  assert.deepEqual(values, sorted, `${what} must be sorted by id without duplicates`);
}

function assertCanonicalOrder(values: string[], order: string[], what: string): void {
  const expected = [...values].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  assert.deepEqual(values, expected, `${what} must follow the order ${order.join(', ')}`);
}

function sameSet(actual: string[], expected: string[], what: string): void {
  assert.deepEqual([...new Set(actual)].sort(), [...new Set(expected)].sort(), what);
}

describe('schemas', () => {
  test('atlas.json matches atlas.schema.json', () => {
    assert.ok(validateAtlas(atlas), schemaErrors(validateAtlas, atlas));
  });

  test('threats.json matches threats.schema.json', () => {
    assert.ok(validateThreats(data), schemaErrors(validateThreats, data));
  });

  test('the threats schema rejects malformed entries', () => {
    const good = data.threats[0];
    const cases: [string, unknown][] = [
      ['bad id', { ...good, id: 'MLT-17' }],
      ['unknown property', { ...good, extra: true }],
      ['unknown stage', { ...good, stages: ['Testing'] }],
      ['bad technique id', { ...good, techniques: ['T0010'] }],
      ['bad CWE id', { ...good, cwe: ['502'] }],
      ['no techniques', { ...good, techniques: [] }],
      ['case study ref that is not an ATLAS id', { ...good, source: { ...good.source, ref: 'PoisonGPT' } }],
    ];
    for (const [label, threat] of cases) {
      assert.equal(validateThreats({ ...data, threats: [threat] }), false, `schema accepted: ${label}`);
    }
  });
});

describe('atlas.json', () => {
  test('is for ATLAS 5.6.0 and matches the version threats.json refers to', () => {
    assert.equal(atlas.version, '5.6.0');
    assert.equal(data.atlasVersion, atlas.version);
  });

  test('every list is sorted by id without duplicates', () => {
    for (const key of ['tactics', 'techniques', 'mitigations', 'caseStudies', 'renamed'] as const) {
      assertSortedUnique(
        atlas[key].map((x) => x.id),
        key,
      );
    }
  });

  test('links use the official ATLAS URL forms', () => {
    const base = 'https://atlas.mitre.org';
    for (const t of atlas.tactics) assert.equal(t.url, `${base}/tactics/${t.id}`);
    for (const t of atlas.techniques) assert.equal(t.url, `${base}/techniques/${t.id}`);
    for (const m of atlas.mitigations) assert.equal(m.url, `${base}/mitigations/${m.id}`);
    for (const c of atlas.caseStudies) assert.equal(c.url, `${base}/studies/${c.id}`);
  });

  test('cross references resolve', () => {
    for (const t of atlas.techniques) {
      for (const ta of t.tactics) assert.ok(tactics.has(ta), `${t.id}: unknown tactic ${ta}`);
      if (t.parent !== undefined) {
        assert.ok(t.id.startsWith(`${t.parent}.`), `${t.id}: parent ${t.parent}`);
        assert.ok(techniques.has(t.parent), `${t.id}: unknown parent ${t.parent}`);
      } else {
        assert.doesNotMatch(t.id, /\.\d{3}$/, `${t.id}: sub-technique without parent`);
      }
    }
    for (const m of atlas.mitigations) {
      for (const t of m.techniques) assert.ok(techniques.has(t), `${m.id}: unknown technique ${t}`);
    }
    for (const c of atlas.caseStudies) {
      for (const step of c.procedure) {
        assert.ok(tactics.has(step.tactic), `${c.id}: unknown tactic ${step.tactic}`);
        assert.ok(techniques.has(step.technique), `${c.id}: unknown technique ${step.technique}`);
      }
    }
    const order = atlas.tactics.map((t) => t.order).sort((a, b) => a - b);
    assert.deepEqual(order, atlas.tactics.map((_, i) => i), 'tactic order must be a permutation');
  });

  test('holds the 26 case studies the catalog ids AML.CS0000..AML.CS0025 map to', () => {
    for (let n = 0; n < 26; n++) {
      const id = `AML.CS${String(n).padStart(4, '0')}`;
      assert.ok(caseStudies.has(id), `missing ${id}`);
    }
  });
});

describe('ATLAS descriptions', () => {
  const sections = ['tactics', 'techniques', 'mitigations'] as const;
  type Section = (typeof sections)[number];
  const descriptions = readJson(join(catalogDir, 'atlas-descriptions.json')) as Record<Section, Record<string, string>>;

  /** Lower-case words, with markdown links reduced to their text, for comparing wording. */
  function words(text: string): string[] {
    const plain = text.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').toLowerCase();
    return plain.match(/[a-z0-9]+(?:['\u2019][a-z]+)?/g) ?? [];
  }

  /** The first run of `n` consecutive words that `text` shares with `source`, if any. */
  function sharedRun(text: string, source: string, n: number): string | undefined {
    const runs = new Set<string>();
    const src = words(source);
    for (let i = 0; i + n <= src.length; i++) runs.add(src.slice(i, i + n).join(' '));
    const own = words(text);
    for (let i = 0; i + n <= own.length; i++) {
      const run = own.slice(i, i + n).join(' ');
      if (runs.has(run)) return run;
    }
    return undefined;
  }

  test('every tactic, technique and mitigation has a description', () => {
    for (const key of sections) {
      assert.ok(atlas[key].length > 0, `atlas.json has no ${key}`);
      for (const item of atlas[key]) {
        assert.equal(typeof item.description, 'string', `${item.id}: no description`);
        assert.match(item.description, /\S/, `${item.id}: empty description`);
      }
    }
    for (const t of atlas.tactics) assert.equal(getTactic(t.id)?.description, t.description);
    for (const t of atlas.techniques) assert.equal(getTechnique(t.id)?.description, t.description);
    for (const m of atlas.mitigations) assert.equal(getMitigation(m.id)?.description, m.description);
  });

  test('atlas-descriptions.json describes exactly the atlas.json ids, sorted, and is what atlas.json carries', () => {
    assert.deepEqual(Object.keys(descriptions), [...sections]);
    for (const key of sections) {
      const ids = Object.keys(descriptions[key]);
      assertSortedUnique(ids, `atlas-descriptions.json ${key}`);
      assert.deepEqual(
        ids,
        atlas[key].map((x) => x.id),
        `atlas-descriptions.json ${key} must list the same ids as atlas.json`,
      );
      for (const item of atlas[key]) assert.equal(item.description, descriptions[key][item.id]?.trim(), item.id);
    }
  });

  test('descriptions are short: one or two sentences, at most 240 characters', () => {
    for (const key of sections) {
      for (const item of atlas[key]) {
        assert.ok(item.description.length <= 240, `${item.id}: ${item.description.length} characters`);
        const sentences = item.description.split(/[.!?](?:\s+|$)(?=[A-Z]|$)/).filter((x) => x.trim() !== '');
        assert.ok(sentences.length <= 2, `${item.id}: more than two sentences`);
      }
    }
  });

  test('no description copies ATLAS wording (equal text or a shared run of 12 words)', (t) => {
    if (!hasShared) {
      t.skip('shared data not found');
      return;
    }
    const doc = load(readFileSync(join(sharedRoot, 'data', 'atlas', 'ATLAS.yaml'), 'utf8')) as {
      matrices: Record<Section, { id: string; description?: string }[]>[];
    };
    const matrix = doc.matrices[0];
    assert.ok(matrix, 'ATLAS.yaml has no matrix');
    const RUN = 12;
    let compared = 0;
    for (const key of sections) {
      const official = new Map(matrix[key].map((x) => [x.id, x.description ?? '']));
      for (const item of atlas[key]) {
        const source = official.get(item.id);
        assert.ok(source !== undefined, `${item.id} is not in ATLAS.yaml`);
        assert.notEqual(words(item.description).join(' '), words(source).join(' '), `${item.id}: same text as ATLAS`);
        const run = sharedRun(item.description, source, RUN);
        assert.equal(run, undefined, `${item.id}: repeats ATLAS wording "${run}"`);
        compared++;
      }
    }
    assert.equal(compared, atlas.tactics.length + atlas.techniques.length + atlas.mitigations.length);
  });
});

describe('threats.json', () => {
  const stageOrder = enumOf('stage');
  const layerOrder = enumOf('layer');
  const harmOrder = enumOf('harm');

  test('threat ids are unique, sorted and follow the MLT-001..MLT-093 scheme', () => {
    const ids = data.threats.map((t) => t.id);
    assertSortedUnique(ids, 'threat ids');
    for (const id of ids) {
      assert.match(id, /^MLT-\d{3}$/);
      const n = threatNumber(id);
      assert.ok(n >= 1 && n <= 93, `${id} is outside MLT-001..MLT-093`);
    }
  });

  test('each id range comes from the source the scheme assigns to it', () => {
    for (const t of data.threats) {
      const n = threatNumber(t.id);
      if (n <= 26) {
        assert.equal(t.source.kind, 'atlas-case-study', t.id);
        assert.equal(t.source.ref, `AML.CS${String(n - 1).padStart(4, '0')}`, `${t.id} must be AML.CS(n-1)`);
      } else if (n <= 38) {
        assert.equal(t.source.kind, 'incident', t.id);
      } else if (n <= 91) {
        assert.equal(t.source.kind, 'literature', t.id);
      }
    }
  });

  test('each threat has stages, tactics, techniques and mitigations', () => {
    for (const t of data.threats) {
      assert.ok(t.stages.length > 0, `${t.id}: no stages`);
      assert.ok(t.tactics.length > 0, `${t.id}: no tactics`);
      assert.ok(t.techniques.length > 0, `${t.id}: no techniques`);
      assert.ok(t.mitigations.atlas.length > 0, `${t.id}: no ATLAS mitigations`);
      assert.ok(t.mitigations.steps.length > 0, `${t.id}: no hardening steps`);
    }
  });

  test('lists are in a stable order', () => {
    for (const t of data.threats) {
      assertSortedUnique(t.tactics, `${t.id} tactics`);
      assertSortedUnique(t.techniques, `${t.id} techniques`);
      assertSortedUnique(t.mitigations.atlas, `${t.id} mitigations`);
      assertCanonicalOrder(t.stages, stageOrder, `${t.id} stages`);
      assertCanonicalOrder(t.layers, layerOrder, `${t.id} layers`);
      assertCanonicalOrder(t.harms, harmOrder, `${t.id} harms`);
    }
  });

  test('every ATLAS id a threat uses exists in atlas.json', () => {
    for (const t of data.threats) {
      for (const id of t.tactics) assert.ok(tactics.has(id), `${t.id}: unknown tactic ${id}`);
      for (const id of t.techniques) assert.ok(techniques.has(id), `${t.id}: unknown technique ${id}`);
      for (const id of t.mitigations.atlas) assert.ok(mitigations.has(id), `${t.id}: unknown mitigation ${id}`);
      const cs = t.source.kind === 'atlas-case-study' ? t.source.ref : t.source.atlasCaseStudy;
      if (cs !== undefined) assert.ok(caseStudies.has(cs), `${t.id}: unknown case study ${cs}`);
    }
  });

  test('tactics and techniques of a threat agree with each other', () => {
    for (const t of data.threats) {
      const covered = new Set(t.techniques.flatMap((id) => techniques.get(id)?.tactics ?? []));
      for (const ta of t.tactics) assert.ok(covered.has(ta), `${t.id}: ${ta} is no tactic of its techniques`);
      for (const id of t.techniques) {
        const own = techniques.get(id)?.tactics ?? [];
        assert.ok(
          own.some((ta) => t.tactics.includes(ta)),
          `${t.id}: none of the tactics of ${id} (${own.join(', ')}) is listed`,
        );
      }
    }
  });

  test('each ATLAS mitigation addresses one of the threat techniques (or their parent)', () => {
    for (const t of data.threats) {
      const targets = new Set(t.techniques.flatMap((id) => [id, techniques.get(id)?.parent ?? id]));
      for (const id of t.mitigations.atlas) {
        const m = mitigations.get(id);
        assert.ok(
          m?.techniques.some((tech) => targets.has(tech)),
          `${t.id}: ${id} addresses none of ${[...targets].join(', ')}`,
        );
      }
    }
  });

  test('ATLAS case-study threats copy name, link, techniques and tactics from the case study', () => {
    for (const t of data.threats.filter((x) => x.source.kind === 'atlas-case-study')) {
      const cs = caseStudies.get(t.source.ref);
      assert.ok(cs, `${t.id}: ${t.source.ref} not in atlas.json`);
      assert.equal(t.name, cs.name, `${t.id}: name`);
      assert.equal(t.source.url, cs.url, `${t.id}: url`);
      sameSet(
        t.techniques,
        cs.procedure.map((s) => s.technique),
        `${t.id}: techniques must be those of the ${cs.id} procedure`,
      );
      sameSet(
        t.tactics,
        cs.procedure.map((s) => s.tactic),
        `${t.id}: tactics must be those of the ${cs.id} procedure`,
      );
    }
  });

  test('literature threats match the literature graph of arXiv 2512.23132', (t) => {
    if (!hasShared) {
      t.skip('shared data not found');
      return;
    }
    const graph = readJson(join(sharedRoot, 'data', 'paper-2512.23132', 'literature-threat-graph.json')) as {
      ttps: { name: string; stages: string[] }[];
    };
    assert.equal(graph.ttps.length, 53);
    for (const threat of data.threats.filter((x) => x.source.kind === 'literature')) {
      const n = threatNumber(threat.id);
      if (n > 91) continue;
      const ttp = graph.ttps[n - 39];
      assert.ok(ttp, `${threat.id}: no ttps[${n - 39}]`);
      assert.equal(threat.name, ttp.name, `${threat.id} must be ttps[${n - 39}]`);
      // The graph gives no stage for a few ttps (Gradient Masking); the catalog chooses them then.
      if (ttp.stages.length > 0) sameSet(threat.stages, ttp.stages, `${threat.id}: stages`);
    }
  });
});

describe('gen-atlas.mjs', () => {
  test('--check finds atlas.json up to date', (t) => {
    if (!hasShared) {
      t.skip('shared data not found');
      return;
    }
    const run = spawnSync(process.execPath, [join(root, 'scripts', 'gen-atlas.mjs'), '--check'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, THREATLENS_SHARED: sharedRoot },
    });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  });

  test('--check skips with a notice when the shared data is absent', () => {
    const run = spawnSync(process.execPath, [join(root, 'scripts', 'gen-atlas.mjs'), '--check'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, THREATLENS_SHARED: join(root, 'threat-catalog', 'no-such-shared-folder') },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /shared data not found, skipping/);
  });
});

describe('catalog.ts', () => {
  test('exposes the ATLAS version and every threat in id order', () => {
    assert.equal(atlasVersion, atlas.version);
    assert.deepEqual(
      allThreats().map((t) => t.id),
      data.threats.map((t) => t.id),
    );
  });

  test('looks up threats, tactics, techniques and renames', () => {
    assert.equal(getThreat('MLT-019')?.source.ref, 'AML.CS0018');
    assert.equal(getThreat('MLT-999'), undefined);
    assert.equal(getTactic('AML.TA0004')?.url, 'https://atlas.mitre.org/tactics/AML.TA0004');
    const model = getTechnique('AML.T0010.003');
    assert.equal(model?.parent, 'AML.T0010');
    assert.deepEqual(model?.tactics, getTechnique('AML.T0010')?.tactics);
    assert.equal(getRenamed('AML.T0010')?.oldName, 'ML Supply Chain Compromise');
    assert.equal(getRenamed('AML.T0011')?.name, undefined);
  });

  test('builds links', () => {
    assert.equal(techniqueUrl('AML.T0010.003'), 'https://atlas.mitre.org/techniques/AML.T0010.003');
    assert.equal(techniqueUrl('AML.T9999'), undefined);
    assert.equal(threatUrl('MLT-017'), 'docs/threats.md#mlt-017');
    assert.equal(threatUrl('MLT-999'), undefined);
  });
});
