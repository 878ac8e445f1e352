/** TL3xx: model hubs and artifacts. List each rule of the family here, in id order. */
import type { Rule } from '../rule';
import TL301 from './TL301-hf-trust-remote-code';
import TL302 from './TL302-hf-unpinned-revision';
import TL303 from './TL303-torch-hub-load';
import TL304 from './TL304-hf-use-safetensors-false';
import TL305 from './TL305-download-without-integrity';

export const MODEL_SUPPLY_CHAIN_RULES: readonly Rule[] = [TL301, TL302, TL303, TL304, TL305];
