/**
 * The `threatlens.*` settings as the server uses them: pulled per document with
 * `workspace/configuration` when the client supports it (settings can differ per folder), else
 * taken from the `didChangeConfiguration` payload. Also maps them to engine options and decides
 * which documents `threatlens.exclude` leaves out.
 */
import type { Connection, DidChangeConfigurationParams, WorkspaceFolder } from 'vscode-languageserver/node';
import type { AnalysisOptions } from '../engine';
import { DEFAULT_SETTINGS, resolveSettings, SETTINGS_SECTION, type ThreatLensSettings } from '../protocol';

// picomatch ships no type declarations; this is the one call the server makes.
type GlobMatcher = (path: string) => boolean;
const picomatch = require('picomatch') as (
  globs: string | string[],
  options?: { dot?: boolean; nocase?: boolean },
) => GlobMatcher;

export function toAnalysisOptions(settings: ThreatLensSettings): AnalysisOptions {
  return {
    disabledRules: settings.rules.disabled,
    severityOverrides: settings.rules.severity,
    honorNosec: settings.honorNosec,
    timeBudgetMs: settings.timeBudgetMs,
  };
}

export class SettingsStore {
  private readonly pending = new Map<string, Promise<ThreatLensSettings>>();
  private readonly resolved = new Map<string, ThreatLensSettings>();
  /** Settings from the last `didChangeConfiguration` payload (clients without `workspace/configuration`). */
  private pushed: ThreatLensSettings = DEFAULT_SETTINGS;
  private generations = 0;

  constructor(
    private readonly connection: Connection,
    private readonly pull: boolean,
  ) {}

  /** Bumped by every configuration change: answers to requests made before one are stale. */
  get generation(): number {
    return this.generations;
  }

  /** The settings that apply to `uri` (cached until the configuration changes). */
  get(uri: string): Promise<ThreatLensSettings> {
    if (!this.pull) return Promise.resolve(this.pushed);
    let result = this.pending.get(uri);
    if (!result) {
      result = this.fetch(uri);
      this.pending.set(uri, result);
    }
    return result;
  }

  /** The settings for `uri` if they are already known, without asking the client. */
  peek(uri: string): ThreatLensSettings | undefined {
    return this.pull ? this.resolved.get(uri) : this.pushed;
  }

  private async fetch(uri: string): Promise<ThreatLensSettings> {
    const generation = this.generation;
    let settings: ThreatLensSettings;
    try {
      const raw: unknown = await this.connection.workspace.getConfiguration({ section: SETTINGS_SECTION, scopeUri: uri });
      settings = resolveSettings(raw);
    } catch (err) {
      this.connection.console.error(
        `ThreatLens: could not read the settings for ${uri} (${err instanceof Error ? err.message : String(err)}); using the defaults.`,
      );
      settings = DEFAULT_SETTINGS;
    }
    // Only remember the answer if the configuration did not change while the request was in flight.
    if (generation === this.generation) this.resolved.set(uri, settings);
    return settings;
  }

  /**
   * The settings of many files at once (a workspace scan), asked for in batched
   * `workspace/configuration` requests rather than one per file. Known answers are reused; the new
   * ones are not cached (a scan may cover thousands of files).
   */
  async getMany(uris: readonly string[]): Promise<ThreatLensSettings[]> {
    if (!this.pull) return uris.map(() => this.pushed);
    const out: ThreatLensSettings[] = new Array(uris.length);
    const missing: number[] = [];
    uris.forEach((uri, i) => {
      const known = this.resolved.get(uri);
      if (known) out[i] = known;
      else missing.push(i);
    });
    const BATCH = 500;
    for (let start = 0; start < missing.length; start += BATCH) {
      const batch = missing.slice(start, start + BATCH);
      let answers: unknown[] = [];
      try {
        const raw: unknown = await this.connection.workspace.getConfiguration(batch.map((i) => ({ section: SETTINGS_SECTION, scopeUri: uris[i] })));
        answers = Array.isArray(raw) ? raw : [];
      } catch (err) {
        this.connection.console.error(`ThreatLens: could not read the settings of ${batch.length} files (${err instanceof Error ? err.message : String(err)}); using the defaults.`);
      }
      batch.forEach((i, k) => (out[i] = resolveSettings(answers[k])));
    }
    return out;
  }

  /** Handles `workspace/didChangeConfiguration`: forget everything cached. */
  changed(params: DidChangeConfigurationParams): void {
    this.generations++;
    this.pending.clear();
    this.resolved.clear();
    if (!this.pull) {
      const all: unknown = params.settings;
      const section =
        typeof all === 'object' && all !== null ? (all as Record<string, unknown>)[SETTINGS_SECTION] : undefined;
      this.pushed = resolveSettings(section);
    }
  }

  forget(uri: string): void {
    this.pending.delete(uri);
    this.resolved.delete(uri);
  }
}

/**
 * The file-system-like path of a document, when its URI has one: `file:`, remote and virtual
 * workspace files (`vscode-remote:`, `vscode-vfs:`) and notebook cells (the notebook's path).
 * Unsaved buffers (`untitled:Untitled-1`) and opaque URIs have none. Always `/`-separated.
 */
export function documentPath(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol === 'untitled:' || !url.pathname.startsWith('/')) return undefined;
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return url.pathname;
  }
}

/** Matches document paths against `threatlens.exclude`, absolute or relative to a workspace folder. */
export class ExcludeMatcher {
  private folders: string[] = [];
  private compiled: { key: string; match: GlobMatcher } | undefined;

  setFolders(folders: readonly WorkspaceFolder[] | null | undefined, rootUri?: string | null): void {
    const uris = folders?.length ? folders.map((f) => f.uri) : rootUri ? [rootUri] : [];
    this.folders = uris
      .map(documentPath)
      .filter((p): p is string => p !== undefined)
      .map((p) => (p.endsWith('/') ? p : p + '/'));
  }

  addFolders(added: readonly WorkspaceFolder[], removed: readonly WorkspaceFolder[]): void {
    const norm = (f: WorkspaceFolder): string | undefined => {
      const p = documentPath(f.uri);
      return p === undefined ? undefined : p.endsWith('/') ? p : p + '/';
    };
    const gone = new Set(removed.map(norm));
    this.folders = this.folders.filter((p) => !gone.has(p));
    for (const f of added) {
      const p = norm(f);
      if (p && !this.folders.includes(p)) this.folders.push(p);
    }
  }

  /** True when `uri` has a path and one of `patterns` matches it. */
  isExcluded(uri: string, patterns: readonly string[]): boolean {
    if (patterns.length === 0) return false;
    const path = documentPath(uri);
    if (path === undefined) return false;
    const match = this.matcher(patterns);
    if (match(path)) return true;
    return this.folders.some((folder) => path.startsWith(folder) && match(path.slice(folder.length)));
  }

  private matcher(patterns: readonly string[]): GlobMatcher {
    const key = JSON.stringify(patterns);
    if (this.compiled?.key !== key) {
      const matchers: GlobMatcher[] = [];
      for (const pattern of patterns) {
        try {
          matchers.push(picomatch(pattern, { dot: true, nocase: process.platform === 'win32' }));
        } catch {
          // A malformed pattern is skipped; it must not stop the analysis of every file.
        }
      }
      this.compiled = { key, match: (path) => matchers.some((m) => m(path)) };
    }
    return this.compiled.match;
  }
}
