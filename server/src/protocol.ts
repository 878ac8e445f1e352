/**
 * The contract between the ThreatLens client (VS Code extension) and its language server: custom
 * LSP method names, their payloads, command ids and the settings shape.
 *
 * Plain TypeScript with no imports, so that the client bundle, the server bundle, the CLI and the
 * tests can all import it without dragging editor or server code along.
 *
 * Settings are declared once, in package.json `contributes.configuration`. `ThreatLensSettings`
 * and `DEFAULT_SETTINGS` mirror that declaration; test/build.test.ts fails when the two disagree.
 */

export type RuleSeverity = 'low' | 'medium' | 'high' | 'critical';

export const RULE_SEVERITIES: readonly RuleSeverity[] = ['low', 'medium', 'high', 'critical'];

/** When the server analyses an open document. */
export type RunMode = 'onType' | 'onSave';

/** The `threatlens.*` settings, as the server sees them after `resolveSettings`. */
export interface ThreatLensSettings {
  /** `threatlens.enable`: report findings at all. */
  enable: boolean;
  /** `threatlens.run`: analyse while typing or only on save. */
  run: RunMode;
  rules: {
    /** `threatlens.rules.disabled`: rule ids that never report. */
    disabled: string[];
    /** `threatlens.rules.severity`: per-rule severity overrides, rule id -> severity. */
    severity: Record<string, RuleSeverity>;
  };
  /** `threatlens.exclude`: glob patterns of files that are never analysed. */
  exclude: string[];
  /** `threatlens.honorNosec`: honour Bandit-style `# nosec` markers. */
  honorNosec: boolean;
  /** `threatlens.timeBudgetMs`: stop analysing one document after this many milliseconds. */
  timeBudgetMs: number;
  advisories: {
    /** `threatlens.advisories.online`: also ask the OSV API about pinned versions (off by default). */
    online: boolean;
  };
  /** `threatlens.scanOnStartup`: scan the whole workspace when the extension starts. */
  scanOnStartup: boolean;
  explorer: {
    /** `threatlens.explorer.groupBy`: how the Findings view groups findings. */
    groupBy: ExplorerGrouping;
    /** `threatlens.explorer.minimumSeverity`: findings below this severity are not listed. */
    minimumSeverity: RuleSeverity;
  };
}

export type ExplorerGrouping = 'threat' | 'stage' | 'file' | 'severity';

export const EXPLORER_GROUPINGS: readonly ExplorerGrouping[] = ['threat', 'stage', 'file', 'severity'];

/** The section name under which the settings live (`workspace.getConfiguration(SETTINGS_SECTION)`). */
export const SETTINGS_SECTION = 'threatlens';

export const DEFAULT_SETTINGS: ThreatLensSettings = {
  enable: true,
  run: 'onType',
  rules: {
    disabled: [],
    severity: {},
  },
  exclude: ['**/.venv/**', '**/venv/**', '**/site-packages/**', '**/node_modules/**', '**/.git/**'],
  honorNosec: true,
  timeBudgetMs: 2000,
  advisories: {
    online: false,
  },
  scanOnStartup: false,
  explorer: {
    groupBy: 'threat',
    minimumSeverity: 'low',
  },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown, fallback: readonly string[]): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [...fallback];
}

/**
 * Turns whatever the client sent for the `threatlens` section (possibly partial, possibly of the
 * wrong types when a user edited settings.json by hand) into complete, valid settings. Unknown or
 * invalid values fall back to the defaults; nothing throws.
 */
export function resolveSettings(raw: unknown): ThreatLensSettings {
  const d = DEFAULT_SETTINGS;
  const r = isRecord(raw) ? raw : {};
  const rules = isRecord(r.rules) ? r.rules : {};
  const severity: Record<string, RuleSeverity> = {};
  if (isRecord(rules.severity)) {
    for (const [id, value] of Object.entries(rules.severity)) {
      if (typeof value === 'string' && (RULE_SEVERITIES as readonly string[]).includes(value)) {
        severity[id] = value as RuleSeverity;
      }
    }
  }
  const budget = r.timeBudgetMs;
  const advisories = isRecord(r.advisories) ? r.advisories : {};
  const explorer = isRecord(r.explorer) ? r.explorer : {};
  return {
    enable: typeof r.enable === 'boolean' ? r.enable : d.enable,
    run: r.run === 'onType' || r.run === 'onSave' ? r.run : d.run,
    rules: {
      disabled: stringArray(rules.disabled, d.rules.disabled),
      severity,
    },
    exclude: stringArray(r.exclude, d.exclude),
    honorNosec: typeof r.honorNosec === 'boolean' ? r.honorNosec : d.honorNosec,
    timeBudgetMs: typeof budget === 'number' && Number.isFinite(budget) && budget > 0 ? budget : d.timeBudgetMs,
    advisories: {
      online: typeof advisories.online === 'boolean' ? advisories.online : d.advisories.online,
    },
    scanOnStartup: typeof r.scanOnStartup === 'boolean' ? r.scanOnStartup : d.scanOnStartup,
    explorer: {
      groupBy: (EXPLORER_GROUPINGS as readonly unknown[]).includes(explorer.groupBy) ? (explorer.groupBy as ExplorerGrouping) : d.explorer.groupBy,
      minimumSeverity: (RULE_SEVERITIES as readonly unknown[]).includes(explorer.minimumSeverity) ? (explorer.minimumSeverity as RuleSeverity) : d.explorer.minimumSeverity,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Custom LSP methods
// ---------------------------------------------------------------------------------------------

/** What the server is doing, shown in the language status item. */
export type ServerState = 'ok' | 'analyzing' | 'slow' | 'error';

/** Server -> client notification `threatlens/status`. */
export const STATUS_NOTIFICATION = 'threatlens/status';

export interface StatusParams {
  state: ServerState;
  /** Findings in the document the status refers to (or in total), when known. */
  findings?: number;
  /** A short human-readable explanation, e.g. why the server is slow or what failed. */
  message?: string;
  /** The workspace scan: running or not, and what the last (or current) scan has found so far. */
  workspace?: { scanning: boolean; files: number; findings: number };
}

/** Client -> server request `threatlens/rules`: every rule the server knows, for a quick pick. */
export const RULES_REQUEST = 'threatlens/rules';

export type RulesParams = Record<string, never>;

export interface RuleSummary {
  id: string;
  title: string;
}

export type RulesResult = RuleSummary[];

/** Client -> server request `threatlens/ruleDoc`: one rule's documentation as markdown. */
export const RULE_DOC_REQUEST = 'threatlens/ruleDoc';

export interface RuleDocParams {
  id: string;
}

export interface RuleDocResult {
  markdown: string;
}

/**
 * Client -> server request `threatlens/catalog`: everything the explorer and the details view show
 * about rules and threats, so the client bundle carries no catalog data of its own.
 */
export const CATALOG_REQUEST = 'threatlens/catalog';

export interface CatalogLink {
  id: string;
  name: string;
  url?: string;
}

export interface CatalogThreat {
  id: string;
  name: string;
  severity: RuleSeverity;
  summary: string;
  /** Where the threat comes from: `atlas-case-study`, `incident`, `literature`. */
  source: string;
  sourceRef?: { title: string; url?: string };
  stages: string[];
  techniques: CatalogLink[];
  tactics: CatalogLink[];
  mitigations: { id?: string; name: string; text?: string; url?: string }[];
  cwe: string[];
  owasp: string[];
  /** Rules whose findings evidence this threat. */
  rules: string[];
  /** How the threat shows (or does not show) in code. */
  inCode?: string;
}

export interface CatalogRule {
  id: string;
  name: string;
  title: string;
  family: string;
  severity: RuleSeverity;
  cwe: string[];
  threats: string[];
  techniques: CatalogLink[];
  finds: string;
  why: string;
  example: string;
  useInstead: string;
  /** Code fence language of the examples (`python`, `text`, `toml`, `yaml`, `ini`). */
  exampleLanguage: string;
  references: { title: string; url: string }[];
}

export interface CatalogResult {
  /** Lifecycle stages in lifecycle order. */
  stages: string[];
  threats: CatalogThreat[];
  rules: CatalogRule[];
  atlasVersion: string;
}

/**
 * Client -> server request `threatlens/scanWorkspace`: analyses the files of the workspace folders
 * (Python, notebooks, manifests; honouring `threatlens.exclude`, `.gitignore` and the default
 * excludes) and publishes diagnostics for those not open in the editor. Reports progress through
 * the request's `workDoneToken` and stops when the request is cancelled.
 */
export const SCAN_WORKSPACE_REQUEST = 'threatlens/scanWorkspace';

export interface ScanWorkspaceParams {
  /** Only these files (`file:` URIs), e.g. the files git reports as changed. */
  uris?: string[];
  /** LSP work-done progress token the server reports through. */
  workDoneToken?: string | number;
}

export interface ScanWorkspaceResult {
  files: number;
  findings: number;
  /** Files that could not be read or parsed. */
  errors: number;
  durationMs: number;
  cancelled: boolean;
}

// ---------------------------------------------------------------------------------------------
// Commands and schemes (declared in package.json `contributes.commands`)
// ---------------------------------------------------------------------------------------------

export const Commands = {
  /** Argument: a rule id (`TL001`); without one the user picks a rule. */
  showRuleDoc: 'threatlens.showRuleDoc',
  restartServer: 'threatlens.restartServer',
  /** Analyses the workspace (`threatlens/scanWorkspace`) with a cancellable progress notification. */
  scanWorkspace: 'threatlens.scanWorkspace',
  /** Analyses the files git reports as changed or untracked. */
  scanChangedFiles: 'threatlens.scanChangedFiles',
  /** Argument: a threat id (`MLT-001`), a rule id or a `threatlens-doc:` URI; without one the user picks a threat. */
  showThreatDetails: 'threatlens.showThreatDetails',
  /** Applies the `source.fixAll.threatlens` action to the active editor. */
  fixAllInFile: 'threatlens.fixAllInFile',
  /** Findings view: argument an ExplorerGrouping, or a quick pick. */
  groupFindingsBy: 'threatlens.findings.groupBy',
  groupFindingsByThreat: 'threatlens.findings.groupByThreat',
  groupFindingsByStage: 'threatlens.findings.groupByStage',
  groupFindingsByFile: 'threatlens.findings.groupByFile',
  groupFindingsBySeverity: 'threatlens.findings.groupBySeverity',
  /** Findings view: argument the filter text, or an input box. */
  filterFindings: 'threatlens.findings.filter',
  clearFindingsFilter: 'threatlens.findings.clearFilter',
  /** Tree item commands (argument: the tree node). */
  applyFix: 'threatlens.finding.applyFix',
  ignoreFinding: 'threatlens.finding.ignore',
  openDetails: 'threatlens.openDetails',
  copyAsMarkdown: 'threatlens.copyAsMarkdown',
} as const;

/**
 * Commands the server puts into code actions but that are not shown in the command palette.
 * `applySnippet` arguments: `{ uri, version, range, snippet }` (a fix with placeholders to fill in).
 */
export const InternalCommands = {
  applySnippet: 'threatlens.applySnippet',
} as const;

export interface ApplySnippetArgs {
  uri: string;
  version: number;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  snippet: string;
}

/**
 * `initializationOptions` the ThreatLens client sends: `snippets` when it can run
 * `threatlens.applySnippet`, `cacheDir` for the online advisory cache.
 */
export interface InitializationOptions {
  snippets?: boolean;
  cacheDir?: string;
}

/** URI scheme of the read-only virtual documents that hold rule docs: `threatlens-doc:/TL001.md`. */
export const RULE_DOC_SCHEME = 'threatlens-doc';
