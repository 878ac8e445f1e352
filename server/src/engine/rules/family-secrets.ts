/** TL6xx: secrets in code and notebooks. List each rule of the family here, in id order. */
import type { Rule } from '../rule';
import TL601 from './TL601-provider-api-key';
import TL602 from './TL602-hardcoded-credential';
import TL603 from './TL603-wandb-api-key';

export const SECRETS_RULES: readonly Rule[] = [TL601, TL602, TL603];
