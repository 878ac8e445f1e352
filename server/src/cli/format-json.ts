/**
 * The JSON report (`--format json`). Its shape is version 1 of the schema in
 * docs/cli-json-schema.json: keys are only ever added within a version, never renamed or removed.
 * Lines and columns are 1-based; columns count UTF-16 code units.
 */
import { getRule, plainSnippet, techniquesOf, threatsOf, type Severity } from '../engine';
import { TOOL_NAME } from './meta';
import { errorsOf, findingsOf, oneBased, skippedOf, summarize, type OneBasedRange, type Problem, type ScanReport } from './report';

export const JSON_REPORT_VERSION = 1;

export interface JsonFinding {
  file: string;
  /** Notebooks: 1-based cell number; `range` is then relative to the cell. */
  cell?: number;
  range: OneBasedRange;
  ruleId: string;
  ruleName: string;
  severity: Severity;
  message: string;
  threats: { id: string; name: string; stages: string[] }[];
  atlas: { id: string; name: string; url: string }[];
  cwe: string[];
  fixes: { title: string; safety: 'safe' | 'unsafe'; edits: { range: OneBasedRange; newText: string }[] }[];
}

export interface JsonReport {
  version: typeof JSON_REPORT_VERSION;
  tool: { name: string; version: string };
  findings: JsonFinding[];
  errors: Problem[];
  skipped: Problem[];
  summary: {
    files: number;
    findings: number;
    bySeverity: Record<Severity, number>;
    suppressed: number;
    durationMs: number;
    /** With `--cache`: results taken from the cache, and files analysed. */
    cache?: { hits: number; misses: number };
  };
}

export function buildJsonReport(report: ScanReport): JsonReport {
  const s = summarize(report);
  return {
    version: JSON_REPORT_VERSION,
    tool: { name: TOOL_NAME, version: report.version },
    findings: findingsOf(report).map(({ file, finding }) => {
      const meta = getRule(finding.ruleId)?.meta;
      return {
        file,
        ...(finding.cell !== undefined ? { cell: finding.cell } : {}),
        range: oneBased(finding.range),
        ruleId: finding.ruleId,
        ruleName: meta?.name ?? finding.ruleId,
        severity: finding.severity,
        message: finding.message,
        threats: meta ? threatsOf(meta).map((t) => ({ id: t.id, name: t.name, stages: [...t.stages] })) : [],
        atlas: meta ? techniquesOf(meta).map((t) => ({ id: t.id, name: t.name, url: t.url })) : [],
        cwe: meta ? [...meta.cwe] : [],
        fixes: finding.fixes.map((fix) => ({
          title: fix.title,
          safety: fix.safety,
          // Snippet placeholders (`${1:VERSION}`) are written as their plain text (`VERSION`).
          edits: fix.edits.map((e) => ({ range: oneBased(e.range), newText: fix.snippet ? plainSnippet(e.newText) : e.newText })),
        })),
      };
    }),
    errors: errorsOf(report),
    skipped: skippedOf(report),
    summary: {
      files: s.files,
      findings: s.findings,
      bySeverity: s.bySeverity,
      suppressed: s.suppressed,
      durationMs: s.durationMs,
      ...(s.cache ? { cache: { hits: s.cache.hits, misses: s.cache.misses } } : {}),
    },
  };
}

export function formatJson(report: ScanReport): string {
  return JSON.stringify(buildJsonReport(report), null, 2) + '\n';
}
