/**
 * SARIF 2.1.0 report (`--format sarif`), the format GitHub code scanning and most security
 * dashboards import. One run; the driver lists every rule that ran; each result carries its
 * location, fixes and a fingerprint that survives unrelated edits to the file.
 *
 * File locations are relative URIs against `%SRCROOT%` (the directory the scan ran in); the report
 * holds no absolute path except, by default, the `file:` URIs of the rule docs (see `helpUri`).
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { plainSnippet, ruleMarkdown, techniquesOf, threatsOf, type NotebookProgram, type Range, type Rule, type Severity } from '../engine';
import { atlasVersion, getThreat } from '../engine/catalog';
import { TOOL_DISPLAY_NAME, TOOL_HOMEPAGE } from './meta';
import { errorsOf, findingsOf, skippedOf, type Problem, type ScanReport } from './report';
import type { ScannedFinding } from './scan';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const SRCROOT = '%SRCROOT%';
/** Key of our entry in `partialFingerprints`; bump the suffix if the hashed text ever changes. */
export const FINGERPRINT_KEY = 'threatlens/v1';

type Level = 'error' | 'warning' | 'note';

const LEVEL: Record<Severity, Level> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };

/** GitHub's `security-severity` scale (0.0-10.0): 9.0+ critical, 7.0+ high, 4.0+ medium, else low. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0' };

interface SarifRegion {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

interface SarifArtifactLocation {
  uri: string;
  uriBaseId: string;
}

export interface SarifOptions {
  /** Base URL of the rule pages (`<url>/TL101.md`); default: `file:` URIs of the bundled docs/rules. */
  readonly docsBaseUrl?: string;
}

/**
 * A notebook finding's region in the .ipynb file: the JSON line holding the source line (Jupyter
 * writes one per line), without columns, which JSON escaping shifts. Undefined when the layout is unknown.
 */
function notebookRegion(finding: ScannedFinding, notebook: NotebookProgram): { startLine: number; endLine: number } | undefined {
  const lines = notebook.cells.find((c) => c.number === finding.cell)?.fileLines;
  const start = lines?.[finding.range.start.line];
  const end = lines?.[finding.range.end.line] ?? start;
  return start === undefined || end === undefined ? undefined : { startLine: start, endLine: end };
}

function region(range: Range): SarifRegion {
  return {
    startLine: range.start.line + 1,
    startColumn: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

/** A relative path as a URI reference: each segment percent-encoded, `/`-separated. */
function relativeUri(file: string): string {
  return file
    .split('/')
    .map((seg) => (seg === '..' || seg === '.' ? seg : encodeURIComponent(seg)))
    .join('/');
}

function artifact(file: string): SarifArtifactLocation {
  return { uri: relativeUri(file), uriBaseId: SRCROOT };
}

/** The folder of the rule pages, as a URL without a trailing slash. */
function rulesBase(options: SarifOptions): string {
  if (options.docsBaseUrl) return options.docsBaseUrl.replace(/\/+$/, '');
  return pathToFileURL(path.join(__dirname, '..', 'docs', 'rules')).href;
}

/** Where a rule's documentation page lives. */
export function ruleHelpUri(id: string, options: SarifOptions): string {
  return `${rulesBase(options)}/${id}.md`;
}

/** Names of the three taxonomies a run carries; rules relate to their taxa. */
const ATLAS_TAXONOMY = 'MITRE ATLAS';
const THREATS_TAXONOMY = 'ThreatLens threat catalog';
const CWE_TAXONOMY = 'CWE';

interface Taxon {
  id: string;
  name: string;
  helpUri?: string;
  shortDescription?: { text: string };
  properties?: Record<string, unknown>;
}

/** Taxa referenced by the rules that ran, with their index per taxonomy (SARIF 3.19.3, 3.52). */
class Taxonomies {
  readonly atlas: Taxon[] = [];
  readonly threats: Taxon[] = [];
  readonly cwe: Taxon[] = [];

  constructor(private readonly threatDocBase: string) {}

  private index(list: Taxon[], taxon: Taxon): number {
    const i = list.findIndex((t) => t.id === taxon.id);
    if (i >= 0) return i;
    list.push(taxon);
    return list.length - 1;
  }

  relationships(rule: Rule) {
    const m = rule.meta;
    const rel = (id: string, name: string, toolIndex: number, index: number) => ({
      target: { id, index, toolComponent: { name, index: toolIndex } },
      kinds: ['relevant'],
    });
    return [
      ...techniquesOf(m).map((t) => rel(t.id, ATLAS_TAXONOMY, 0, this.index(this.atlas, { id: t.id, name: t.name, helpUri: t.url }))),
      ...threatsOf(m).map((t) =>
        rel(
          t.id,
          THREATS_TAXONOMY,
          1,
          this.index(this.threats, {
            id: t.id,
            name: t.name,
            helpUri: `${this.threatDocBase}#${t.id.toLowerCase()}`,
            shortDescription: { text: getThreat(t.id)?.summary ?? t.name },
            properties: { stages: t.stages, source: getThreat(t.id)?.source.ref },
          }),
        ),
      ),
      ...m.cwe.map((c) =>
        rel(c, CWE_TAXONOMY, 2, this.index(this.cwe, { id: c, name: c, helpUri: `https://cwe.mitre.org/data/definitions/${c.slice(4)}.html` })),
      ),
    ];
  }

  toSarif() {
    return [
      { name: ATLAS_TAXONOMY, version: atlasVersion, organization: 'MITRE', informationUri: 'https://atlas.mitre.org', isComprehensive: false, taxa: this.atlas },
      { name: THREATS_TAXONOMY, organization: TOOL_DISPLAY_NAME, isComprehensive: false, taxa: this.threats },
      { name: CWE_TAXONOMY, organization: 'MITRE', informationUri: 'https://cwe.mitre.org', isComprehensive: false, taxa: this.cwe },
    ];
  }
}

function ruleDescriptor(rule: Rule, options: SarifOptions, taxonomies: Taxonomies) {
  const m = rule.meta;
  const tags = [
    'security',
    m.family,
    ...m.cwe,
    ...m.cwe.map((c) => `external/cwe/${c.toLowerCase()}`),
    ...m.threats,
    ...techniquesOf(m).map((t) => t.id),
  ];
  return {
    id: m.id,
    name: m.name,
    shortDescription: { text: m.title },
    fullDescription: { text: m.docs.finds },
    help: {
      text: `${m.docs.finds}\n\n${m.docs.why}\n\nUse instead:\n\n${m.docs.useInstead.trimEnd()}`,
      // Threat links made absolute: a SARIF viewer has no folder to resolve `../threats.md` against.
      markdown: ruleMarkdown(rule, { threatDocBase: new URL('../threats.md', `${rulesBase(options)}/`).href }),
    },
    helpUri: ruleHelpUri(m.id, options),
    defaultConfiguration: { level: LEVEL[m.severity] },
    relationships: taxonomies.relationships(rule),
    properties: {
      tags: [...new Set(tags)],
      threats: threatsOf(m).map((t) => ({ id: t.id, name: t.name, stages: t.stages })),
      stages: [...new Set(threatsOf(m).flatMap((t) => t.stages))],
      'security-severity': SECURITY_SEVERITY[m.severity],
      precision: 'high',
    },
  };
}

function fingerprint(ruleId: string, file: string, line: string): string {
  return createHash('sha256').update(`${ruleId}\u0000${file}\u0000${line}`).digest('hex').slice(0, 32);
}

function notification(p: Problem, level: 'error' | 'note') {
  return {
    level,
    message: { text: `${p.file}: ${p.message}` },
    locations: [{ physicalLocation: { artifactLocation: artifact(p.file) } }],
  };
}

export function buildSarif(report: ScanReport, options: SarifOptions = {}) {
  const taxonomies = new Taxonomies(new URL('../threats.md', `${rulesBase(options)}/`).href);
  const rules = report.rules.map((r) => ruleDescriptor(r, options, taxonomies));
  const ruleIndex = new Map(report.rules.map((r, i) => [r.meta.id, i]));
  // Identical lines flagged by the same rule in the same file get occurrence numbers (`:1`, `:2`).
  const occurrences = new Map<string, number>();

  const results = findingsOf(report).map(({ file, finding, notebook }) => {
    const inNotebook = finding.cell !== undefined && notebook !== undefined;
    const nbRegion = inNotebook ? notebookRegion(finding, notebook) : undefined;
    const hash = fingerprint(finding.ruleId, file, finding.sourceLine);
    const n = (occurrences.get(hash) ?? 0) + 1;
    occurrences.set(hash, n);
    const index = ruleIndex.get(finding.ruleId);
    return {
      ruleId: finding.ruleId,
      ...(index === undefined ? {} : { ruleIndex: index }),
      level: LEVEL[finding.severity],
      message: { text: inNotebook ? `Cell ${finding.cell}, line ${finding.range.start.line + 1}: ${finding.message}` : finding.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: artifact(file),
            ...(inNotebook ? (nbRegion ? { region: nbRegion } : {}) : { region: region(finding.range) }),
          },
        },
      ],
      partialFingerprints: { [FINGERPRINT_KEY]: `${hash}:${n}` },
      // Notebook fix edits are relative to a cell, not to the .ipynb text: leave them out of SARIF.
      ...(finding.fixes.length === 0 || inNotebook
        ? {}
        : {
            fixes: finding.fixes.map((fix) => ({
              description: { text: `${fix.title} (${fix.safety})` },
              artifactChanges: [
                {
                  artifactLocation: artifact(file),
                  replacements: fix.edits.map((e) => ({ deletedRegion: region(e.range), insertedContent: { text: fix.snippet ? plainSnippet(e.newText) : e.newText } })),
                },
              ],
            })),
          }),
      properties: { severity: finding.severity, ...(finding.cell !== undefined ? { cell: finding.cell } : {}) },
    };
  });

  const notifications = [...errorsOf(report).map((p) => notification(p, 'error')), ...skippedOf(report).map((p) => notification(p, 'note'))];

  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_DISPLAY_NAME,
            version: report.version,
            semanticVersion: report.version,
            ...(TOOL_HOMEPAGE ? { informationUri: TOOL_HOMEPAGE } : {}),
            rules,
          },
        },
        taxonomies: taxonomies.toSarif(),
        invocations: [
          {
            executionSuccessful: true,
            ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
          },
        ],
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

export function formatSarif(report: ScanReport, options: SarifOptions = {}): string {
  return JSON.stringify(buildSarif(report, options), null, 2) + '\n';
}
