import { defineRule } from '../rule';
import { describeAdvisory, type Advisory } from '../deps/advisories';
import { pinnedVersion } from '../deps/versions';
import type { ManifestFix } from '../deps/context';
import type { Requirement } from '../deps/types';
import { SEVERITIES, type Severity } from '../types';
import { DEP_REF, DEPENDENCY_LINKS } from './dependency-helpers';

/** conda names of PyPI projects (versions are the same upstream releases). */
const CONDA_TO_PYPI: Record<string, string> = { pytorch: 'torch', 'py-opencv': 'opencv-python', 'tensorflow-base': 'tensorflow' };

/** At most this many advisory ids are named in a message (the hover lists them all). */
const NAMED = 3;

function pypiName(r: Requirement): string {
  return r.ecosystem === 'conda' ? (CONDA_TO_PYPI[r.normalized] ?? r.normalized) : r.normalized;
}

/** The highest severity the advisories carry (CVSS), or undefined when none has one. */
function severityOf(advisories: readonly Advisory[]): Severity | undefined {
  let best = -1;
  for (const a of advisories) if (a.severity) best = Math.max(best, SEVERITIES.indexOf(a.severity.level));
  return best >= 0 ? SEVERITIES[best] : undefined;
}

function listIds(advisories: readonly Advisory[]): string {
  const named = advisories.slice(0, NAMED).map(describeAdvisory).join('; ');
  return advisories.length > NAMED ? `${named}; and ${advisories.length - NAMED} more` : named;
}

/** A pinned version (or a range with no fixed version in it) that has known advisories. */
export default defineRule({
  meta: {
    id: 'TL007',
    name: 'known-vulnerable-version',
    title: 'Pinned version with known vulnerabilities',
    family: 'dependencies',
    severity: 'high',
    cwe: ['CWE-1395'],
    threats: DEPENDENCY_LINKS.threats,
    techniques: DEPENDENCY_LINKS.techniques,
    docs: {
      finds:
        'A requirement pinned (`==`, `===`, a Poetry or Pipfile exact version, a conda `==`) to a version that a published advisory affects, and a range whose every allowed version is affected (its upper bound excludes all fixed releases). Advisories come from the bundled snapshot of the Python Packaging Advisory Database for ML packages, or from OSV when the online lookup is turned on. The message names the advisory ids, the fixed version and the date of the data.',
      why:
        'ML libraries carry many known flaws: TensorFlow alone has hundreds of advisories, from crashes to memory corruption reachable through crafted models and tensors, and Pillow, PyYAML, MLflow, Gradio and LangChain have had code execution and file disclosure bugs. A pinned vulnerable version stays vulnerable until someone changes the pin; the quick fix pins the first release that fixes every advisory known for it.',
      example: 'pyyaml==5.3\ntensorflow==2.4.0\n',
      useInstead: 'pyyaml==6.0.1\ntensorflow==2.16.1\n',
      exampleFile: 'requirements.txt',
      references: [DEP_REF.pypaDb, DEP_REF.osv, DEP_REF.cwe1395],
    },
  },
  triggers: [],
  manifest(ctx) {
    const db = ctx.advisories;
    const data = `advisory data of ${db.snapshot}`;
    for (const r of ctx.manifest.requirements) {
      if (!r.name || r.url || r.clauses.length === 0) continue;
      const name = pypiName(r);
      if (!db.has(name)) continue;
      const where = r.constraint?.span ?? r.nameSpan;
      // conda `==1.2.3` means the 1.2.3 release (and its builds).
      const exact = pinnedVersion(r.clauses) ?? (r.ecosystem === 'conda' && r.clauses.length === 1 && r.clauses[0].op === '==' ? r.clauses[0].version.replace(/\.\*$/, '') : undefined);
      if (exact) {
        const found = db.affecting(name, exact);
        if (found.length === 0) continue;
        const upgrade = db.safeUpgrade(name, exact);
        const fixes: ManifestFix[] = [];
        const clause = r.clauses.find((c) => c.op === '==' || c.op === '===') ?? r.clauses[0];
        if (upgrade && clause) {
          const clauseText = ctx.text.slice(clause.span.start, clause.span.end);
          const at = clauseText.lastIndexOf(clause.version);
          if (at >= 0) {
            const start = clause.span.start + at;
            fixes.push({
              title: `Pin ${r.name} to ${upgrade.version}${upgrade.clean ? '' : ' (fixes these advisories; later ones may remain)'}`,
              safety: 'unsafe',
              edits: [{ span: { start, end: start + clause.version.length }, newText: upgrade.version }],
            });
          }
        }
        const fixedIn = upgrade ? ` Upgrade to ${upgrade.version}${upgrade.clean ? ', the first release with no known advisory' : ''}.` : ' No fixed release is known.';
        ctx.report({
          span: where,
          severity: severityOf(found),
          message: `${r.name} ${exact} has ${found.length} known ${found.length === 1 ? 'vulnerability' : 'vulnerabilities'}: ${listIds(found)}.${fixedIn} (${data}${found.some((a) => a.source === 'osv') ? ' and OSV' : ''})`,
          fixes,
        });
        continue;
      }
      const stuck = db.affectingRange(name, r.clauses);
      if (stuck.length === 0) continue;
      ctx.report({
        span: where,
        severity: severityOf(stuck),
        message: `Every version of ${r.name} that '${r.constraint?.text.trim() ?? ''}' allows is affected by ${listIds(stuck)}: the range stops below the fixed releases. Raise the upper bound. (${data})`,
      });
    }
  },
});
