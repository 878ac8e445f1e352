import { defineRule } from '../rule';
import { MALICIOUS, typoOf } from '../deps/package-names';
import { DEP_REF } from './dependency-helpers';

/** Known malicious names and one-letter typos of popular ML packages. */
export default defineRule({
  meta: {
    id: 'TL008',
    name: 'suspicious-package-name',
    title: 'Known malicious or typo-squatted package name',
    family: 'dependencies',
    severity: 'medium',
    cwe: ['CWE-829'],
    threats: ['MLT-016', 'MLT-023'],
    techniques: ['AML.T0010.001', 'AML.T0011.001'],
    docs: {
      finds:
        'Requirements and `pip install` arguments naming a package known to have carried malicious code (such as `torchtriton`) or a name that tools and language models invent (`huggingface-cli`), reported as critical; and names one typo away from a popular ML package (`tensorflw`, `pandsa`, `scikitlearn`) that are not themselves known projects, reported as medium.',
      why:
        'Installing a package runs its code. Attackers register the names people mistype and the names chatbots hallucinate, and wait: one wrong letter in a notebook cell hands them the machine and its credentials. ATLAS documents both routes (AML.CS0015, and package hallucination in AML.T0060).',
      example: 'tensorflw==2.16.1\ntorchtriton\n',
      useInstead: 'tensorflow==2.16.1\nhuggingface-hub[cli]==0.26.2\n',
      exampleFile: 'requirements.txt',
      references: [DEP_REF.torchtriton, { title: 'MITRE ATLAS AML.T0011.001: Malicious Package', url: 'https://atlas.mitre.org/techniques/AML.T0011.001' }],
    },
  },
  triggers: [],
  manifest(ctx) {
    for (const r of ctx.manifest.requirements) {
      if (!r.name || r.ecosystem !== 'pypi') continue;
      const bad = MALICIOUS[r.normalized];
      if (bad) {
        ctx.report({
          span: r.nameSpan,
          severity: 'critical',
          message: `'${r.name}' is a known malicious or squatted name: ${bad.what}.${bad.meant ? ` You probably want ${bad.meant}.` : ''} Remove it and check the machines where it was installed.`,
        });
        continue;
      }
      const meant = typoOf(r.normalized);
      if (!meant) continue;
      ctx.report({
        span: r.nameSpan,
        message: `'${r.name}' looks like a typo of '${meant}'. Squatters register such names to run code on the machines that mistype them; check the name before installing.`,
        fixes: [{ title: `Rename to ${meant}`, safety: 'unsafe', edits: [{ span: r.nameSpan, newText: meant }] }],
      });
    }
  },
});
