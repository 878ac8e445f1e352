/** Shared test helpers: the engine, fixture paths and the `# expect:` annotation reader. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../server/src/engine';

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
