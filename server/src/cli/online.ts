/**
 * `--online`: asks OSV about the versions the scanned manifests pin, before the scan, so that the
 * scan itself (possibly in worker threads) stays synchronous and offline.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine, manifestKindOf, type Advisory } from '../engine';
import { defaultCacheDir, lookupOsv } from '../engine/deps/osv';
import { pinnedVersion } from '../engine/deps/versions';
import type { SourceFile } from './walk';

export interface OnlineLookup {
  advisories: Advisory[];
  /** A line for the user: what was asked and what came back, or why it failed. */
  note?: string;
  failed: boolean;
}

/** Pinned PyPI versions of the manifests among `files` (unreadable or malformed files are skipped: the scan reports them). */
async function pinnedVersions(files: readonly SourceFile[]): Promise<{ name: string; version: string }[]> {
  const manifests = files.filter((f) => manifestKindOf(path.basename(f.abs)) && !f.abs.endsWith('.py'));
  if (manifests.length === 0) return [];
  const engine = await Engine.create();
  const seen = new Map<string, { name: string; version: string }>();
  for (const f of manifests) {
    let text: string;
    try {
      text = fs.readFileSync(f.abs, 'utf8');
    } catch {
      continue;
    }
    const manifest = engine.parseManifest(path.basename(f.abs), text);
    for (const r of manifest?.requirements ?? []) {
      const version = r.ecosystem === 'pypi' && r.name ? pinnedVersion(r.clauses) : undefined;
      if (version) seen.set(`${r.normalized}@${version}`, { name: r.normalized, version });
    }
  }
  return [...seen.values()];
}

export async function onlineAdvisories(files: readonly SourceFile[], baseUrl?: string): Promise<OnlineLookup> {
  const queries = await pinnedVersions(files);
  if (queries.length === 0) return { advisories: [], failed: false, note: 'online advisory lookup: no pinned versions to look up' };
  const result = await lookupOsv(queries, { baseUrl, cacheDir: process.env.THREATLENS_CACHE_DIR || defaultCacheDir() });
  if (result.error) {
    return {
      advisories: result.advisories,
      failed: true,
      note: `online advisory lookup failed: ${result.error}`,
    };
  }
  return {
    advisories: result.advisories,
    failed: false,
    note: `online advisory lookup: ${queries.length} pinned versions checked with OSV (${result.online} online, ${result.cached} from cache), ${result.advisories.length} advisories`,
  };
}
