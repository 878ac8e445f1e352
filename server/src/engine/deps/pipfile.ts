/** Pipenv's Pipfile: `[packages]`, `[dev-packages]` and `[[source]]` (TOML, see pyproject.ts). */
import { isProblem, span } from './pep508';
import { boolOf, entryAt, itemsOf, parseTomlTolerant, stringOf, stringSpan, tableEntries, toolRequirement, viewAt } from './pyproject';
import type { IndexDecl, Manifest } from './types';

/** Reads a Pipfile. Never throws. */
export function parsePipfile(text: string): Manifest {
  const manifest: Manifest = { kind: 'pipfile', requirements: [], indexes: [], includes: [], abstract: false, problems: [] };
  const { root, problems } = parseTomlTolerant(text);
  manifest.problems.push(...problems);
  if (!root) return manifest;
  const ctx = { text, manifest };
  try {
    for (const section of ['packages', 'dev-packages']) {
      for (const [name, entry] of tableEntries(viewAt(root, section))) {
        const r = toolRequirement(ctx, name, entry, entry.value, section, 'pipenv');
        if (!r) continue;
        if (isProblem(r)) manifest.problems.push(r);
        else manifest.requirements.push(r);
      }
    }
    const searchAll = boolOf(viewAt(root, 'pipenv', 'install_search_all_sources')) === true;
    itemsOf(viewAt(root, 'source')).forEach((src, i) => {
      const url = viewAt(src, 'url');
      const u = stringOf(url);
      if (!url || u === undefined) return;
      const decl: IndexDecl = {
        kind: i === 0 ? 'index-url' : 'source',
        tool: 'pipenv',
        url: u,
        span: stringSpan(text, url),
        mixesWithDefault: i > 0 && searchAll,
      };
      const name = stringOf(viewAt(src, 'name'));
      if (name !== undefined) decl.name = name;
      const verify = entryAt(src, 'verify_ssl');
      if (verify && boolOf(verify.value) === false) decl.verifySslOff = { ...verify.whole };
      manifest.indexes.push(decl);
    });
  } catch (e) {
    manifest.problems.push({ span: span(0, 0), message: `Could not read the Pipfile: ${(e as Error).message}` });
  }
  return manifest;
}
