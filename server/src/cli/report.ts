/**
 * The result of a scan as the formatters see it, plus the helpers they share (1-based positions,
 * severity counts, problem lists).
 */
import type { NotebookProgram } from '../engine';
import { SEVERITIES, severityRank, type Range, type Severity } from '../engine';
import type { Rule } from '../engine';
import type { FileResult, ScannedFinding } from './scan';
import type { PathNotice } from './walk';
import type { CacheStats } from './cache';

export interface ScanReport {
  /** ThreatLens version. */
  readonly version: string;
  /** One result per file that was to be scanned, in scan order. */
  readonly results: readonly FileResult[];
  /** Problems found while collecting files (broken links, unreadable folders, links out of the tree). */
  readonly walkNotices: readonly PathNotice[];
  /** The rules that ran (after `--select` / `--ignore`), in id order. */
  readonly rules: readonly Rule[];
  readonly durationMs: number;
  /** With `--cache`: how many results came from the cache and how many files were analysed. */
  readonly cache?: CacheStats;
}

export interface FileFinding {
  /** Path relative to the current directory, `/`-separated. */
  readonly file: string;
  readonly finding: ScannedFinding;
  /** Notebooks: the cell layout, to place a cell-relative finding in the .ipynb file. */
  readonly notebook?: NotebookProgram;
}

export interface Problem {
  readonly file: string;
  readonly message: string;
}

export interface Summary {
  /** Files read and analysed. */
  readonly files: number;
  readonly findings: number;
  readonly bySeverity: Record<Severity, number>;
  readonly suppressed: number;
  readonly durationMs: number;
  readonly errors: number;
  readonly skipped: number;
  readonly cache?: CacheStats;
}

export interface OneBasedPosition {
  readonly line: number;
  readonly column: number;
}

export interface OneBasedRange {
  readonly start: OneBasedPosition;
  readonly end: OneBasedPosition;
}

/** Engine range (0-based line, 0-based UTF-16 column) → 1-based line and column. */
export function oneBased(range: Range): OneBasedRange {
  return {
    start: { line: range.start.line + 1, column: range.start.character + 1 },
    end: { line: range.end.line + 1, column: range.end.character + 1 },
  };
}

export function findingsOf(report: ScanReport): FileFinding[] {
  const out: FileFinding[] = [];
  for (const r of report.results) {
    if (r.outcome.kind !== 'scanned') continue;
    for (const finding of r.outcome.findings) out.push({ file: r.file.display, finding, notebook: r.outcome.notebook });
  }
  return out;
}

/** Files that could not be scanned (read or decode failures, broken links). */
export function errorsOf(report: ScanReport): Problem[] {
  return [
    ...report.walkNotices.filter((n) => n.kind === 'error').map(({ file, message }) => ({ file, message })),
    ...report.results.flatMap((r) => (r.outcome.kind === 'error' ? [{ file: r.file.display, message: r.outcome.message }] : [])),
    ...report.results.flatMap((r) =>
      r.outcome.kind === 'scanned' && r.outcome.problems
        ? r.outcome.problems.map((p) => ({ file: r.file.display, message: `line ${p.line + 1}, column ${p.character + 1}: ${p.message.replace(/\.$/, '')} (the rest of the file was checked)` }))
        : [],
    ),
  ];
}

/** Paths left out on purpose (too large, links out of the tree). */
export function skippedOf(report: ScanReport): Problem[] {
  return [
    ...report.walkNotices.filter((n) => n.kind === 'skipped').map(({ file, message }) => ({ file, message })),
    ...report.results.flatMap((r) => (r.outcome.kind === 'skipped' ? [{ file: r.file.display, message: r.outcome.message }] : [])),
  ];
}

export function emptySeverityCounts(): Record<Severity, number> {
  return { critical: 0, high: 0, medium: 0, low: 0 };
}

export function summarize(report: ScanReport): Summary {
  const bySeverity = emptySeverityCounts();
  let files = 0;
  let findings = 0;
  let suppressed = 0;
  for (const r of report.results) {
    if (r.outcome.kind !== 'scanned') continue;
    files++;
    suppressed += r.outcome.suppressed;
    for (const f of r.outcome.findings) {
      findings++;
      bySeverity[f.severity]++;
    }
  }
  return {
    files,
    findings,
    bySeverity,
    suppressed,
    durationMs: report.durationMs,
    errors: errorsOf(report).length,
    skipped: skippedOf(report).length,
    ...(report.cache ? { cache: { hits: report.cache.hits, misses: report.cache.misses } } : {}),
  };
}

/** True when at least one finding has severity `threshold` or higher. */
export function reachesThreshold(report: ScanReport, threshold: Severity): boolean {
  const min = severityRank(threshold);
  return findingsOf(report).some((f) => severityRank(f.finding.severity) >= min);
}

/** Severities from the most to the least severe. */
export const SEVERITIES_DESCENDING: readonly Severity[] = [...SEVERITIES].reverse();

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One line: counts by severity, files scanned, suppressed, problems, cache hits and duration. */
export function summaryLine(s: Summary): string {
  const counts = SEVERITIES_DESCENDING.map((sev) => `${s.bySeverity[sev]} ${sev}`).join(', ');
  const parts = [
    s.findings === 0 ? `No findings in ${plural(s.files, 'file')}` : `${plural(s.findings, 'finding')} (${counts}) in ${plural(s.files, 'file')}`,
  ];
  if (s.suppressed) parts.push(`${s.suppressed} suppressed`);
  if (s.errors) parts.push(plural(s.errors, 'error'));
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  if (s.cache) parts.push(`${s.cache.hits} from cache`);
  parts.push(`${s.durationMs} ms`);
  return parts.join(', ') + '.';
}
