/**
 * Public types of the ThreatLens engine. The engine is plain TypeScript: nothing here may import
 * vscode, vscode-languageserver or any other editor API, so the server, the CLI, the tests and the
 * benchmarks all call the same code.
 *
 * Positions are 0-based lines and UTF-16 code-unit columns (the LSP default). The CLI converts them
 * to 1-based when it prints them.
 */

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

/** `safe`: keeps behaviour for benign input, may be applied by fix-all. `unsafe`: changes behaviour. */
export type FixSafety = 'safe' | 'unsafe';

export interface Fix {
  title: string;
  safety: FixSafety;
  edits: TextEdit[];
  /**
   * Set when `newText` of the edits holds LSP snippet placeholders (`${1:COMMIT_SHA}`): an editor
   * that can insert snippets lets the user fill them in; elsewhere `plainSnippet` gives the text.
   */
  snippet?: boolean;
}

/** The text of a snippet with its placeholders replaced by their default text. */
export function plainSnippet(text: string): string {
  return text.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\d+/g, '');
}

export interface RelatedInfo {
  range: Range;
  message: string;
  /** Notebooks: the 1-based cell the range is in (the range is relative to that cell). */
  cell?: number;
}

export type RuleFamily =
  | 'deserialization'
  | 'code-execution'
  | 'model-supply-chain'
  | 'archive'
  | 'transport'
  | 'secrets'
  | 'llm-app'
  | 'serving'
  | 'untrusted-input'
  | 'dependencies';

export const RULE_FAMILIES: readonly RuleFamily[] = [
  'deserialization',
  'code-execution',
  'model-supply-chain',
  'archive',
  'transport',
  'secrets',
  'llm-app',
  'serving',
  'untrusted-input',
  'dependencies',
];

export interface RuleDocs {
  /** One or two sentences: what the rule reports. */
  finds: string;
  /** Why it is dangerous, in terms of what an attacker gets. */
  why: string;
  /** A short Python example that the rule flags. */
  example: string;
  /** The same code written safely; the rule stays silent on it. */
  useInstead: string;
  /**
   * For rules that read manifests: the file name the example and its safe form are written in
   * (`requirements.txt`, `pyproject.toml`...). Absent for rules on Python code.
   */
  exampleFile?: string;
  references: { title: string; url: string }[];
}

export interface RuleMeta {
  /** Stable id: `TL` followed by three digits. */
  id: string;
  /** Kebab-case name, stable as well. */
  name: string;
  title: string;
  family: RuleFamily;
  severity: Severity;
  /** CWE ids such as `CWE-502`. */
  cwe: string[];
  /** Threat catalog ids (`MLT-0xx`). */
  threats: string[];
  /** MITRE ATLAS technique ids (`AML.T0011.000`). */
  techniques: string[];
  /** Ids of the same check in other tools; a `# nosec B301` naming one of them suppresses the rule. */
  peers?: { bandit?: string[]; ruff?: string[] };
  docs: RuleDocs;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  range: Range;
  /** Fixes, the preferred (safe) one first. */
  fixes: Fix[];
  related: RelatedInfo[];
  /** Notebooks: the 1-based cell of the finding; `range` and fix edits are relative to that cell. */
  cell?: number;
}

export interface AnalysisOptions {
  /** Rule ids to leave out. */
  disabledRules?: readonly string[];
  /** When set, only these rule ids run. */
  selectedRules?: readonly string[];
  /** Per-rule severity overrides. */
  severityOverrides?: Readonly<Record<string, Severity>>;
  /** Honour Bandit's `# nosec` marker (default true). */
  honorNosec?: boolean;
  /** Stop analysing after this many milliseconds (default: no limit). */
  timeBudgetMs?: number;
}

export interface AnalysisResult {
  findings: Finding[];
  /** Findings removed by a suppression comment (kept for reporting). */
  suppressed: number;
  /** True when the time budget ran out and the findings are partial. */
  timedOut: boolean;
  /** True when tree-sitter had to recover from syntax errors. */
  hasSyntaxErrors: boolean;
  /** Where tree-sitter found syntax errors (first few only). */
  syntaxErrors: Range[];
  /** Manifests: malformed lines, each with a message (the rest of the file was still checked). */
  problems?: { range: Range; message: string; cell?: number }[];
}
