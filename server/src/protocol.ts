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
}

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

// ---------------------------------------------------------------------------------------------
// Commands and schemes (declared in package.json `contributes.commands`)
// ---------------------------------------------------------------------------------------------

export const Commands = {
  /** Argument: a rule id (`TL001`); without one the user picks a rule. */
  showRuleDoc: 'threatlens.showRuleDoc',
  restartServer: 'threatlens.restartServer',
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
