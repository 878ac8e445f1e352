/** TL9xx: untrusted input reaching paths, URLs, SQL and model ids. List each rule of the family here, in id order. */
import type { Rule } from '../rule';

export const UNTRUSTED_INPUT_RULES: readonly Rule[] = [];
