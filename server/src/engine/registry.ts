/** Every rule, in id order. Adding a rule: write `rules/TLxxx-name.ts` and list it here. */
import type { Rule } from './rule';
import TL101 from './rules/TL101-pickle-load';
import TL102 from './rules/TL102-pickle-compatible-load';
import TL103 from './rules/TL103-shelve-open';
import TL104 from './rules/TL104-marshal-load';
import TL105 from './rules/TL105-joblib-load';
import TL106 from './rules/TL106-pandas-read-pickle';
import TL107 from './rules/TL107-numpy-allow-pickle';
import TL108 from './rules/TL108-torch-load-unsafe';
import TL109 from './rules/TL109-yaml-unsafe-load';
import TL110 from './rules/TL110-keras-unsafe-deserialization';
import TL111 from './rules/TL111-langchain-dangerous-deserialization';
import TL201 from './rules/TL201-dynamic-code-eval';
import TL202 from './rules/TL202-os-shell-command';
import TL203 from './rules/TL203-subprocess-shell';
import TL204 from './rules/TL204-dynamic-import';
import { DEPENDENCY_RULES } from './rules/family-dependencies';
import { MODEL_SUPPLY_CHAIN_RULES } from './rules/family-model-supply-chain';
import { ARCHIVE_RULES } from './rules/family-archive';
import { TRANSPORT_RULES } from './rules/family-transport';
import { SECRETS_RULES } from './rules/family-secrets';
import { LLM_APP_RULES } from './rules/family-llm-app';
import { SERVING_RULES } from './rules/family-serving';
import { UNTRUSTED_INPUT_RULES } from './rules/family-untrusted-input';

export const RULES: readonly Rule[] = [
  ...DEPENDENCY_RULES,
  TL101, TL102, TL103, TL104, TL105, TL106, TL107, TL108, TL109, TL110, TL111,
  TL201, TL202, TL203, TL204,
  ...MODEL_SUPPLY_CHAIN_RULES,
  ...ARCHIVE_RULES,
  ...TRANSPORT_RULES,
  ...SECRETS_RULES,
  ...LLM_APP_RULES,
  ...SERVING_RULES,
  ...UNTRUSTED_INPUT_RULES,
];

const BY_ID = new Map(RULES.map((r) => [r.meta.id, r]));

export function getRule(id: string): Rule | undefined {
  return BY_ID.get(id.toUpperCase());
}
