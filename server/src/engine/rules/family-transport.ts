/** TL5xx: TLS and transport. List each rule of the family here, in id order. */
import type { Rule } from '../rule';
import TL501 from './TL501-tls-verification-disabled';
import TL502 from './TL502-ssl-unverified-context';
import TL503 from './TL503-tls-verification-env';

export const TRANSPORT_RULES: readonly Rule[] = [TL501, TL502, TL503];
