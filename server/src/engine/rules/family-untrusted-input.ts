/** TL9xx: untrusted input reaching paths, URLs, SQL and model ids. List each rule of the family here, in id order. */
import type { Rule } from '../rule';
import TL901 from './TL901-path-traversal';
import TL902 from './TL902-ssrf';
import TL903 from './TL903-sql-injection';
import TL904 from './TL904-user-chosen-model';

export const UNTRUSTED_INPUT_RULES: readonly Rule[] = [TL901, TL902, TL903, TL904];
