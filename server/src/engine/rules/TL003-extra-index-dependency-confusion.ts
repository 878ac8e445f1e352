import { defineRule } from '../rule';
import type { ManifestFix } from '../deps/context';
import { DEP_REF, indexLabel, isPlaceholder, optionAndValue } from './dependency-helpers';

/**
 * A second package index searched together with PyPI (or with another index) for the same names:
 * whoever publishes the higher version on either index wins (dependency confusion).
 */
export default defineRule({
  meta: {
    id: 'TL003',
    name: 'extra-index-dependency-confusion',
    title: 'Extra package index mixed with PyPI (dependency confusion)',
    family: 'dependencies',
    severity: 'high',
    cwe: ['CWE-427', 'CWE-829'],
    threats: ['MLT-016'],
    techniques: ['AML.T0010.001', 'AML.T0011.001'],
    docs: {
      finds:
        "`--extra-index-url` in requirements files, conda `pip:` sections and `pip install` commands, and sources that tools search together with PyPI: Poetry sources with priority `supplemental` or `secondary`, PDM sources without `respect-source-order`, uv indexes under an `unsafe-*` index strategy, Pipfile sources with `install_search_all_sources`.",
      why:
        "pip looks a name up on every index it knows and installs the highest version it finds anywhere. If a package exists only on your private or vendor index, anyone can publish the same name with a higher version on PyPI and it wins. This is how `torchtriton` reached PyTorch nightly users in December 2022 (ATLAS AML.CS0015): the nightly index was an extra index, and a public package of the same name stole credentials at import.",
      example: '--extra-index-url https://download.pytorch.org/whl/nightly/cpu\ntorch==2.6.0.dev20241112\n',
      useInstead: '--index-url https://download.pytorch.org/whl/nightly/cpu\ntorch==2.6.0.dev20241112\n',
      exampleFile: 'requirements.txt',
      references: [DEP_REF.torchtriton, DEP_REF.atlasCs0015, DEP_REF.pipSecure],
    },
  },
  triggers: [],
  manifest(ctx) {
    const hasIndexUrl = ctx.manifest.indexes.some((i) => i.kind === 'index-url' && i.tool === 'pip');
    for (const idx of ctx.manifest.indexes) {
      // find-links pages (PyTorch's and PyG's wheel pages) are left out: they serve projects that
      // are also published on PyPI by the same owners, and flagging them would be mostly noise.
      if (!idx.mixesWithDefault || idx.kind === 'find-links' || isPlaceholder(idx.url)) continue;
      const fixes: ManifestFix[] = [];
      if (idx.tool === 'pip' && idx.kind === 'extra-index-url' && idx.optionSpan && !hasIndexUrl) {
        const option = ctx.text.slice(idx.optionSpan.start, idx.optionSpan.end);
        if (/^--extra-index-url=?$/.test(option) || option === '--extra-index-url') {
          fixes.push({
            title: 'Use --index-url (this index only; it must then serve every package, or mirror PyPI)',
            safety: 'unsafe',
            edits: [{ span: { start: idx.optionSpan.start, end: idx.optionSpan.start + '--extra-index-url'.length }, newText: '--index-url' }],
          });
        }
      }
      const how =
        idx.tool === 'pip'
          ? 'pip searches it AND PyPI and installs the highest version it finds on either'
          : 'the installer may take a package of the same name from it or from another index';
      ctx.report({
        // pip: the option and its URL; a TOML source or list entry: the URL itself.
        span: idx.tool === 'pip' ? optionAndValue(idx) : idx.span,
        message: `${indexLabel(idx)}: ${how}, so a look-alike package published elsewhere can replace yours (dependency confusion, as with torchtriton in ATLAS AML.CS0015). Use a single index that mirrors PyPI, or restrict the source to the packages that need it.`,
        fixes,
      });
    }
  },
});
