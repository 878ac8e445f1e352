/**
 * Runs the dependency rules over one parsed manifest and turns offsets into line/column findings.
 */
import { enabledRules } from '../analyze';
import { lineStarts } from '../edits';
import { Suppressions, type CommentLike } from '../suppress';
import type { AnalysisOptions, Finding, Fix, Position, Range } from '../types';
import { AdvisoryDb } from './advisories';
import type { ManifestContext, ManifestFix, ManifestReport } from './context';
import type { Manifest, ManifestKind, Span } from './types';

/** Files whose presence next to a manifest means an installer pins every dependency from it. */
const LOCK_FILE = /^(poetry\.lock|uv\.lock|pdm\.lock|Pipfile\.lock|pylock(\.[\w.-]+)?\.toml|conda-lock\.ya?ml|[\w.-]+\.conda-lock\.ya?ml)$/;

export interface ManifestOptions extends AnalysisOptions {
  /** Names of the files in the manifest's folder (to find lock files); unknown when absent. */
  siblings?: readonly string[];
  /** Advisory data to check pins against (the bundled snapshot by default). */
  advisories?: AdvisoryDb;
  /** The manifest's path (any form, `/` or `\\` separated), to tell development-only files apart. */
  path?: string;
}

/** Names that mark a requirements file or folder as development tooling only. */
const DEV_WORDS = /(^|[-_.\/])(dev|develop|test|tests|testing|docs?|lint|typing|mypy|ci|bench|benchmarks?|\.github)([-_.\/]|$)/i;

/** True when `path` looks like a manifest for development tools only (docs builds, tests, linters). */
export function isDevOnly(path: string | undefined): boolean {
  if (!path) return false;
  // The file and its folder only: a checkout under /home/dev/... is not a dev-only file.
  const parts = path.split(/[\\/]/).filter(Boolean).slice(-2);
  return parts.some((p) => DEV_WORDS.test(p.replace(/\.(txt|in)$/i, '')));
}

/** A problem met while parsing a manifest (malformed line), as a range. */
export interface ManifestProblemAt {
  range: Range;
  message: string;
}

/** Converts offsets of `text` to positions. */
export function offsetMapper(text: string): (offset: number) => Position {
  const starts = lineStarts(text);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - starts[lo] };
  };
}

/** The lock file among `siblings` that pins a manifest of this kind, if any. */
export function lockFileFor(kind: ManifestKind, siblings: readonly string[] | undefined): string | undefined {
  if (!siblings) return undefined;
  if (kind !== 'pyproject' && kind !== 'pipfile' && kind !== 'conda' && kind !== 'setup-cfg' && kind !== 'setup-py') return undefined;
  return siblings.find((s) => LOCK_FILE.test(s) && (kind !== 'pipfile' || s === 'Pipfile.lock') && (kind !== 'conda' || s.includes('conda-lock')));
}

/** Whether the rules should expect exact pins in this manifest (see ManifestContext.pinsExpected). */
function pinsExpected(manifest: Manifest, lockFile: string | undefined): boolean {
  if (manifest.abstract || lockFile) return false;
  return manifest.kind !== 'constraints' && manifest.kind !== 'setup-cfg' && manifest.kind !== 'setup-py';
}

/** `#` comments of a manifest's lines that hold a suppression directive. */
function directiveComments(text: string): CommentLike[] {
  const out: CommentLike[] = [];
  if (!/threatlens:|nosec/i.test(text)) return out;
  const lines = text.split('\n');
  for (let row = 0; row < lines.length; row++) {
    const line = lines[row];
    const at = line.search(/#\s*(threatlens:|nosec\b)/i);
    if (at >= 0) out.push({ text: line.slice(at), startPosition: { row, column: at } });
  }
  return out;
}

let bundled: AdvisoryDb | undefined;

/** The bundled advisory snapshot, loaded on first use. */
export function bundledAdvisories(): AdvisoryDb {
  return (bundled ??= AdvisoryDb.bundled());
}

export interface ManifestAnalysis {
  findings: Finding[];
  suppressed: number;
  problems: ManifestProblemAt[];
}

/** Runs the enabled dependency rules over `manifest` (parsed from `text`). */
export function analyzeManifest(manifest: Manifest, text: string, options: ManifestOptions = {}): ManifestAnalysis {
  const rules = enabledRules(options).filter((r) => r.manifest);
  const at = offsetMapper(text);
  const range = (s: Span): Range => ({ start: at(s.start), end: at(Math.max(s.start, s.end)) });
  const problems = manifest.problems.map((p) => ({ range: range(p.span), message: p.message }));
  if (rules.length === 0) return { findings: [], suppressed: 0, problems };
  const lockFile = lockFileFor(manifest.kind, options.siblings);
  const expected = pinsExpected(manifest, lockFile);
  const advisories = options.advisories ?? bundledAdvisories();
  const honorNosec = options.honorNosec ?? true;
  let suppressions: Suppressions | undefined;
  const findings: Finding[] = [];
  let suppressed = 0;
  const toFix = (f: ManifestFix): Fix => ({
    title: f.title,
    safety: f.safety,
    edits: f.edits.map((e) => ({ range: range(e.span), newText: e.newText })),
    ...(f.snippet ? { snippet: true } : {}),
  });
  for (const rule of rules) {
    const ctx: ManifestContext = {
      manifest,
      text,
      advisories,
      pinsExpected: expected,
      lockFile,
      devOnly: isDevOnly(options.path),
      report(r: ManifestReport) {
        const where = range(r.span);
        suppressions ??= new Suppressions(directiveComments(text));
        if (suppressions.size > 0 && suppressions.isSuppressed(rule.meta, [where.start.line, where.end.line], honorNosec)) {
          suppressed++;
          return;
        }
        findings.push({
          ruleId: rule.meta.id,
          severity: options.severityOverrides?.[rule.meta.id] ?? r.severity ?? rule.meta.severity,
          message: r.message,
          range: where,
          fixes: (r.fixes ?? []).map(toFix),
          related: (r.related ?? []).map((x) => ({ range: range(x.span), message: x.message })),
        });
      },
    };
    rule.manifest!(ctx);
  }
  findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.ruleId.localeCompare(b.ruleId));
  return { findings, suppressed, problems };
}
