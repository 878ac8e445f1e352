/**
 * The answer to `threatlens/catalog`: every lifecycle stage, threat and rule with what the client's
 * explorer and details view show about them, built once from the engine's catalog, graph and rule
 * registry (the client bundle carries no catalog data of its own).
 */
import { allThreats, atlasVersion, getMitigation, getTactic, getTechnique, techniqueUrl, type Threat } from '../engine/catalog';
import { getGraph, STAGES } from '../engine/graph';
import { RULES } from '../engine/registry';
import type { Rule } from '../engine/rule';
import type { CatalogLink, CatalogResult, CatalogRule, CatalogThreat } from '../protocol';

/** Code fence language of a rule's examples, from the file they are written in (Python when none). */
export function exampleLanguage(file: string | undefined): string {
  if (!file) return 'python';
  if (file.endsWith('.toml') || file === 'Pipfile') return 'toml';
  if (/\.ya?ml$/.test(file)) return 'yaml';
  if (file.endsWith('.cfg')) return 'ini';
  if (file.endsWith('.py')) return 'python';
  return 'text';
}

/** An ATLAS technique with its name (sub-techniques prefixed with their parent's, as the hover shows them) and page. */
function techniqueLink(id: string): CatalogLink {
  const t = getTechnique(id);
  const parent = t?.parent ? getTechnique(t.parent) : undefined;
  return {
    id,
    name: t ? (parent ? `${parent.name}: ${t.name}` : t.name) : id,
    url: techniqueUrl(id) ?? `https://atlas.mitre.org/techniques/${id}`,
  };
}

function catalogThreat(t: Threat): CatalogThreat {
  const graph = getGraph();
  const techniques = t.techniques.map(techniqueLink);
  const tactics: CatalogLink[] = t.tactics.map((id) => {
    const tactic = getTactic(id);
    return { id, name: tactic?.name ?? id, ...(tactic?.url ? { url: tactic.url } : {}) };
  });
  const mitigations: CatalogThreat['mitigations'] = [
    ...t.mitigations.atlas.map((id) => {
      const m = getMitigation(id);
      return { id, name: m?.name ?? id, ...(m?.description ? { text: m.description } : {}), ...(m?.url ? { url: m.url } : {}) };
    }),
    ...t.mitigations.steps.map((step) => ({ name: step })),
  ];
  return {
    id: t.id,
    name: t.name,
    severity: t.severity,
    summary: t.summary,
    source: t.source.kind,
    sourceRef: { title: t.source.ref, ...(t.source.url ? { url: t.source.url } : {}) },
    stages: [...t.stages],
    techniques,
    tactics,
    mitigations,
    cwe: [...t.cwe],
    owasp: [...t.owaspMl, ...t.owaspLlm],
    rules: graph.rulesOfThreat(t.id),
    ...(t.inCode.note ? { inCode: t.inCode.note } : {}),
  };
}

function catalogRule(rule: Rule): CatalogRule {
  const m = rule.meta;
  return {
    id: m.id,
    name: m.name,
    title: m.title,
    family: m.family,
    severity: m.severity,
    cwe: [...m.cwe],
    threats: [...m.threats],
    techniques: m.techniques.map(techniqueLink),
    finds: m.docs.finds,
    why: m.docs.why,
    example: m.docs.example,
    useInstead: m.docs.useInstead,
    exampleLanguage: exampleLanguage(m.docs.exampleFile),
    references: m.docs.references.map((r) => ({ title: r.title, url: r.url })),
  };
}

let cached: CatalogResult | undefined;

/** The catalog, built on first use and shared afterwards (it never changes while the server runs). */
export function catalog(): CatalogResult {
  return (cached ??= {
    stages: [...STAGES],
    threats: allThreats().map(catalogThreat),
    rules: RULES.map(catalogRule),
    atlasVersion,
  });
}
