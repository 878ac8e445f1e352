import { defineRule } from '../rule';
import {
  AWS_SECRET_NAME_TRIGGERS,
  AZURE_KEY_NAME_TRIGGERS,
  PRIVATE_KEY,
  SECRETS_LINKS,
  SECRETS_REF,
  advice,
  environFix,
  isDocstring,
  literalOf,
  mask,
  mayHoldProviderToken,
  providerTokens,
  targetOf,
} from './secrets-patterns';

export default defineRule({
  meta: {
    id: 'TL601',
    name: 'hardcoded-provider-api-key',
    title: 'Provider API key or token in the source',
    family: 'secrets',
    severity: 'high',
    cwe: ['CWE-798'],
    ...SECRETS_LINKS,
    docs: {
      finds:
        'String literals holding a token in the format of a service ML code talks to: OpenAI (`sk-`, `sk-proj-`), ' +
        'Anthropic (`sk-ant-`), Hugging Face (`hf_`), AWS access key ids (`AKIA`/`ASIA`) and secret access keys ' +
        '(by their `aws_secret_access_key` name), Google API keys (`AIza`), GitHub tokens (`ghp_`, `github_pat_`...), ' +
        'Replicate, Groq, Azure Storage SAS tokens and account keys, and PEM private keys. Placeholders, documented example keys and docstrings are skipped.',
      why:
        'A key pasted into a notebook cell or script travels with every copy: the git history, a shared Colab link, ' +
        'a published Kaggle notebook, a Docker image. Whoever finds it runs up the bill, reads private models and ' +
        'datasets, or pushes a poisoned model to the organisation\'s hub account; exposed cloud credentials are how ' +
        'research storage (the Microsoft SAS token) and ML clusters (ShadowRay) were emptied.',
      example: 'from openai import OpenAI\n\nclient = OpenAI(api_key="sk-proj-lgaAhdim2XT8gADX0TB5WnBM7B0xaUsWkfGzWsdpWTrqEUDe")\n',
      useInstead: 'import os\n\nfrom openai import OpenAI\n\nclient = OpenAI(api_key=os.environ["OPENAI_API_KEY"])\n',
      references: [SECRETS_REF.cwe798, SECRETS_REF.atlas, SECRETS_REF.openaiKeys, SECRETS_REF.hfTokens, SECRETS_REF.owasp],
    },
  },
  triggers: ['sk-', 'hf_', 'AKIA', 'ASIA', 'AIza', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_', 'r8_', 'gsk_', 'PRIVATE KEY', 'sig=', 'AccountKey=', ...AWS_SECRET_NAME_TRIGGERS, ...AZURE_KEY_NAME_TRIGGERS],
  nodes: ['string'],
  checkNode(node, ctx) {
    if (isDocstring(node)) return;
    const lit = literalOf(node);
    if (!lit || !mayHoldProviderToken(lit.content)) return;
    const scope = ctx.scopeOf(node);
    const target = targetOf(node, scope);
    const tokens = providerTokens(lit, target);
    for (const t of tokens) {
      const shown = t.provider === PRIVATE_KEY ? '' : ` \`${mask(t.secret ?? t.token)}\``;
      ctx.report({
        node,
        message:
          `Hard-coded ${t.provider.label}${shown}: anyone who can read this file, notebook or its git history can use it. ` +
          advice('Revoke', target, t.provider.envVar),
        fixes: tokens.length === 1 && t.fixable !== false ? environFix(lit, target, t, t.provider.envVar, scope) : [],
      });
    }
  },
});
