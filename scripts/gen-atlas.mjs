#!/usr/bin/env node
// Generates threat-catalog/atlas.json from the compiled MITRE ATLAS release kept in the shared data
// folder (a sibling of the repository: ../shared/data/atlas, or $THREATLENS_SHARED/data/atlas).
//
//   node scripts/gen-atlas.mjs           write threat-catalog/atlas.json
//   node scripts/gen-atlas.mjs --check   exit 1 when the committed file differs from the generated one
//
// Only ids, names, links and id-to-id relations are kept from ATLAS; its descriptions are not copied.
// Each tactic, technique and mitigation gets ThreatLens's own description, merged from the hand-written
// threat-catalog/atlas-descriptions.json. The run fails (exit 2) when an ATLAS id has no description there
// or when that file describes an id ATLAS does not have.
// The output is deterministic: fixed key order, entries sorted by id, 2-space indent, final newline.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sharedRoot = process.env.THREATLENS_SHARED
  ? resolve(process.env.THREATLENS_SHARED)
  : resolve(repoRoot, '..', 'shared');
const atlasDir = join(sharedRoot, 'data', 'atlas');
const outFile = join(repoRoot, 'threat-catalog', 'atlas.json');
const descriptionsFile = join(repoRoot, 'threat-catalog', 'atlas-descriptions.json');
const DESCRIPTIONS_NAME = 'threat-catalog/atlas-descriptions.json';

const CURRENT_FILE = 'ATLAS.yaml';
const PREVIOUS_FILE = 'ATLAS-v4.7.0.yaml';
const RENAMES_FILE = 'renames-v4.7.0-to-v5.6.0.json';
const SITE = 'https://atlas.mitre.org';

const ID = {
  tactic: /^AML\.TA\d{4}$/,
  technique: /^AML\.T\d{4}(\.\d{3})?$/,
  mitigation: /^AML\.M\d{4}$/,
  caseStudy: /^AML\.CS\d{4}$/,
};

class InputError extends Error {}

function fail(message) {
  throw new InputError(message);
}

/** Code-point order, independent of the locale. */
function byId(a, b) {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function sortedUnique(values) {
  return [...new Set(values)].sort();
}

function checkId(kind, id, where) {
  if (typeof id !== 'string' || !ID[kind].test(id)) fail(`${where}: malformed ${kind} id ${JSON.stringify(id)}`);
  return id;
}

function checkName(name, where) {
  if (typeof name !== 'string' || name.trim() === '') fail(`${where}: missing name`);
  return name.trim();
}

function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

function onlyMatrix(doc, file) {
  if (!doc || typeof doc !== 'object') fail(`${file}: not a YAML mapping`);
  if (typeof doc.version !== 'string' && typeof doc.version !== 'number') fail(`${file}: no version field`);
  if (!Array.isArray(doc.matrices) || doc.matrices.length !== 1) {
    fail(`${file}: expected exactly one matrix, found ${Array.isArray(doc.matrices) ? doc.matrices.length : 'none'}`);
  }
  return doc.matrices[0];
}

/** The hand-written descriptions: { tactics, techniques, mitigations }, each an id -> text object. */
function readDescriptions() {
  if (!existsSync(descriptionsFile)) fail(`${DESCRIPTIONS_NAME} not found`);
  let doc;
  try {
    doc = JSON.parse(readFileSync(descriptionsFile, 'utf8'));
  } catch (err) {
    fail(`${DESCRIPTIONS_NAME}: not valid JSON (${err.message})`);
  }
  const sections = ['tactics', 'techniques', 'mitigations'];
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail(`${DESCRIPTIONS_NAME}: not a JSON object`);
  const extra = Object.keys(doc).filter((key) => !sections.includes(key));
  if (extra.length > 0) fail(`${DESCRIPTIONS_NAME}: unexpected section(s) ${extra.join(', ')}`);
  for (const key of sections) {
    const section = doc[key];
    if (!section || typeof section !== 'object' || Array.isArray(section)) {
      fail(`${DESCRIPTIONS_NAME}: section "${key}" missing or not an object`);
    }
  }
  return doc;
}

/**
 * Checks that the descriptions cover exactly the ids of this release and returns a lookup.
 * All problems are reported together so one run shows everything that needs writing or removing.
 */
function descriptionLookup(descriptions, idsByKind) {
  const problems = [];
  for (const [key, ids] of Object.entries(idsByKind)) {
    const section = descriptions[key];
    for (const id of ids) {
      const text = Object.hasOwn(section, id) ? section[id] : undefined;
      if (text === undefined) problems.push(`no description for ${id} (${key})`);
      else if (typeof text !== 'string' || text.trim() === '') problems.push(`empty description for ${id} (${key})`);
    }
    const known = new Set(ids);
    for (const id of Object.keys(section)) {
      if (!known.has(id)) problems.push(`${id} (${key}) is not in ${CURRENT_FILE}`);
    }
  }
  if (problems.length > 0) {
    fail(`${DESCRIPTIONS_NAME} does not match ATLAS:\n  ${problems.join('\n  ')}`);
  }
  return (key, id) => descriptions[key][id].trim();
}

/** id -> name for every tactic, technique, mitigation and case study of one release. */
function namesById(doc, file) {
  const matrix = onlyMatrix(doc, file);
  const names = new Map();
  for (const list of [matrix.tactics, matrix.techniques, matrix.mitigations, doc['case-studies']]) {
    for (const entry of list ?? []) names.set(entry.id, checkName(entry.name, `${file} ${entry.id}`));
  }
  return names;
}

function build({ current, currentText, previous, previousText, renames, copyright, descriptions }) {
  const matrix = onlyMatrix(current, CURRENT_FILE);
  const version = String(current.version);

  const seen = new Set();
  const unique = (id, where) => {
    if (seen.has(id)) fail(`${where}: duplicate id ${id}`);
    seen.add(id);
    return id;
  };

  const tactics = (matrix.tactics ?? []).map((t, order) => {
    const id = unique(checkId('tactic', t.id, CURRENT_FILE), CURRENT_FILE);
    return { id, name: checkName(t.name, id), url: `${SITE}/tactics/${id}`, order };
  });
  const tacticIds = new Set(tactics.map((t) => t.id));

  const rawTechniques = new Map();
  for (const t of matrix.techniques ?? []) {
    rawTechniques.set(unique(checkId('technique', t.id, CURRENT_FILE), CURRENT_FILE), t);
  }
  const techniques = [...rawTechniques.values()].map((t) => {
    const id = t.id;
    const parent = t['subtechnique-of'];
    if (parent !== undefined) {
      if (!rawTechniques.has(parent)) fail(`${id}: parent technique ${parent} not found`);
      if (!id.startsWith(`${parent}.`)) fail(`${id}: id does not extend its parent ${parent}`);
    } else if (id.includes('.', 'AML.T'.length)) {
      fail(`${id}: looks like a sub-technique but has no subtechnique-of`);
    }
    // Sub-techniques in the compiled release carry no tactics of their own: they inherit the parent's.
    let own = Array.isArray(t.tactics) ? t.tactics : [];
    if (own.length === 0 && parent !== undefined) own = rawTechniques.get(parent).tactics ?? [];
    if (own.length === 0) fail(`${id}: no tactics`);
    for (const ta of own) {
      if (!tacticIds.has(ta)) fail(`${id}: unknown tactic ${ta}`);
    }
    const entry = { id, name: checkName(t.name, id), url: `${SITE}/techniques/${id}`, tactics: sortedUnique(own) };
    if (parent !== undefined) entry.parent = parent;
    return entry;
  });
  const techniqueIds = new Set(techniques.map((t) => t.id));

  const mitigations = (matrix.mitigations ?? []).map((m) => {
    const id = unique(checkId('mitigation', m.id, CURRENT_FILE), CURRENT_FILE);
    const addressed = (m.techniques ?? []).map((ref) => {
      const tid = typeof ref === 'string' ? ref : ref?.id;
      if (!techniqueIds.has(tid)) fail(`${id}: unknown technique ${tid}`);
      return tid;
    });
    return { id, name: checkName(m.name, id), url: `${SITE}/mitigations/${id}`, techniques: sortedUnique(addressed) };
  });

  // ThreatLens's own descriptions, placed right after the name; every id must have one and no other.
  const describe = descriptionLookup(descriptions, {
    tactics: tactics.map((t) => t.id),
    techniques: techniques.map((t) => t.id),
    mitigations: mitigations.map((m) => m.id),
  });
  const described = (key, { id, name, ...rest }) => ({ id, name, description: describe(key, id), ...rest });

  const caseStudies = (current['case-studies'] ?? []).map((c) => {
    const id = unique(checkId('caseStudy', c.id, CURRENT_FILE), CURRENT_FILE);
    const procedure = (c.procedure ?? []).map((step, i) => {
      if (!tacticIds.has(step.tactic)) fail(`${id} step ${i + 1}: unknown tactic ${step.tactic}`);
      if (!techniqueIds.has(step.technique)) fail(`${id} step ${i + 1}: unknown technique ${step.technique}`);
      return { tactic: step.tactic, technique: step.technique };
    });
    return { id, name: checkName(c.name, id), url: `${SITE}/studies/${id}`, procedure };
  });

  // Names that changed between the previous release and this one (ids are stable across releases).
  const oldNames = namesById(previous, PREVIOUS_FILE);
  const newNames = namesById(current, CURRENT_FILE);
  const renamed = [];
  for (const [id, oldName] of oldNames) {
    const name = newNames.get(id);
    if (name !== undefined && name !== oldName) renamed.push({ id, oldName, name });
  }
  // The shared folder also ships a hand-derived rename list for tactics and techniques; it must agree.
  const computed = new Map(renamed.map((r) => [r.id, r]));
  const listed = [...(renames.tactics ?? []), ...(renames.techniques ?? [])];
  for (const r of listed) {
    const mine = computed.get(r.id);
    if (!mine || mine.oldName !== r['v4.7.0'] || mine.name !== r['v5.6.0']) {
      fail(`${RENAMES_FILE}: entry ${r.id} does not match the difference between the two YAML files`);
    }
  }
  const listedIds = new Set(listed.map((r) => r.id));
  for (const r of renamed) {
    if ((ID.tactic.test(r.id) || ID.technique.test(r.id)) && !listedIds.has(r.id)) {
      fail(`${RENAMES_FILE}: rename of ${r.id} is missing`);
    }
  }

  return {
    $schema: './schema/atlas.schema.json',
    version,
    source: {
      name: 'MITRE ATLAS',
      url: `${SITE}/`,
      repository: 'https://github.com/mitre-atlas/atlas-data',
      path: 'dist/ATLAS.yaml',
      license: 'Apache-2.0',
      copyright,
      files: [
        { name: CURRENT_FILE, version, sha256: sha256(currentText) },
        { name: PREVIOUS_FILE, version: String(previous.version), sha256: sha256(previousText) },
      ],
    },
    tactics: tactics.map((t) => described('tactics', t)).sort(byId),
    techniques: techniques.map((t) => described('techniques', t)).sort(byId),
    mitigations: mitigations.map((m) => described('mitigations', m)).sort(byId),
    caseStudies: caseStudies.sort(byId),
    renamed: renamed.sort(byId),
  };
}

async function generate() {
  const { load } = await import('js-yaml');
  const read = (name) => readFileSync(join(atlasDir, name), 'utf8');
  const currentText = read(CURRENT_FILE);
  const previousText = read(PREVIOUS_FILE);
  const licenseLine = read('LICENSE')
    .split(/\r?\n/)
    .find((line) => /^Copyright\b/.test(line.trim()));
  if (!licenseLine) fail('LICENSE: no copyright line');
  const data = build({
    current: load(currentText),
    currentText,
    previous: load(previousText),
    previousText,
    renames: JSON.parse(read(RENAMES_FILE)),
    copyright: licenseLine.trim(),
    descriptions: readDescriptions(),
  });
  return `${JSON.stringify(data, null, 2)}\n`;
}

function firstDifference(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return { line: i + 1, committed: x[i], generated: y[i] };
  }
  return undefined;
}

async function main() {
  const check = process.argv.includes('--check');
  const shown = relative(process.cwd(), outFile) || outFile;
  if (!existsSync(join(atlasDir, CURRENT_FILE))) {
    if (check) {
      console.log('gen-atlas: shared data not found, skipping (set THREATLENS_SHARED to the shared folder to check)');
      return 0;
    }
    console.error(`gen-atlas: shared data not found: no ${CURRENT_FILE} under ${atlasDir} (set THREATLENS_SHARED)`);
    return 1;
  }
  const generated = await generate();
  if (!check) {
    writeFileSync(outFile, generated);
    console.log(`gen-atlas: wrote ${shown}`);
    return 0;
  }
  const committed = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
  if (committed === generated) {
    console.log(`gen-atlas: ${shown} is up to date`);
    return 0;
  }
  const diff = firstDifference(committed, generated);
  console.error(`gen-atlas: ${shown} is out of date; run: node scripts/gen-atlas.mjs`);
  if (diff) {
    console.error(`  first difference at line ${diff.line}`);
    console.error(`  committed: ${diff.committed ?? '(end of file)'}`);
    console.error(`  generated: ${diff.generated ?? '(end of file)'}`);
  }
  return 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`gen-atlas: ${err instanceof InputError ? err.message : (err?.stack ?? err)}`);
    process.exitCode = 2;
  },
);
