/** TL7xx: LLM applications. List each rule of the family here, in id order. */
import type { Rule } from '../rule';

export const LLM_APP_RULES: readonly Rule[] = [];
