/** TL8xx: serving exposure. List each rule of the family here, in id order. */
import type { Rule } from '../rule';
import TL801 from './TL801-flask-debug-mode';
import TL802 from './TL802-gradio-public-share';
import TL803 from './TL803-serve-all-interfaces';
import TL804 from './TL804-cors-any-origin-with-credentials';
import TL805 from './TL805-jupyter-without-token';

export const SERVING_RULES: readonly Rule[] = [TL801, TL802, TL803, TL804, TL805];
