import { defineRule } from '../rule';
import { SECRETS_LINKS, SECRETS_REF, WANDB_TRIGGERS, advice, environFix, isDocstring, literalOf, mask, targetOf, wandbKeys } from './secrets-patterns';

export default defineRule({
  meta: {
    id: 'TL603',
    name: 'hardcoded-wandb-api-key',
    title: 'Weights & Biases API key in the source',
    family: 'secrets',
    severity: 'high',
    cwe: ['CWE-798'],
    ...SECRETS_LINKS,
    docs: {
      finds:
        'A 40-hex-digit Weights & Biases API key written where W&B reads one: `wandb.login(key="...")`, ' +
        '`wandb.Api(api_key="...")`, a `WANDB_API_KEY` variable, dict key or `os.environ` entry, and ' +
        '`WANDB_API_KEY=...` or `wandb login ...` inside a command string. Hex digests elsewhere (commit ids, ' +
        'checksums, `revision=`) are not keys and are left alone.',
      why:
        'A W&B key gives read and write access to every project of its user or team: runs, logged samples, model ' +
        'checkpoints and dataset artifacts. A leaked key lets a stranger download private models and data or replace ' +
        'an artifact that a training or deployment job later pulls.',
      example: 'import wandb\n\nwandb.login(key="5fbf3e97ba7a743a05774afd6cb59102def2411e")\n',
      useInstead: 'import wandb\n\n# wandb reads WANDB_API_KEY from the environment (or ~/.netrc after `wandb login`)\nwandb.login()\n',
      references: [SECRETS_REF.cwe798, SECRETS_REF.atlas, SECRETS_REF.wandbEnv, SECRETS_REF.owasp],
    },
  },
  triggers: WANDB_TRIGGERS,
  nodes: ['string'],
  checkNode(node, ctx) {
    if (isDocstring(node)) return;
    const lit = literalOf(node);
    if (!lit) return;
    const scope = ctx.scopeOf(node);
    const target = targetOf(node, scope);
    const keys = wandbKeys(lit, target);
    for (const k of keys) {
      ctx.report({
        node,
        message:
          `Hard-coded Weights & Biases API key \`${mask(k.token)}\`: anyone who can read this file, notebook or its git history can read and overwrite the account's runs, models and artifacts. ` +
          advice('Revoke', target, 'WANDB_API_KEY'),
        fixes: keys.length === 1 ? environFix(lit, target, k, 'WANDB_API_KEY', scope) : [],
      });
    }
  },
});
