/** TL6xx: secrets in code and notebooks. List each rule of the family here, in id order. */
import type { Rule } from '../rule';

export const SECRETS_RULES: readonly Rule[] = [];
