/**
 * The threat catalog and the MITRE ATLAS ids it refers to, as typed read-only data.
 *
 * Plain TypeScript with no editor imports. Both JSON files are inlined by the bundler; their shape is
 * fixed by threat-catalog/schema/*.schema.json and checked by test/catalog.test.ts, so the casts below
 * only narrow what the compiler infers from the JSON (plain strings) to the documented unions.
 */

import atlasJson from '../../../threat-catalog/atlas.json';
import threatsJson from '../../../threat-catalog/threats.json';
import type { Severity } from './types';

export type Stage =
  | 'Data Preparation'
  | 'Pretraining'
  | 'Training'
  | 'Fine-tuning'
  | 'Federated Training'
  | 'System Development'
  | 'Test time'
  | 'Deployment'
  | 'Inference';

export type Layer = 'data' | 'software' | 'storage' | 'system' | 'network';

export type Harm = 'confidentiality' | 'integrity' | 'availability';

export type ThreatSourceKind = 'atlas-case-study' | 'incident' | 'literature';

export interface ThreatSource {
  readonly kind: ThreatSourceKind;
  /** `AML.CS0018` for ATLAS case studies, otherwise an incident id or a citation. */
  readonly ref: string;
  readonly url: string;
  /** ATLAS case study describing the same attack, for threats from other sources. */
  readonly atlasCaseStudy?: string;
}

export interface Threat {
  /** `MLT-` followed by three digits. */
  readonly id: string;
  readonly name: string;
  readonly summary: string;
  readonly source: ThreatSource;
  readonly stages: readonly Stage[];
  /** ATLAS tactic ids (`AML.TA0004`). */
  readonly tactics: readonly string[];
  /** ATLAS technique ids (`AML.T0010.003`). */
  readonly techniques: readonly string[];
  readonly layers: readonly Layer[];
  /** CWE ids such as `CWE-502`. */
  readonly cwe: readonly string[];
  /** OWASP ML Top 10 entries such as `ML06:2023`. */
  readonly owaspMl: readonly string[];
  /** OWASP LLM Top 10 entries such as `LLM05:2025`. */
  readonly owaspLlm: readonly string[];
  readonly harms: readonly Harm[];
  readonly severity: Severity;
  readonly mitigations: {
    /** ATLAS mitigation ids (`AML.M0016`). */
    readonly atlas: readonly string[];
    readonly steps: readonly string[];
  };
  readonly inCode: {
    /** Rule ids (`TL001`) that detect the threat. */
    readonly rules: readonly string[];
    readonly note: string;
  };
}

export interface Tactic {
  readonly id: string;
  readonly name: string;
  /** Short plain-language description in ThreatLens's own words (threat-catalog/atlas-descriptions.json). */
  readonly description: string;
  readonly url: string;
  /** 0-based column in the ATLAS matrix, for kill-chain ordering. */
  readonly order: number;
}

export interface Technique {
  readonly id: string;
  readonly name: string;
  /** Short plain-language description in ThreatLens's own words (threat-catalog/atlas-descriptions.json). */
  readonly description: string;
  readonly url: string;
  /** Tactic ids; sub-techniques carry their parent's when ATLAS gives them none. */
  readonly tactics: readonly string[];
  /** Parent technique id, on sub-techniques only. */
  readonly parent?: string;
}

export interface Mitigation {
  readonly id: string;
  readonly name: string;
  /** Short plain-language description in ThreatLens's own words (threat-catalog/atlas-descriptions.json). */
  readonly description: string;
  readonly url: string;
  /** Techniques ATLAS lists this mitigation against. */
  readonly techniques: readonly string[];
}

export interface CaseStudy {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly procedure: readonly { readonly tactic: string; readonly technique: string }[];
}

/** An ATLAS id whose name changed since release 4.7.0 (the ids themselves are stable). */
export interface Renamed {
  readonly id: string;
  readonly oldName: string;
  readonly name: string;
}

interface AtlasFile {
  readonly version: string;
  readonly tactics: readonly Tactic[];
  readonly techniques: readonly Technique[];
  readonly mitigations: readonly Mitigation[];
  readonly caseStudies: readonly CaseStudy[];
  readonly renamed: readonly Renamed[];
}

interface ThreatsFile {
  readonly atlasVersion: string;
  readonly threats: readonly Threat[];
}

const atlas = atlasJson as AtlasFile;
const catalog = threatsJson as ThreatsFile;

function index<T extends { readonly id: string }>(items: readonly T[]): ReadonlyMap<string, T> {
  return new Map(items.map((item) => [item.id, item]));
}

const threats = index(catalog.threats);
const tactics = index(atlas.tactics);
const techniques = index(atlas.techniques);
const mitigations = index(atlas.mitigations);
const caseStudies = index(atlas.caseStudies);
const renamed = index(atlas.renamed);

/** ATLAS release the catalog refers to, e.g. `5.6.0`. */
export const atlasVersion: string = atlas.version;

export function getThreat(id: string): Threat | undefined {
  return threats.get(id);
}

/** All threats, ordered by id. */
export function allThreats(): readonly Threat[] {
  return catalog.threats;
}

export function getTactic(id: string): Tactic | undefined {
  return tactics.get(id);
}

export function getTechnique(id: string): Technique | undefined {
  return techniques.get(id);
}

export function getMitigation(id: string): Mitigation | undefined {
  return mitigations.get(id);
}

export function getCaseStudy(id: string): CaseStudy | undefined {
  return caseStudies.get(id);
}

/** The earlier (ATLAS 4.7.0) name of a tactic, technique, mitigation or case study, if it changed. */
export function getRenamed(id: string): Renamed | undefined {
  return renamed.get(id);
}

/** Official ATLAS page of a technique or sub-technique; undefined for ids not in this release. */
export function techniqueUrl(id: string): string | undefined {
  return techniques.get(id)?.url;
}

/** Repository-relative link to a threat's section in the docs, e.g. `docs/threats.md#mlt-017`. */
export function threatUrl(id: string): string | undefined {
  return threats.has(id) ? `docs/threats.md#${id.toLowerCase()}` : undefined;
}
