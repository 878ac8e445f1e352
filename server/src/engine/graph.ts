/**
 * The threat graph: threats, ATLAS techniques and tactics, lifecycle stages, mitigations, CWEs and
 * ThreatLens rules as typed nodes with typed edges, built once per process from the catalog and
 * the rule registry. The server, the CLI and the explorer all query this one structure.
 */
import {
  allThreats,
  getMitigation,
  getTactic,
  getTechnique,
  getThreat,
  type Mitigation,
  type Stage,
  type Technique,
  type Threat,
} from './catalog';
import { RULES } from './registry';
import type { RuleMeta } from './types';

/** The ML lifecycle stages, in lifecycle order. */
export const STAGES: readonly Stage[] = [
  'Data Preparation',
  'Pretraining',
  'Training',
  'Fine-tuning',
  'Federated Training',
  'System Development',
  'Test time',
  'Deployment',
  'Inference',
];

export type NodeKind = 'threat' | 'technique' | 'tactic' | 'stage' | 'mitigation' | 'cwe' | 'rule';

export type EdgeKind =
  /** threat → stage: the lifecycle stage the threat targets */
  | 'targets'
  /** threat → technique, rule → technique */
  | 'uses'
  /** technique → tactic */
  | 'achieves'
  /** sub-technique → technique */
  | 'refines'
  /** threat → mitigation */
  | 'mitigated-by'
  /** threat → cwe, rule → cwe */
  | 'weakness'
  /** rule → threat: the rule's findings are evidence of the threat */
  | 'evidences';

export interface GraphNode {
  kind: NodeKind;
  id: string;
  label: string;
  url?: string;
}

export interface GraphEdge {
  kind: EdgeKind;
  from: string;
  to: string;
}

const key = (kind: NodeKind, id: string): string => `${kind}:${id}`;

export class ThreatGraph {
  private readonly nodeMap = new Map<string, GraphNode>();
  private readonly outgoing = new Map<string, GraphEdge[]>();
  private readonly incoming = new Map<string, GraphEdge[]>();

  constructor(threats: readonly Threat[], rules: readonly RuleMeta[]) {
    for (const stage of STAGES) this.addNode({ kind: 'stage', id: stage, label: stage });
    for (const t of threats) {
      const from = this.addNode({ kind: 'threat', id: t.id, label: t.name, url: t.source.url });
      for (const s of t.stages) this.link('targets', from, 'stage', s);
      for (const tech of t.techniques) this.link('uses', from, 'technique', tech);
      for (const m of t.mitigations.atlas) this.link('mitigated-by', from, 'mitigation', m);
      for (const c of t.cwe) this.link('weakness', from, 'cwe', c);
    }
    for (const r of rules) {
      const from = this.addNode({ kind: 'rule', id: r.id, label: r.title });
      for (const t of r.threats) this.link('evidences', from, 'threat', t);
      for (const tech of r.techniques) this.link('uses', from, 'technique', tech);
      for (const c of r.cwe) this.link('weakness', from, 'cwe', c);
    }
  }

  private addNode(node: GraphNode): string {
    const k = key(node.kind, node.id);
    if (!this.nodeMap.has(k)) this.nodeMap.set(k, node);
    return k;
  }

  /** Adds an edge, creating the target node (and a technique's tactic and parent edges) on first use. */
  private link(kind: EdgeKind, from: string, toKind: NodeKind, toId: string): void {
    const to = key(toKind, toId);
    if (!this.nodeMap.has(to)) this.addReferenced(toKind, toId);
    const edge: GraphEdge = { kind, from, to };
    if (this.outgoing.get(from)?.some((e) => e.kind === kind && e.to === to)) return;
    this.push(this.outgoing, from, edge);
    this.push(this.incoming, to, edge);
  }

  private addReferenced(kind: NodeKind, id: string): void {
    switch (kind) {
      case 'technique': {
        const t = getTechnique(id);
        const k = this.addNode({ kind, id, label: t?.name ?? id, url: t?.url });
        for (const tactic of t?.tactics ?? []) this.link('achieves', k, 'tactic', tactic);
        if (t?.parent) this.link('refines', k, 'technique', t.parent);
        return;
      }
      case 'tactic': {
        const t = getTactic(id);
        this.addNode({ kind, id, label: t?.name ?? id, url: t?.url });
        return;
      }
      case 'mitigation': {
        const m = getMitigation(id);
        this.addNode({ kind, id, label: m?.name ?? id, url: m?.url });
        return;
      }
      case 'cwe':
        this.addNode({ kind, id, label: id, url: `https://cwe.mitre.org/data/definitions/${id.slice(4)}.html` });
        return;
      default:
        this.addNode({ kind, id, label: id });
    }
  }

  private push(map: Map<string, GraphEdge[]>, k: string, edge: GraphEdge): void {
    let list = map.get(k);
    if (!list) map.set(k, (list = []));
    list.push(edge);
  }

  node(kind: NodeKind, id: string): GraphNode | undefined {
    return this.nodeMap.get(key(kind, id));
  }

  nodes(kind?: NodeKind): GraphNode[] {
    return [...this.nodeMap.values()].filter((n) => !kind || n.kind === kind);
  }

  edges(kind?: EdgeKind): GraphEdge[] {
    return [...this.outgoing.values()].flat().filter((e) => !kind || e.kind === kind);
  }

  /** Ids of the nodes of `toKind` reached from (kind, id) over `edge`, in insertion order. */
  private out(kind: NodeKind, id: string, edge: EdgeKind, toKind: NodeKind): string[] {
    const prefix = `${toKind}:`;
    return (this.outgoing.get(key(kind, id)) ?? [])
      .filter((e) => e.kind === edge && e.to.startsWith(prefix))
      .map((e) => e.to.slice(prefix.length));
  }

  /** Ids of the nodes of `fromKind` that reach (kind, id) over `edge`. */
  private in(kind: NodeKind, id: string, edge: EdgeKind, fromKind: NodeKind): string[] {
    const prefix = `${fromKind}:`;
    return (this.incoming.get(key(kind, id)) ?? [])
      .filter((e) => e.kind === edge && e.from.startsWith(prefix))
      .map((e) => e.from.slice(prefix.length));
  }

  private threats(ids: readonly string[]): Threat[] {
    return [...new Set(ids)]
      .map((id) => getThreat(id))
      .filter((t): t is Threat => t !== undefined)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Threats a rule's findings are evidence of. */
  threatsOfRule(ruleId: string): Threat[] {
    return this.threats(this.out('rule', ruleId, 'evidences', 'threat'));
  }

  /** Rule ids whose findings evidence a threat. */
  rulesOfThreat(threatId: string): string[] {
    return this.in('threat', threatId, 'evidences', 'rule').sort();
  }

  threatsOfStage(stage: string): Threat[] {
    return this.threats(this.in('stage', stage, 'targets', 'threat'));
  }

  /** Threats using a technique, or (for a parent technique) any of its sub-techniques. */
  threatsOfTechnique(techniqueId: string): Threat[] {
    const ids = [techniqueId, ...this.in('technique', techniqueId, 'refines', 'technique')];
    return this.threats(ids.flatMap((t) => this.in('technique', t, 'uses', 'threat')));
  }

  /** Threats with at least one technique serving a tactic. */
  threatsOfTactic(tacticId: string): Threat[] {
    const techniques = this.in('tactic', tacticId, 'achieves', 'technique');
    return this.threats(techniques.flatMap((t) => this.in('technique', t, 'uses', 'threat')));
  }

  techniquesOfThreat(threatId: string): Technique[] {
    return this.out('threat', threatId, 'uses', 'technique')
      .map((id) => getTechnique(id))
      .filter((t): t is Technique => t !== undefined);
  }

  /**
   * What to do about a rule's finding: the ATLAS mitigations and concrete hardening steps of the
   * threats it evidences (deduplicated, in threat order).
   */
  mitigationsOfRule(ruleId: string): { atlas: Mitigation[]; steps: string[] } {
    const threats = this.threatsOfRule(ruleId);
    const atlas = [...new Set(threats.flatMap((t) => this.out('threat', t.id, 'mitigated-by', 'mitigation')))]
      .map((id) => getMitigation(id))
      .filter((m): m is Mitigation => m !== undefined);
    const steps = [...new Set(threats.flatMap((t) => t.mitigations.steps))];
    return { atlas, steps };
  }

  /** Counts for reports: threats per stage, per source kind, per ATLAS tactic, and rule coverage. */
  stats(): {
    threats: number;
    byStage: Record<string, number>;
    bySource: Record<string, number>;
    byTactic: Record<string, number>;
    withRules: number;
  } {
    const threats = this.nodes('threat').map((n) => getThreat(n.id)!);
    const count = <T>(items: T[], keyOf: (t: T) => string[]): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const item of items) for (const k of new Set(keyOf(item))) out[k] = (out[k] ?? 0) + 1;
      return out;
    };
    const byStage = Object.fromEntries(STAGES.map((s) => [s, this.threatsOfStage(s).length]));
    return {
      threats: threats.length,
      byStage,
      bySource: count(threats, (t) => [t.source.kind]),
      byTactic: count(threats, (t) => [...t.tactics]),
      withRules: threats.filter((t) => this.rulesOfThreat(t.id).length > 0).length,
    };
  }
}

let graph: ThreatGraph | undefined;

/** The process-wide graph, built on first use from the catalog and the rule registry. */
export function getGraph(): ThreatGraph {
  return (graph ??= new ThreatGraph(allThreats(), RULES.map((r) => r.meta)));
}
