/** TL5xx: TLS and transport. List each rule of the family here, in id order. */
import type { Rule } from '../rule';

export const TRANSPORT_RULES: readonly Rule[] = [];
