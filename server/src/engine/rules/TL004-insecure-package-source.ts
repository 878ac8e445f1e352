import { defineRule } from '../rule';
import type { ManifestFix } from '../deps/context';
import { DEP_REF, DEPENDENCY_LINKS, httpsFix, indexLabel, isPlaceholder, isPlainHttp, optionAndValue } from './dependency-helpers';

/** Packages fetched over plain http, or with certificate checks turned off. */
export default defineRule({
  meta: {
    id: 'TL004',
    name: 'insecure-package-source',
    title: 'Packages fetched over plain http or without certificate checks',
    family: 'dependencies',
    severity: 'high',
    cwe: ['CWE-319', 'CWE-295'],
    threats: DEPENDENCY_LINKS.threats,
    techniques: DEPENDENCY_LINKS.techniques,
    docs: {
      finds:
        'Package indexes, find-links locations, conda channels and direct requirement URLs over plain `http://` (loopback hosts excepted), `--trusted-host`, and Pipfile or PDM sources with `verify_ssl = false`.',
      why:
        'Over plain http, or with certificate checks off, anyone on the network path (a cafe Wi-Fi, a compromised proxy, a cloud neighbour) can hand the installer a different package, and installing a package runs its code. The attacker then owns the environment that holds your data, models and credentials.',
      example: '--index-url http://pypi.internal.example.com/simple\n--trusted-host pypi.internal.example.com\nnumpy==1.26.4\n',
      useInstead: '--index-url https://pypi.internal.example.com/simple\nnumpy==1.26.4\n',
      exampleFile: 'requirements.txt',
      references: [DEP_REF.pipSecure, { title: 'CWE-319: Cleartext Transmission of Sensitive Information', url: 'https://cwe.mitre.org/data/definitions/319.html' }],
    },
  },
  triggers: [],
  manifest(ctx) {
    for (const idx of ctx.manifest.indexes) {
      if (isPlaceholder(idx.url)) continue;
      if (idx.kind === 'trusted-host') {
        const span = optionAndValue(idx);
        const fixes: ManifestFix[] = idx.optionSpan ? [{ title: `Remove --trusted-host ${idx.url}`, safety: 'unsafe', edits: [{ span, newText: '' }] }] : [];
        ctx.report({
          span,
          message: `--trusted-host ${idx.url} makes pip accept this host without a valid certificate (and over plain http): anyone on the network path can serve you a different package. Give the host a valid certificate (or point pip at your CA bundle with --cert) and remove the option.`,
          fixes,
        });
        continue;
      }
      if (idx.verifySslOff) {
        ctx.report({
          span: idx.verifySslOff,
          message: `${indexLabel(idx)} turns certificate checks off (verify_ssl = false): anyone on the network path can serve you a different package. Turn verification on and trust your CA instead.`,
        });
      }
      if (isPlainHttp(idx.url)) {
        const fix = httpsFix(ctx, idx.span);
        ctx.report({
          span: idx.span,
          message: `${indexLabel(idx)} is plain http: anyone on the network path can swap the packages it serves, and installing a package runs its code. Use https.`,
          fixes: fix ? [fix] : [],
        });
      }
    }
    for (const r of ctx.manifest.requirements) {
      if (!r.url || r.url.local || !isPlainHttp(r.url.text)) continue;
      const fix = httpsFix(ctx, r.url.span);
      ctx.report({
        span: r.url.span,
        message: `'${r.name || r.url.text}' is downloaded over plain http: anyone on the network path can replace it, and installing it runs its code. Use https (and pin a hash or commit).`,
        fixes: fix ? [fix] : [],
      });
    }
  },
});
