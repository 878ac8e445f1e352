/**
 * Human-readable report: one line per finding, `path:line:col: SEVERITY TLxxx message` (the form
 * editors and terminals turn into links), followed by indented lines naming the threats and ATLAS
 * techniques and the available fix; findings are grouped by file, then a summary line.
 */
import { getRule, linkLine, type Severity } from '../engine';
import { findingsOf, oneBased, summarize, summaryLine, type ScanReport } from './report';

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  severity(sev: Severity, s: string): string;
}

const SGR = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const bold = SGR(1, 22);
const dim = SGR(2, 22);
const red = SGR(31, 39);
const yellow = SGR(33, 39);
const blue = SGR(34, 39);
const magenta = SGR(35, 39);

export const PLAIN: Style = { bold: (s) => s, dim: (s) => s, severity: (_sev, s) => s };

export const COLOURED: Style = {
  bold,
  dim,
  severity(sev, s) {
    switch (sev) {
      case 'critical':
        return bold(magenta(s));
      case 'high':
        return bold(red(s));
      case 'medium':
        return yellow(s);
      case 'low':
        return blue(s);
    }
  },
};

/**
 * Colour only for a terminal, and never when NO_COLOR is set to a non-empty value
 * (https://no-color.org).
 */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  return stream.isTTY && !env.NO_COLOR ? COLOURED : PLAIN;
}

export interface TextOptions {
  readonly style: Style;
  /** Include the summary line at the end. */
  readonly summary: boolean;
}

export function formatText(report: ScanReport, options: TextOptions): string {
  const { style } = options;
  const lines: string[] = [];
  let current: string | undefined;
  for (const { file, finding } of findingsOf(report)) {
    if (current !== undefined && file !== current) lines.push('');
    current = file;
    const { start } = oneBased(finding.range);
    const rule = getRule(finding.ruleId);
    lines.push(
      `${style.bold(`${file}:${finding.cell !== undefined ? `cell ${finding.cell}:` : ''}${start.line}:${start.column}:`)} ${style.severity(finding.severity, finding.severity.toUpperCase())} ` +
        `${style.bold(finding.ruleId)} ${finding.message}`,
    );
    if (rule) lines.push(`    ${style.dim(linkLine(rule.meta))}`);
    const fix = finding.fixes[0];
    if (fix) lines.push(`    ${style.dim(`Fix (${fix.safety}): ${fix.title}`)}`);
  }
  if (options.summary) {
    if (lines.length > 0) lines.push('');
    lines.push(summaryLine(summarize(report)));
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}
