/**
 * CVSS v3.0 / v3.1 base scores, computed from a vector string with the formula of the FIRST
 * specification (including its "round up to one decimal" rule), and the qualitative severity of a
 * score. CVSS v2 and v4 vectors are not scored (v4 needs the full lookup tables of its spec).
 *
 * Plain TypeScript: no editor or LSP import.
 */

export type CvssLevel = 'low' | 'medium' | 'high' | 'critical';

const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
} as const;

/** Privileges Required weighs more when the scope changes. */
const PRIVILEGES = {
  U: { N: 0.85, L: 0.62, H: 0.27 },
  C: { N: 0.85, L: 0.68, H: 0.5 },
} as const;

const BASE = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'] as const;

/** Temporal and environmental metrics may follow the base ones; they do not change the base score. */
const OTHER = new Set(['E', 'RL', 'RC', 'CR', 'IR', 'AR', 'MAV', 'MAC', 'MPR', 'MUI', 'MS', 'MC', 'MI', 'MA']);

/**
 * Rounds up to one decimal the way CVSS 3.1 defines it: works on an integer number of
 * hundred-thousandths so that floating-point noise (4.000000001) does not bump the result.
 */
function roundUp(value: number): number {
  const scaled = Math.round(value * 100000);
  if (scaled % 10000 === 0) return scaled / 100000;
  return (Math.floor(scaled / 10000) + 1) / 10;
}

function weight<T extends Record<string, number>>(table: T, key: string | undefined): number | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key as keyof T] : undefined;
}

/** The base score (0.0–10.0) of a CVSS v3.0 or v3.1 vector, or undefined when it is not one. */
export function cvssBaseScore(vector: string): number | undefined {
  const parts = vector.trim().split('/');
  const head = parts.shift();
  if (head !== 'CVSS:3.0' && head !== 'CVSS:3.1') return undefined;
  const metrics = new Map<string, string>();
  for (const part of parts) {
    const m = /^([A-Z]+):([A-Z])$/.exec(part);
    if (!m) return undefined;
    const [, key, value] = m;
    if (metrics.has(key)) return undefined;
    if (!(BASE as readonly string[]).includes(key) && !OTHER.has(key)) return undefined;
    metrics.set(key, value);
  }
  if (!BASE.every((k) => metrics.has(k))) return undefined;

  const scope = metrics.get('S');
  if (scope !== 'U' && scope !== 'C') return undefined;
  const av = weight(WEIGHTS.AV, metrics.get('AV'));
  const ac = weight(WEIGHTS.AC, metrics.get('AC'));
  const pr = weight(PRIVILEGES[scope], metrics.get('PR'));
  const ui = weight(WEIGHTS.UI, metrics.get('UI'));
  const c = weight(WEIGHTS.C, metrics.get('C'));
  const i = weight(WEIGHTS.I, metrics.get('I'));
  const a = weight(WEIGHTS.A, metrics.get('A'));
  if (av === undefined || ac === undefined || pr === undefined || ui === undefined) return undefined;
  if (c === undefined || i === undefined || a === undefined) return undefined;

  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  const raw = scope === 'U' ? impact + exploitability : 1.08 * (impact + exploitability);
  return roundUp(Math.min(raw, 10));
}

/** CVSS qualitative rating: below 4 low (a 0.0 "none" also maps to low), 4–6.9 medium, 7–8.9 high, 9+ critical. */
export function severityOfScore(score: number): CvssLevel {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}
