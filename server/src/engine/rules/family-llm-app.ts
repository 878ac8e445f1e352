/** TL7xx: LLM applications. List each rule of the family here, in id order. */
import type { Rule } from '../rule';
import TL701 from './TL701-llm-output-code-execution';
import TL702 from './TL702-llm-output-sql-or-path';
import TL703 from './TL703-untrusted-system-prompt';
import TL704 from './TL704-langchain-dangerous-tools';
import TL705 from './TL705-jinja2-template-injection';

export const LLM_APP_RULES: readonly Rule[] = [TL701, TL702, TL703, TL704, TL705];
