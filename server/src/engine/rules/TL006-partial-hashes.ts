import { defineRule } from '../rule';
import { pinnedVersion } from '../deps/versions';
import { DEP_REF, DEPENDENCY_LINKS } from './dependency-helpers';

/** A requirements file in pip's hash-checking mode where some requirements have no hash or no pin. */
export default defineRule({
  meta: {
    id: 'TL006',
    name: 'partial-hashes',
    title: 'Requirements file only partly hashed',
    family: 'dependencies',
    severity: 'medium',
    cwe: ['CWE-494'],
    threats: DEPENDENCY_LINKS.threats,
    techniques: DEPENDENCY_LINKS.techniques,
    docs: {
      finds:
        'In a requirements file where some requirement carries `--hash` (or that sets `--require-hashes`), every requirement without a hash, and every hashed one that is not pinned with `==`.',
      why:
        "One `--hash` turns on pip's hash-checking mode for the whole file. Requirements left without a hash are the unchecked way in; pip refuses to install them in that mode, so the usual \"fix\" is to drop the hashes everywhere and lose the protection. Hash every requirement (pip-compile --generate-hashes, uv pip compile --generate-hashes) so the file installs exactly the reviewed archives.",
      example:
        'torch==2.4.1 \\\n    --hash=sha256:5b9d1a2f7e3c4b6a8d0e2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e\nnumpy==1.26.4\n',
      useInstead:
        'torch==2.4.1 \\\n    --hash=sha256:5b9d1a2f7e3c4b6a8d0e2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e\nnumpy==1.26.4 \\\n    --hash=sha256:9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9\n',
      exampleFile: 'requirements.txt',
      references: [DEP_REF.pipSecure, DEP_REF.cwe494],
    },
  },
  triggers: [],
  manifest(ctx) {
    const m = ctx.manifest;
    if (m.kind !== 'requirements' && m.kind !== 'constraints' && m.kind !== 'conda') return;
    const hashed = m.requirements.filter((r) => r.hashes.length > 0);
    if (hashed.length === 0 && !m.requireHashes) return;
    const why = hashed.length > 0 ? `the file is in pip's hash-checking mode (${hashed[0].name || 'a requirement'} has --hash)` : 'the file sets --require-hashes';
    for (const r of m.requirements) {
      if (r.url?.local || r.ecosystem !== 'pypi') continue;
      if (r.hashes.length === 0) {
        ctx.report({
          span: r.nameSpan.end > r.nameSpan.start ? r.nameSpan : r.span,
          message: `'${r.name || r.url?.text}' has no --hash although ${why}: it is installed unchecked, and pip refuses the file in that mode. Add its hashes (pip-compile --generate-hashes).`,
          related: hashed.length > 0 && hashed[0] !== r ? [{ span: hashed[0].hashes[0].span, message: 'hash-checking mode starts here' }] : [],
        });
      } else if (!r.url && !pinnedVersion(r.clauses)) {
        ctx.report({
          span: r.constraint?.span ?? r.nameSpan,
          message: `'${r.name}' has a --hash but no exact pin (==X.Y.Z): pip's hash-checking mode needs both, and the hash only matches one release.`,
        });
      }
    }
  },
});
