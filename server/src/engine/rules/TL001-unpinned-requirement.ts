import { defineRule } from '../rule';
import type { ManifestFix } from '../deps/context';
import { afterNameAndExtras, DEP_REF, DEPENDENCY_LINKS, TOOLING } from './dependency-helpers';

/**
 * A requirement with no version at all, where the file is expected to pin (applications,
 * environments, notebooks, scripts without a lock file).
 */
export default defineRule({
  meta: {
    id: 'TL001',
    name: 'unpinned-requirement',
    title: 'Requirement without any version pin',
    family: 'dependencies',
    severity: 'medium',
    cwe: ['CWE-829'],
    threats: DEPENDENCY_LINKS.threats,
    techniques: DEPENDENCY_LINKS.techniques,
    docs: {
      finds:
        'A requirement with no version at all (reported as low in notebooks, scripts and development-only files such as `requirements-dev.txt` or `docs/requirements.txt`) in a requirements file, an application `pyproject.toml` or `Pipfile` without a lock file, a conda environment, or a `pip install` line of a notebook or script. Library metadata (a package\'s `pyproject.toml`, `setup.cfg`, `setup.py`, `requirements.in`), projects with a lock file and the packaging tools themselves (`pip`, `setuptools`, `wheel`, `uv`, `virtualenv`, as in `pip install -U pip`) are left alone.',
      why:
        'Every install takes whatever release the index serves that day. A hijacked maintainer account, a malicious release or a package that shadows yours on another index reaches your training box or server at the next `pip install`, and nobody can say which version ran last week. Pinning (with hashes, or through a lock file) makes an install repeatable and reviewable.',
      example: 'torch\ntransformers[torch]\n',
      useInstead: 'torch==2.4.1\ntransformers[torch]==4.44.2\n',
      exampleFile: 'requirements.txt',
      references: [DEP_REF.pipReqFormat, DEP_REF.pipSecure, DEP_REF.atlasCs0015],
    },
  },
  triggers: [],
  manifest(ctx) {
    if (!ctx.pinsExpected || ctx.manifest.kind === 'constraints') return;
    const scripted = ctx.manifest.kind === 'notebook' || ctx.manifest.kind === 'python';
    for (const r of ctx.manifest.requirements) {
      if (!r.name || r.url || r.clauses.length > 0) continue;
      if (TOOLING.has(r.normalized) || r.section === 'build-system.requires') continue;
      // A Poetry/Pipfile `"*"` is written as a constraint that allows everything.
      const star = r.constraint && /^["']?\*["']?$/.test(r.constraint.text.trim());
      if (r.constraint && !star) continue;
      const fixes: ManifestFix[] = [];
      if (!r.constraint && r.ecosystem === 'pypi') {
        const at = afterNameAndExtras(ctx, r);
        fixes.push({ title: `Pin ${r.name} to a version`, safety: 'unsafe', snippet: true, edits: [{ span: { start: at, end: at }, newText: '==${1:VERSION}' }] });
      }
      ctx.report({
        span: r.nameSpan,
        severity: scripted || ctx.devOnly ? 'low' : undefined,
        message:
          `'${r.name}' has no version pin: each install takes whatever release the index serves that day, a malicious or hijacked one included. ` +
          (scripted ? `Pin it in the install command (${r.name}==X.Y.Z) or install from a pinned requirements file.` : `Pin it (${r.name}==X.Y.Z, ideally with --hash) or install from a lock file.`),
        fixes,
      });
    }
  },
});
