/**
 * Human-readable text about rules and findings, shared by the hover, the rule docs, the CLI's
 * `explain` and the generated `docs/rules/*.md`, so they can never disagree.
 */
import { getTechnique, getThreat, techniqueUrl } from './catalog';
import { getGraph } from './graph';
import { getRule } from './registry';
import type { Rule } from './rule';
import type { Finding, RuleMeta } from './types';

export interface ThreatLink {
  id: string;
  name: string;
  stages: readonly string[];
}

export interface TechniqueLink {
  id: string;
  name: string;
  url: string;
}

export function threatsOf(meta: RuleMeta): ThreatLink[] {
  return meta.threats.map((id) => {
    const t = getThreat(id);
    return { id, name: t?.name ?? id, stages: t?.stages ?? [] };
  });
}

export function techniquesOf(meta: RuleMeta): TechniqueLink[] {
  return meta.techniques.map((id) => {
    const t = getTechnique(id);
    const parent = t?.parent ? getTechnique(t.parent) : undefined;
    return {
      id,
      // Sub-techniques read better with their parent: "AI Supply Chain Compromise: Model".
      name: t ? (parent ? `${parent.name}: ${t.name}` : t.name) : id,
      url: techniqueUrl(id) ?? `https://atlas.mitre.org/techniques/${id}`,
    };
  });
}

/** How many threats a one-line summary names before it says "and N more". */
const LINK_LINE_THREATS = 3;

/**
 * One line naming the threats (with their lifecycle stages) and ATLAS techniques a rule
 * evidences, for diagnostics and text output. The hover and docs list every threat.
 */
export function linkLine(meta: RuleMeta): string {
  const all = threatsOf(meta);
  const shown = all
    .slice(0, LINK_LINE_THREATS)
    .map((t) => `${t.id} ${t.name}${t.stages.length ? ` (${t.stages.join(', ')})` : ''}`)
    .join('; ');
  const more = all.length > LINK_LINE_THREATS ? `; and ${all.length - LINK_LINE_THREATS} more` : '';
  return `Threats: ${shown}${more}. ATLAS: ${meta.techniques.join(', ')}.`;
}

/** The lifecycle stages of all threats of a rule, deduplicated, in catalog order of appearance. */
export function stagesOf(meta: RuleMeta): string[] {
  return [...new Set(threatsOf(meta).flatMap((t) => t.stages))];
}

/** Code fence language of an example written in `file` (Python when absent). */
function fenceLanguage(file: string | undefined): string {
  if (!file) return 'python';
  if (file.endsWith('.toml') || file === 'Pipfile') return 'toml';
  if (/\.ya?ml$/.test(file)) return 'yaml';
  if (file.endsWith('.cfg')) return 'ini';
  if (file.endsWith('.py')) return 'python';
  return 'text';
}

function fence(code: string, file?: string): string {
  return '```' + fenceLanguage(file) + '\n' + code.trimEnd() + '\n```';
}

/** The full documentation page of a rule, as markdown (same outline for every rule). */
export function ruleMarkdown(rule: Rule, opts: { threatDocBase?: string } = {}): string {
  const m = rule.meta;
  const threatBase = opts.threatDocBase ?? '../threats.md';
  const lines: string[] = [
    `# ${m.id} ${m.name}: ${m.title}`,
    '',
    `Family: ${m.family} · Default severity: ${m.severity} · ${m.cwe.map((c) => `[${c}](https://cwe.mitre.org/data/definitions/${c.slice(4)}.html)`).join(', ')}`,
    '',
    '## What it finds',
    '',
    m.docs.finds,
    '',
    '## Why it is dangerous',
    '',
    m.docs.why,
    '',
    m.docs.exampleFile ? `## Example (\`${m.docs.exampleFile}\`)` : '## Example',
    '',
    fence(m.docs.example, m.docs.exampleFile),
    '',
    '## Use instead',
    '',
    fence(m.docs.useInstead, m.docs.exampleFile),
    '',
    '## Threats',
    '',
    ...threatsOf(m).map(
      (t) => `- [${t.id}](${threatBase}#${t.id.toLowerCase()}) ${t.name}${t.stages.length ? ` (stages: ${t.stages.join(', ')})` : ''}`,
    ),
    '',
    '## MITRE ATLAS techniques',
    '',
    ...techniquesOf(m).map((t) => `- [${t.id}](${t.url}) ${t.name}`),
    '',
  ];
  const peers = [...(m.peers?.bandit ?? []).map((b) => `Bandit ${b}`), ...(m.peers?.ruff ?? []).map((r) => `Ruff ${r}`)];
  if (peers.length) {
    const nosec = m.peers?.bandit?.length ? ` A \`# nosec ${m.peers.bandit[0]}\` comment also silences this rule.` : '';
    lines.push('## Same check elsewhere', '', `${peers.join(', ')}.${nosec}`, '');
  }
  lines.push(
    '## Suppressing',
    '',
    `Add \`# threatlens: ignore[${m.id}] <reason>\` to the line, or \`# threatlens: ignore-next-line[${m.id}] <reason>\` on the line above.`,
    '',
    '## References',
    '',
    ...m.docs.references.map((r) => `- [${r.title}](${r.url})`),
    '',
  );
  return lines.join('\n');
}

/** ATLAS mitigations of the threats a rule evidences, as hover lines (at most four). */
function mitigationLines(ruleId: string): string[] {
  const { atlas } = getGraph().mitigationsOfRule(ruleId);
  if (atlas.length === 0) return [];
  const shown = atlas.slice(0, 4).map((x) => `[${x.id}](${x.url}) ${x.name}`);
  return [`**Mitigations**  \n${shown.join('  \n')}`, ''];
}

/** Markdown shown when hovering a finding. */
export function findingHover(finding: Finding): string {
  const rule = getRule(finding.ruleId);
  if (!rule) return finding.message;
  const m = rule.meta;
  const threats = threatsOf(m)
    .map((t) => `**${t.id}** ${t.name}${t.stages.length ? ` · _${t.stages.join(', ')}_` : ''}`)
    .join('  \n');
  const techniques = techniquesOf(m)
    .map((t) => `[${t.id}](${t.url}) ${t.name}`)
    .join('  \n');
  return [
    `**ThreatLens ${m.id}** · ${m.title} · severity **${finding.severity}**`,
    '',
    finding.message,
    '',
    m.docs.why,
    '',
    `**Threats**  \n${threats}`,
    '',
    `**MITRE ATLAS**  \n${techniques}`,
    '',
    ...mitigationLines(m.id),
    `**Use instead**`,
    '',
    fence(m.docs.useInstead, m.docs.exampleFile),
  ].join('\n');
}
