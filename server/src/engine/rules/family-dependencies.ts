/** TL0xx: dependencies and package sources (manifests, notebook and script pip commands). */
import type { Rule } from '../rule';
import TL001 from './TL001-unpinned-requirement';
import TL002 from './TL002-loose-version-range';
import TL003 from './TL003-extra-index-dependency-confusion';
import TL004 from './TL004-insecure-package-source';
import TL005 from './TL005-unpinned-url-requirement';
import TL006 from './TL006-partial-hashes';
import TL007 from './TL007-known-vulnerable-version';
import TL008 from './TL008-suspicious-package-name';

export const DEPENDENCY_RULES: readonly Rule[] = [TL001, TL002, TL003, TL004, TL005, TL006, TL007, TL008];
