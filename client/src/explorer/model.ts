/**
 * The data behind the ThreatLens sidebar, free of any `vscode` import so that it can be unit-tested
 * with plain Node: findings as plain records, the catalog indexes, grouping, counting, filtering
 * and the Markdown export.
 */
import {
  RULE_SEVERITIES,
  type CatalogResult,
  type CatalogRule,
  type CatalogThreat,
  type ExplorerGrouping,
  type RuleSeverity,
} from '../../../server/src/protocol';

/** One ThreatLens diagnostic, reduced to what the explorer shows. Positions are 0-based. */
export interface FindingRecord {
  /** The document URI (`file:`, `vscode-notebook-cell:`, ...) as a string. */
  uri: string;
  /** The path shown to the user: workspace-relative; for a notebook cell, the notebook's path. */
  file: string;
  /** 1-based cell number when the finding is in a notebook cell. */
  cell?: number;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  ruleId: string;
  /** The first line of the diagnostic message (the rest is the threat link line). */
  message: string;
  severity: RuleSeverity;
}

/** Diagnostic severities as numbers, as in `vscode.DiagnosticSeverity` (Error = 0 ... Hint = 3). */
export type DiagnosticLevel = 0 | 1 | 2 | 3;

const LEVEL_OF: Record<RuleSeverity, DiagnosticLevel> = { critical: 0, high: 0, medium: 1, low: 2 };

/**
 * The ThreatLens severity of a diagnostic. Diagnostics only say error / warning / information, so
 * the rule's severity is taken from the user's override or the catalog when it agrees with what
 * the editor shows, and otherwise derived from the level (error = high, warning = medium, else low).
 */
export function severityOf(level: number, override?: RuleSeverity, catalog?: RuleSeverity): RuleSeverity {
  for (const s of [override, catalog]) if (s && LEVEL_OF[s] === level) return s;
  if (level === 0) return 'high';
  if (level === 1) return 'medium';
  return 'low';
}

export function severityRank(s: RuleSeverity): number {
  return RULE_SEVERITIES.indexOf(s);
}

/** The rule id of a diagnostic `code`: a string, or `{ value }` when the rule has a doc link. */
export function ruleIdOf(code: unknown): string | undefined {
  if (typeof code === 'string') return code;
  if (typeof code === 'object' && code !== null && typeof (code as { value?: unknown }).value === 'string') {
    return (code as { value: string }).value;
  }
  return undefined;
}

/** The first line of a diagnostic message, without the "Threats: ..." line the server appends. */
export function shortMessage(message: string): string {
  const first = message.split(/\r?\n/, 1)[0] ?? '';
  return first.trim();
}

// ---------------------------------------------------------------------------------------------
// Catalog index
// ---------------------------------------------------------------------------------------------

export interface CatalogIndex {
  catalog: CatalogResult;
  rules: Map<string, CatalogRule>;
  threats: Map<string, CatalogThreat>;
  /** Rule id -> threat ids (from the rules, plus threats that list the rule). */
  threatsOfRule: Map<string, string[]>;
}

export function indexCatalog(catalog: CatalogResult): CatalogIndex {
  const rules = new Map(catalog.rules.map((r) => [r.id, r]));
  const threats = new Map(catalog.threats.map((t) => [t.id, t]));
  const threatsOfRule = new Map<string, string[]>();
  const add = (rule: string, threat: string): void => {
    const list = threatsOfRule.get(rule) ?? [];
    if (!list.includes(threat)) list.push(threat);
    threatsOfRule.set(rule, list);
  };
  for (const r of catalog.rules) for (const t of r.threats) if (threats.has(t)) add(r.id, t);
  for (const t of catalog.threats) for (const r of t.rules) add(r, t.id);
  return { catalog, rules, threats, threatsOfRule };
}

export function threatsOf(index: CatalogIndex | undefined, ruleId: string): CatalogThreat[] {
  if (!index) return [];
  return (index.threatsOfRule.get(ruleId) ?? []).map((id) => index.threats.get(id)).filter((t): t is CatalogThreat => !!t);
}

export function stagesOf(index: CatalogIndex | undefined, ruleId: string): string[] {
  return [...new Set(threatsOf(index, ruleId).flatMap((t) => t.stages))];
}

/**
 * ATLAS technique ids of a rule: its own, or when it names none, those of the threats it evidences
 * (deduplicated). A rule's threats can list dozens of techniques between them; the rule's own are
 * the ones its findings show.
 */
export function atlasIdsOf(index: CatalogIndex | undefined, ruleId: string): string[] {
  if (!index) return [];
  const own = index.rules.get(ruleId)?.techniques.map((t) => t.id) ?? [];
  if (own.length) return [...new Set(own)];
  return [...new Set(threatsOf(index, ruleId).flatMap((t) => t.techniques.map((x) => x.id)))];
}

// ---------------------------------------------------------------------------------------------
// Filtering and grouping
// ---------------------------------------------------------------------------------------------

/**
 * Findings at or above `minimum` whose message, rule id, file or threat (id or name) contain every
 * whitespace-separated word of `filter` (case-insensitive).
 */
export function filterFindings(
  findings: readonly FindingRecord[],
  options: { filter?: string; minimumSeverity?: RuleSeverity; index?: CatalogIndex },
): FindingRecord[] {
  const min = severityRank(options.minimumSeverity ?? 'low');
  const words = (options.filter ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return findings.filter((f) => {
    if (severityRank(f.severity) < min) return false;
    if (words.length === 0) return true;
    const haystack = [
      f.message,
      f.ruleId,
      locationLabel(f),
      ...threatsOf(options.index, f.ruleId).flatMap((t) => [t.id, t.name]),
      options.index?.rules.get(f.ruleId)?.title ?? '',
    ]
      .join('\n')
      .toLowerCase();
    return words.every((w) => haystack.includes(w));
  });
}

export interface FindingGroup {
  /** Stable key: threat id, stage name, file path or severity; `''` for "no threat / no stage". */
  key: string;
  label: string;
  /** E.g. "3 findings · critical". */
  description: string;
  findings: FindingRecord[];
  /** The highest severity in the group. */
  severity: RuleSeverity;
}

export const NO_THREAT_LABEL = 'No linked threat';
export const NO_STAGE_LABEL = 'No lifecycle stage';

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function compareFindings(a: FindingRecord, b: FindingRecord): number {
  return (
    a.file.localeCompare(b.file) ||
    (a.cell ?? 0) - (b.cell ?? 0) ||
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    a.ruleId.localeCompare(b.ruleId)
  );
}

function maxSeverity(findings: readonly FindingRecord[]): RuleSeverity {
  let best: RuleSeverity = 'low';
  for (const f of findings) if (severityRank(f.severity) > severityRank(best)) best = f.severity;
  return best;
}

/**
 * Groups findings for the Findings view. By threat and by stage a finding appears in every group
 * it belongs to; findings without a threat (or stage) go to a last group with key `''`.
 */
export function groupFindings(findings: readonly FindingRecord[], by: ExplorerGrouping, index?: CatalogIndex): FindingGroup[] {
  const buckets = new Map<string, FindingRecord[]>();
  const put = (key: string, f: FindingRecord): void => {
    const list = buckets.get(key);
    if (list) list.push(f);
    else buckets.set(key, [f]);
  };
  for (const f of findings) {
    let keys: string[];
    switch (by) {
      case 'threat':
        keys = threatsOf(index, f.ruleId).map((t) => t.id);
        break;
      case 'stage':
        keys = stagesOf(index, f.ruleId);
        break;
      case 'file':
        keys = [f.file];
        break;
      case 'severity':
        keys = [f.severity];
        break;
    }
    if (keys.length === 0) keys = [''];
    for (const k of keys) put(k, f);
  }

  const groups: FindingGroup[] = [...buckets].map(([key, list]) => {
    list.sort(compareFindings);
    const severity = maxSeverity(list);
    let label: string;
    if (by === 'threat') label = key ? `${key} ${index?.threats.get(key)?.name ?? ''}`.trim() : NO_THREAT_LABEL;
    else if (by === 'stage') label = key || NO_STAGE_LABEL;
    else if (by === 'severity') label = key.charAt(0).toUpperCase() + key.slice(1);
    else label = key;
    const description = by === 'severity' ? plural(list.length, 'finding') : `${plural(list.length, 'finding')} · ${severity}`;
    return { key, label, description, findings: list, severity };
  });

  const stageOrder = index?.catalog.stages ?? [];
  const last = (g: FindingGroup): number => (g.key === '' ? 1 : 0);
  groups.sort((a, b) => {
    if (last(a) !== last(b)) return last(a) - last(b);
    switch (by) {
      case 'severity':
        return severityRank(b.severity) - severityRank(a.severity);
      case 'stage': {
        const ia = stageOrder.indexOf(a.key);
        const ib = stageOrder.indexOf(b.key);
        return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || a.key.localeCompare(b.key);
      }
      case 'file':
        return a.key.localeCompare(b.key);
      case 'threat':
        return (
          severityRank(b.severity) - severityRank(a.severity) || b.findings.length - a.findings.length || a.key.localeCompare(b.key)
        );
    }
  });
  return groups;
}

/** Findings per threat id (a finding counts once for each threat its rule evidences). */
export function countByThreat(findings: readonly FindingRecord[], index: CatalogIndex | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of findings) for (const t of threatsOf(index, f.ruleId)) counts.set(t.id, (counts.get(t.id) ?? 0) + 1);
  return counts;
}

/** The findings whose rule evidences `threatId`. */
export function findingsOfThreat(findings: readonly FindingRecord[], index: CatalogIndex | undefined, threatId: string): FindingRecord[] {
  return findings.filter((f) => threatsOf(index, f.ruleId).some((t) => t.id === threatId)).sort(compareFindings);
}

/** `file:line` (1-based line; `file, cell N:line` in notebooks) as shown in the tree and in exports. */
export function locationLabel(f: FindingRecord): string {
  return `${f.file}${f.cell !== undefined ? `, cell ${f.cell}` : ''}:${f.range.start.line + 1}`;
}

// ---------------------------------------------------------------------------------------------
// Markdown export
// ---------------------------------------------------------------------------------------------

/** Escapes text for Markdown prose (not inside code spans). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]<>()#+!|~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/**
 * Escapes a finding message for Markdown but keeps its `code` spans (the server writes code that
 * way), so `pickle.load` stays code and `*` elsewhere stays a star.
 */
export function messageMarkdown(text: string): string {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part, i) => (i % 2 === 1 ? part : escapeMarkdown(part)))
    .join('');
}

/** A Markdown code span that survives backticks inside `text`. */
export function codeSpan(text: string): string {
  const runs = text.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\r?\n/g, ' ')}${pad}${fence}`;
}

function findingFacts(f: FindingRecord, index: CatalogIndex | undefined): { title: string; threats: string; atlas: string } {
  const rule = index?.rules.get(f.ruleId);
  const threats = threatsOf(index, f.ruleId)
    .map((t) => `${t.id} ${escapeMarkdown(t.name)}`)
    .join('; ');
  return { title: rule ? escapeMarkdown(rule.title) : '', threats, atlas: atlasIdsOf(index, f.ruleId).join(', ') };
}

/** One finding as a short Markdown block: rule, title, severity, location, message, threats, ATLAS. */
export function findingMarkdown(f: FindingRecord, index?: CatalogIndex): string {
  const { title, threats, atlas } = findingFacts(f, index);
  const lines = [
    `**${f.ruleId}${title ? ` ${title}` : ''}** (${f.severity}) at ${codeSpan(locationLabel(f))}`,
    '',
    messageMarkdown(f.message),
  ];
  if (threats) lines.push('', `Threats: ${threats}`);
  if (atlas) lines.push('', `MITRE ATLAS: ${atlas}`);
  return lines.join('\n') + '\n';
}

/** A group of findings as a Markdown heading and a list, one item per finding. */
export function groupMarkdown(heading: string, findings: readonly FindingRecord[], index?: CatalogIndex): string {
  const lines = [`### ${escapeMarkdown(heading)} (${plural(findings.length, 'finding')})`, ''];
  for (const f of findings) {
    const { title, threats, atlas } = findingFacts(f, index);
    let item = `- **${f.ruleId}**${title ? ` ${title}` : ''} (${f.severity}) ${codeSpan(locationLabel(f))}: ${messageMarkdown(f.message)}`;
    if (threats) item += ` Threats: ${threats}.`;
    if (atlas) item += ` ATLAS: ${atlas}.`;
    lines.push(item);
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Files the workspace scan looks at
// ---------------------------------------------------------------------------------------------

/**
 * True for paths ThreatLens analyses: Python files, notebooks and the dependency manifests of
 * MANIFEST_PATTERNS in extension.ts (requirements/constraints files, pyproject.toml, setup.cfg,
 * Pipfile, environment*.yml).
 */
/** Glob patterns of the dependency manifests the server reads (document selectors, file watchers). */
export const MANIFEST_PATTERNS = [
  '**/*requirements*.{txt,in}',
  '**/requirements/*.{txt,in}',
  '**/*constraints*.txt',
  '**/pyproject.toml',
  '**/setup.cfg',
  '**/Pipfile',
  '**/environment*.{yml,yaml}',
];

export function isScannablePath(path: string): boolean {
  const parts = path.split(/[\\/]/);
  const base = parts[parts.length - 1] ?? '';
  const parent = parts[parts.length - 2] ?? '';
  if (/\.(py|pyi|ipynb)$/i.test(base)) return true;
  if (/requirements.*\.(txt|in)$/i.test(base)) return true;
  if (parent === 'requirements' && /\.(txt|in)$/i.test(base)) return true;
  if (/constraints.*\.txt$/i.test(base)) return true;
  if (base === 'pyproject.toml' || base === 'setup.cfg' || base === 'Pipfile') return true;
  return /^environment.*\.ya?ml$/i.test(base);
}

/**
 * The paths in `git status --porcelain -z` output (relative to the repository root) that still
 * exist: modified, added, renamed (the new name), copied and untracked; deleted ones are left out.
 */
export function parsePorcelainZ(output: string): string[] {
  const fields = output.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i]!;
    if (entry.length < 4) continue;
    const x = entry[0]!;
    const y = entry[1]!;
    const path = entry.slice(3);
    // A rename or copy is followed by a field with the original path.
    if (x === 'R' || x === 'C' || y === 'R' || y === 'C') i++;
    if (x === 'D' || y === 'D' || x === '!') continue;
    paths.push(path);
  }
  return paths;
}
