/** TL4xx: archive extraction. List each rule of the family here, in id order. */
import type { Rule } from '../rule';
import TL401 from './TL401-tarfile-extract-without-filter';
import TL402 from './TL402-zipfile-extractall-unchecked';
import TL403 from './TL403-unpack-archive-without-filter';

export const ARCHIVE_RULES: readonly Rule[] = [TL401, TL402, TL403];
