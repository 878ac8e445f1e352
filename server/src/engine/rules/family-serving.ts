/** TL8xx: serving exposure. List each rule of the family here, in id order. */
import type { Rule } from '../rule';

export const SERVING_RULES: readonly Rule[] = [];
