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

export const RULES: readonly Rule[] = [
  TL101, TL102, TL103, TL104, TL105, TL106, TL107, TL108, TL109, TL110, TL111,
  TL201, TL202, TL203, TL204,
];

const BY_ID = new Map(RULES.map((r) => [r.meta.id, r]));

export function getRule(id: string): Rule | undefined {
  return BY_ID.get(id.toUpperCase());
}
