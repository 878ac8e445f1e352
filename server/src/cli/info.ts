/** `threatlens rules` and `threatlens explain`: what the rules and threats are. */
import { getMitigation, getTactic, getTechnique, getThreat, techniqueUrl, type Threat } from '../engine/catalog';
import { RULES, getRule, ruleMarkdown } from '../engine';
import { UsageError } from './args';

/** Pads each column of `rows` to its widest cell (the last column is left as is). */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n') + '\n';
}

export function rulesTable(): string {
  return table([
    ['ID', 'SEVERITY', 'FAMILY', 'TITLE'],
    ...RULES.map((r) => [r.meta.id, r.meta.severity, r.meta.family, r.meta.title]),
  ]);
}

export function rulesJson(): string {
  return JSON.stringify(RULES.map((r) => r.meta), null, 2) + '\n';
}

function bullet(items: readonly string[]): string[] {
  return items.length ? items.map((i) => `  - ${i}`) : ['  (none)'];
}

export function threatText(t: Threat): string {
  const lines = [
    `${t.id} ${t.name}`,
    '',
    t.summary,
    '',
    `Severity: ${t.severity}`,
    `Lifecycle stages: ${t.stages.join(', ') || '(none)'}`,
    `ATLAS tactics: ${t.tactics.map((id) => `${id} ${getTactic(id)?.name ?? ''}`.trim()).join(', ') || '(none)'}`,
    `CWE: ${t.cwe.join(', ') || '(none)'}`,
    '',
    'ATLAS techniques:',
    ...bullet(
      t.techniques.map((id) => {
        const url = techniqueUrl(id);
        return `${id} ${getTechnique(id)?.name ?? ''}${url ? ` (${url})` : ''}`.replace(/ +/g, ' ');
      }),
    ),
    '',
    'Mitigations:',
    ...bullet([
      ...t.mitigations.atlas.map((id) => `${id} ${getMitigation(id)?.name ?? ''}`.trim()),
      ...t.mitigations.steps,
    ]),
    '',
    `Rules: ${t.inCode.rules.join(', ') || '(none)'}`,
    ...(t.inCode.note ? [t.inCode.note] : []),
    '',
    `Source: ${t.source.ref} ${t.source.url}`,
  ];
  return lines.join('\n') + '\n';
}

/** The text `threatlens explain <id>` prints; unknown ids are usage errors. */
export function explain(id: string): string {
  const key = id.trim().toUpperCase();
  const rule = getRule(key);
  if (rule) return ruleMarkdown(rule);
  const threat = getThreat(key);
  if (threat) return threatText(threat);
  throw new UsageError(`unknown rule or threat id '${id}' (run 'threatlens rules' to list the rules)`);
}
