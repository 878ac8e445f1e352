/** TL3xx: model hubs and artifacts. List each rule of the family here, in id order. */
import type { Rule } from '../rule';

export const MODEL_SUPPLY_CHAIN_RULES: readonly Rule[] = [];
