import { defineRule } from '../rule';
import { pinnedVersion } from '../deps/versions';
import type { Requirement } from '../deps/types';
import { DEP_REF, DEPENDENCY_LINKS, TOOLING } from './dependency-helpers';

/** Conda `numpy=1.26.4` (translated to a prefix match with three or more parts) is an exact pin in practice. */
function condaExact(r: Requirement): boolean {
  return r.ecosystem === 'conda' && r.clauses.length === 1 && r.clauses[0].op === '==' && /^\d+(\.\d+){2,}(\.\*)?$/.test(r.clauses[0].version);
}

/**
 * A version range where an exact pin is expected: the file installs an application, environment,
 * notebook or script that no lock file pins.
 */
export default defineRule({
  meta: {
    id: 'TL002',
    name: 'loose-version-range',
    title: 'Version range where a pin is expected',
    family: 'dependencies',
    severity: 'low',
    cwe: ['CWE-829'],
    threats: DEPENDENCY_LINKS.threats,
    techniques: DEPENDENCY_LINKS.techniques,
    docs: {
      finds:
        'A requirement constrained by a range (`>=`, `~=`, `<`, `!=`, a wildcard, a Poetry caret) in a file that installs an application, environment, notebook or script and that no lock file pins. Ranges in a library\'s abstract dependencies, in constraints files and next to a lock file are expected and not reported.',
      why:
        'A range accepts every future release, so the next install may pull a version nobody has reviewed: a compromised release, or one that changes how models are loaded. Installs stop being repeatable, and a finding in a dependency can no longer be traced to the version that actually ran.',
      example: 'transformers>=4.30\nnumpy~=1.26\n',
      useInstead: 'transformers==4.44.2\nnumpy==1.26.4\n',
      exampleFile: 'requirements.txt',
      references: [DEP_REF.pipReqFormat, DEP_REF.pep440],
    },
  },
  triggers: [],
  manifest(ctx) {
    if (!ctx.pinsExpected || ctx.manifest.kind === 'constraints') return;
    for (const r of ctx.manifest.requirements) {
      if (!r.name || r.url || r.clauses.length === 0 || !r.constraint) continue;
      if (TOOLING.has(r.normalized) || r.section === 'build-system.requires') continue;
      if (pinnedVersion(r.clauses) || condaExact(r)) continue;
      ctx.report({
        span: r.constraint.span,
        message: `'${r.name}' is constrained by a range (${r.constraint.text.trim()}), not pinned: the next install may take a release nobody reviewed. Pin the version you tested (==X.Y.Z) or install from a lock file.`,
      });
    }
  },
});
