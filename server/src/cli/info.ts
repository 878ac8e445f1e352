/** `threatlens rules` and `threatlens explain`: what the rules and threats are. */
import { allThreats, getMitigation, getTactic, getTechnique, getThreat, techniqueUrl, type Threat } from '../engine/catalog';
import { RULES, STAGES, getGraph, getRule, ruleMarkdown } from '../engine';
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
    `Rules: ${getGraph().rulesOfThreat(t.id).join(', ') || '(none)'}`,
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

export interface ThreatFilter {
  stage?: string;
  technique?: string;
  tactic?: string;
  rule?: string;
  source?: string;
}

const SOURCES = ['atlas-case-study', 'incident', 'literature'];

/** Threats matching every given filter; unknown filter values are usage errors that say what exists. */
export function filterThreats(f: ThreatFilter): Threat[] {
  const graph = getGraph();
  let list: readonly Threat[] = allThreats();
  const keep = (ids: Threat[]) => {
    const set = new Set(ids.map((t) => t.id));
    list = list.filter((t) => set.has(t.id));
  };
  if (f.stage !== undefined) {
    const stage = STAGES.find((s) => s.toLowerCase() === f.stage!.trim().toLowerCase());
    if (!stage) throw new UsageError(`unknown stage '${f.stage}' (stages: ${STAGES.join(', ')})`);
    keep(graph.threatsOfStage(stage));
  }
  if (f.technique !== undefined) {
    const id = f.technique.trim().toUpperCase();
    if (!getTechnique(id)) throw new UsageError(`unknown ATLAS technique '${f.technique}' (ids look like AML.T0010 or AML.T0011.000)`);
    keep(graph.threatsOfTechnique(id));
  }
  if (f.tactic !== undefined) {
    const id = f.tactic.trim().toUpperCase();
    if (!getTactic(id)) throw new UsageError(`unknown ATLAS tactic '${f.tactic}' (ids look like AML.TA0004)`);
    keep(graph.threatsOfTactic(id));
  }
  if (f.rule !== undefined) {
    const rule = getRule(f.rule.trim());
    if (!rule) throw new UsageError(`unknown rule id '${f.rule}' (run 'threatlens rules' to list them)`);
    keep(graph.threatsOfRule(rule.meta.id));
  }
  if (f.source !== undefined) {
    const source = f.source.trim().toLowerCase();
    if (!SOURCES.includes(source)) throw new UsageError(`unknown source '${f.source}' (sources: ${SOURCES.join(', ')})`);
    list = list.filter((t) => t.source.kind === source);
  }
  return [...list];
}

/** `TL101,TL108` or, for long lists, `TL101,TL102 +9`. */
function compactIds(ids: readonly string[]): string {
  if (ids.length === 0) return '-';
  return ids.length <= 3 ? ids.join(',') : `${ids.slice(0, 2).join(',')} +${ids.length - 2}`;
}

export function threatsTable(threats: readonly Threat[]): string {
  if (threats.length === 0) return 'No threat matches.\n';
  const graph = getGraph();
  return table([
    ['ID', 'SEVERITY', 'SOURCE', 'RULES', 'STAGES', 'NAME'],
    ...threats.map((t) => [
      t.id,
      t.severity,
      t.source.kind,
      compactIds(graph.rulesOfThreat(t.id)),
      t.stages.join(', '),
      t.name,
    ]),
  ]);
}

export function threatsJson(threats: readonly Threat[]): string {
  const graph = getGraph();
  return JSON.stringify(threats.map((t) => ({ ...t, inCode: { ...t.inCode, rules: graph.rulesOfThreat(t.id) } })), null, 2) + '\n';
}
