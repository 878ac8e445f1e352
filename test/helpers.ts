/** Shared test helpers: the engine, fixture paths and the `# expect:` annotation reader. */
import { buildSync } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../server/src/engine';
import type { scanFiles } from '../server/src/cli/scan';

export const ROOT = path.resolve(__dirname, '..');
export const CORPUS = path.join(ROOT, 'test', 'fixtures', 'corpus');

let engine: Promise<Engine> | undefined;
export function getEngine(): Promise<Engine> {
  return (engine ??= Engine.create());
}

/** Every file below `dir` whose name ends with one of `exts`, sorted. */
export function walk(dir: string, exts: readonly string[] = ['.py']): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full, exts));
    else if (exts.some((e) => entry.name.endsWith(e))) out.push(full);
  }
  return out.sort();
}

/** `# expect: TL101, TL203` markers: 0-based line → rule ids (with repeats). */
export function expectations(text: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  text.split('\n').forEach((line, i) => {
    const m = /#\s*expect:\s*([A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)/.exec(line);
    if (m) out.set(i, m[1].split(',').map((s) => s.trim()));
  });
  return out;
}

/** Source text with `code` dedented, so tests can write Python inline. */
export function py(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = raw.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

export type ScanFiles = typeof scanFiles;

/**
 * `scanFiles` as a CommonJS bundle: its worker threads start from the module's own file, which
 * must be JavaScript (tsx does not reach into worker threads). Written below node_modules/.cache so
 * the parser finds dist/ and grammars/ above it, as the real bundles do.
 */
export function bundledScanFiles(): { scanFiles: ScanFiles; dir: string } {
  fs.mkdirSync(path.join(ROOT, 'node_modules', '.cache'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.cache', 'threatlens-scan-'));
  const outfile = path.join(dir, 'scan.js');
  buildSync({
    entryPoints: [path.join(ROOT, 'server', 'src', 'cli', 'scan.ts')],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
    define: { 'import.meta.url': '__threatlens_import_meta_url' },
    banner: { js: 'var __threatlens_import_meta_url = require("url").pathToFileURL(__filename).href;' },
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return { scanFiles: (require(outfile) as { scanFiles: ScanFiles }).scanFiles, dir };
}
