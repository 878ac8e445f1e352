/** TL4xx: archive extraction. List each rule of the family here, in id order. */
import type { Rule } from '../rule';

export const ARCHIVE_RULES: readonly Rule[] = [];
