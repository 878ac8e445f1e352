/**
 * Generates docs/rules/<ID>.md for every rule and docs/rules/README.md (the index) from the rule
 * metadata. `--check` exits 1 when a committed file differs from what would be generated.
 *
 * Run with `npm run docs` (or `npm run docs -- --check`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES, STAGES, getGraph, ruleMarkdown } from '../server/src/engine';
import { allThreats, atlasVersion, getMitigation, getTactic, getTechnique, techniqueUrl } from '../server/src/engine/catalog';

const ROOT = path.resolve(__dirname, '..');
export const RULE_DOCS_DIR = path.join(ROOT, 'docs', 'rules');

export function ruleIndex(): string {
  const rows = RULES.map(
    (r) => `| [${r.meta.id}](${r.meta.id}.md) | ${r.meta.name} | ${r.meta.family} | ${r.meta.severity} | ${r.meta.title} |`,
  );
  return [
    '# ThreatLens rules',
    '',
    'Generated from the rule metadata by `npm run docs`; do not edit by hand.',
    '',
    '| Id | Name | Family | Default severity | Title |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** docs/threats.md: every catalog threat with its stages, ATLAS links, mitigations and the rules that evidence it. */
export function threatsDoc(): string {
  const graph = getGraph();
  const stats = graph.stats();
  const link = (id: string) => `[${id}](#${id.toLowerCase()})`;
  const lines = [
    '# ThreatLens threat catalog',
    '',
    'Generated from `threat-catalog/threats.json` and the rule registry by `npm run docs`; do not edit by hand.',
    `MITRE ATLAS ${atlasVersion}. Sources: ${stats.bySource['atlas-case-study'] ?? 0} ATLAS case studies, ` +
      `${stats.bySource.incident ?? 0} AI Incident Database incidents, ${stats.bySource.literature ?? 0} from the research literature. ` +
      `${stats.withRules} of ${stats.threats} threats have at least one ThreatLens rule; the others say what to monitor instead.`,
    '',
    '## By lifecycle stage',
    '',
    '| Stage | Threats |',
    '| --- | --- |',
    ...STAGES.map((stage) => `| ${stage} | ${graph.threatsOfStage(stage).map((t) => link(t.id)).join(' ') || '-'} |`),
    '',
    '## All threats',
    '',
    '| Id | Name | Severity | Source | Rules |',
    '| --- | --- | --- | --- | --- |',
    ...allThreats().map(
      (t) => `| ${link(t.id)} | ${t.name.replace(/\|/g, '\\|')} | ${t.severity} | ${t.source.kind} | ${graph.rulesOfThreat(t.id).map((r) => `[${r}](rules/${r}.md)`).join(' ') || '-'} |`,
    ),
    '',
  ];
  for (const t of allThreats()) {
    const rules = graph.rulesOfThreat(t.id).map((r) => `[${r}](rules/${r}.md)`);
    const mitigations = t.mitigations.atlas.map((id) => {
      const m = getMitigation(id);
      return m ? `[${id}](${m.url}) ${m.name}` : id;
    });
    lines.push(
      `## ${t.id}`,
      '',
      `**${t.name}** · severity ${t.severity} · source: ${t.source.kind} [${t.source.ref}](${t.source.url})`,
      '',
      t.summary,
      '',
      `- Lifecycle stages: ${t.stages.join(', ')}`,
      `- ATLAS tactics: ${t.tactics.map((id) => `${id} ${getTactic(id)?.name ?? ''}`.trim()).join(', ')}`,
      `- ATLAS techniques: ${t.techniques.map((id) => `[${id}](${techniqueUrl(id)}) ${getTechnique(id)?.name ?? ''}`.trim()).join(', ')}`,
      `- Infrastructure layers: ${t.layers.join(', ') || 'none'} · harms: ${t.harms.join(', ')}`,
      `- CWE: ${t.cwe.join(', ') || 'none'} · OWASP ML: ${t.owaspMl.join(', ') || 'none'} · OWASP LLM: ${t.owaspLlm.join(', ') || 'none'}`,
      `- Rules: ${rules.join(', ') || 'none yet'}`,
      `- In code: ${t.inCode.note}`,
      `- ATLAS mitigations: ${mitigations.join(', ')}`,
      '',
      '**Hardening steps**',
      '',
      ...t.mitigations.steps.map((step) => `- ${step}`),
      '',
    );
  }
  return lines.join('\n');
}

/** README.md with its rule table (between the rules:start/end markers) regenerated. */
export function readmeWithRules(readme: string): string {
  const start = '<!-- rules:start -->';
  const end = '<!-- rules:end -->';
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error('README.md lacks the rules:start/rules:end markers');
  const table = [
    '| Id | Name | Severity | What it flags |',
    '| --- | --- | --- | --- |',
    ...RULES.map((r) => `| [${r.meta.id}](docs/rules/${r.meta.id}.md) | ${r.meta.name} | ${r.meta.severity} | ${r.meta.title} |`),
  ].join('\n');
  return `${readme.slice(0, a + start.length)}\n${table}\n${readme.slice(b)}`;
}

/**
 * threat-catalog/threats.json with each threat's `inCode.rules` set from the rule registry (rules
 * name their threats; the catalog's reverse links are derived, never edited by hand).
 */
export function threatsJsonWithRules(current: string): string {
  const data = JSON.parse(current) as { threats: { id: string; inCode: { rules: string[] } }[] };
  for (const t of data.threats) {
    t.inCode.rules = RULES.filter((r) => r.meta.threats.includes(t.id)).map((r) => r.meta.id);
  }
  return JSON.stringify(data, null, 2) + '\n';
}

/** Every generated file: path relative to the repository root → content. */
export function generatedDocs(): Map<string, string> {
  const out = new Map<string, string>();
  for (const rule of RULES) out.set(`docs/rules/${rule.meta.id}.md`, ruleMarkdown(rule));
  out.set('docs/rules/README.md', ruleIndex());
  out.set('docs/threats.md', threatsDoc());
  out.set('threat-catalog/threats.json', threatsJsonWithRules(fs.readFileSync(path.join(ROOT, 'threat-catalog', 'threats.json'), 'utf8')));
  out.set('README.md', readmeWithRules(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')));
  return out;
}

function main(): void {
  const check = process.argv.includes('--check');
  const docs = generatedDocs();
  const stale: string[] = [];
  fs.mkdirSync(RULE_DOCS_DIR, { recursive: true });
  for (const [rel, content] of docs) {
    const file = path.join(ROOT, rel);
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (current === content) continue;
    if (check) stale.push(rel);
    else fs.writeFileSync(file, content);
  }
  const known = new Set([...docs.keys()].filter((rel) => rel.startsWith('docs/rules/')).map((rel) => path.basename(rel)));
  for (const name of fs.readdirSync(RULE_DOCS_DIR)) {
    if (known.has(name)) continue;
    if (check) stale.push(`docs/rules/${name} (no such rule)`);
    else fs.rmSync(path.join(RULE_DOCS_DIR, name));
  }
  if (stale.length) {
    console.error(`Out of date (run \`npm run docs\`):\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  console.log(check ? 'rule docs are up to date' : `generated docs are written (${docs.size} files)`);
}

if (require.main === module) main();
