import { defineRule } from '../rule';
import type { ManifestFix } from '../deps/context';
import { DEP_REF, DEPENDENCY_LINKS, isPlaceholder } from './dependency-helpers';

/** A commit id: what pip (and Poetry, uv, Pipenv) accept as an immutable VCS revision. */
const COMMIT = /^[0-9a-f]{7,40}$/i;

/** Direct URL and VCS requirements that are not pinned to a commit or a hash. */
export default defineRule({
  meta: {
    id: 'TL005',
    name: 'unpinned-url-requirement',
    title: 'Git or URL requirement not pinned to a commit or hash',
    family: 'dependencies',
    severity: 'medium',
    cwe: ['CWE-494', 'CWE-829'],
    threats: DEPENDENCY_LINKS.threats,
    techniques: DEPENDENCY_LINKS.techniques,
    docs: {
      finds:
        'VCS requirements (`git+https://...`, Poetry/uv/Pipfile `git = ...`) without a revision or pinned to a branch or tag, and archive URLs (`https://.../pkg.tar.gz`, `.whl`) without a `#sha256=` fragment or `--hash`. Local paths are not reported.',
      why:
        'A branch moves with every push and a tag can be re-pointed, so the same line installs different code over time, and whoever gains write access to the repository (or the URL) decides what your next install runs. A full commit id or an archive hash fixes exactly which code is installed.',
      example: 'peft @ git+https://github.com/huggingface/peft.git@main\nmy-tokenizer @ https://example.com/dist/my_tokenizer-0.3.tar.gz\n',
      useInstead:
        'peft @ git+https://github.com/huggingface/peft.git@5e0da6aa9cb6e0b1bd0e1f4a4be6da1b92a3e2b7\nmy-tokenizer @ https://example.com/dist/my_tokenizer-0.3.tar.gz#sha256=3f1a6bd1c4d0a1b3f6f4b5a6e4a1c7d2c9e8a6b5f4e3d2c1b0a9f8e7d6c5b4a3\n',
      exampleFile: 'requirements.txt',
      references: [DEP_REF.pipReqFormat, DEP_REF.pipSecure, DEP_REF.cwe494],
    },
  },
  triggers: [],
  manifest(ctx) {
    for (const r of ctx.manifest.requirements) {
      const url = r.url;
      if (!url || url.local || isPlaceholder(url.text)) continue;
      const label = r.name ? `'${r.name}'` : url.text;
      if (url.vcs) {
        const ref = url.ref;
        if (ref && COMMIT.test(ref.text)) continue;
        const fixes: ManifestFix[] = [];
        if (ref && ref.kind !== 'rev' && /@/.test(ctx.text.slice(ref.span.start - 1, ref.span.start))) {
          fixes.push({ title: `Replace '${ref.text}' with a commit id`, safety: 'unsafe', snippet: true, edits: [{ span: ref.span, newText: '${1:COMMIT_SHA}' }] });
        } else if (!ref && url.refInsertAt !== undefined) {
          fixes.push({ title: 'Pin to a commit', safety: 'unsafe', snippet: true, edits: [{ span: { start: url.refInsertAt, end: url.refInsertAt }, newText: '@${1:COMMIT_SHA}' }] });
        }
        ctx.report({
          span: ref?.span ?? url.span,
          message: ref
            ? `${label} installs ${url.vcs} ${ref.kind === 'tag' ? 'tag' : ref.kind === 'branch' ? 'branch' : 'revision'} '${ref.text}', which can be moved to other code at any time. Pin a full commit id.`
            : `${label} installs whatever the repository's default branch holds at install time. Pin a full commit id (@<sha>).`,
          fixes,
        });
        continue;
      }
      if (!/^https?:\/\//i.test(url.text.trim())) continue;
      if (url.hash || r.hashes.length > 0) continue;
      const end = url.span.end;
      const hasFragment = ctx.text.slice(url.span.start, end).includes('#');
      ctx.report({
        span: url.span,
        message: `${label} is downloaded from a URL with no hash: whoever controls that URL decides what gets installed. Add #sha256=<digest> to the URL (or --hash in a requirements file).`,
        fixes: hasFragment ? [] : [{ title: 'Add a sha256 hash', safety: 'unsafe', snippet: true, edits: [{ span: { start: end, end }, newText: '#sha256=${1:SHA256}' }] }],
      });
    }
  },
});
