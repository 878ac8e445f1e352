/**
 * Engine findings as LSP diagnostics.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import { getRule, linkLine, type Finding, type Severity } from '../engine';

export const DIAGNOSTIC_SOURCE = 'ThreatLens';

/** What a ThreatLens diagnostic carries in `data`, so a code action request can find its finding. */
export interface DiagnosticData {
  ruleId: string;
  /** Document version the finding belongs to. */
  version: number;
  /** Index of the finding in that version's analysis. */
  index: number;
}

export function isDiagnosticData(value: unknown): value is DiagnosticData {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.ruleId === 'string' && typeof v.version === 'number' && typeof v.index === 'number';
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  critical: DiagnosticSeverity.Error,
  high: DiagnosticSeverity.Error,
  medium: DiagnosticSeverity.Warning,
  low: DiagnosticSeverity.Information,
};

export function diagnosticSeverity(severity: Severity): DiagnosticSeverity {
  return SEVERITY[severity] ?? DiagnosticSeverity.Warning;
}

/** The folder of the generated rule pages, next to the server bundle (`dist/../docs/rules`). */
export function defaultDocsDir(bundleDir: string): string {
  return path.join(bundleDir, '..', 'docs', 'rules');
}

/** `file:` URI of a rule's bundled documentation page. */
export function ruleDocHref(docsDir: string, ruleId: string): string {
  return pathToFileURL(path.join(docsDir, `${ruleId}.md`)).href;
}

export function toDiagnostic(finding: Finding, uri: string, version: number, index: number, docsDir: string): Diagnostic {
  const rule = getRule(finding.ruleId);
  const data: DiagnosticData = { ruleId: finding.ruleId, version, index };
  const diagnostic: Diagnostic = {
    range: finding.range,
    severity: diagnosticSeverity(finding.severity),
    code: finding.ruleId,
    source: DIAGNOSTIC_SOURCE,
    message: rule ? `${finding.message}\n${linkLine(rule.meta)}` : finding.message,
    data,
  };
  if (rule) diagnostic.codeDescription = { href: ruleDocHref(docsDir, finding.ruleId) };
  if (finding.related.length > 0) {
    diagnostic.relatedInformation = finding.related.map((r) => ({
      location: { uri, range: r.range },
      message: r.message,
    }));
  }
  return diagnostic;
}

/**
 * A malformed line of a manifest. It has no rule code (so no "ignore" action is offered for it) and
 * is a warning: the rest of the file was still checked.
 */
export function problemDiagnostic(problem: { range: Diagnostic['range']; message: string }): Diagnostic {
  return {
    range: problem.range,
    severity: DiagnosticSeverity.Warning,
    source: DIAGNOSTIC_SOURCE,
    message: `ThreatLens could not read this: ${problem.message.replace(/\.$/, '')}. The rest of the file was still checked.`,
  };
}
