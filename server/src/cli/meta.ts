/** What the CLI knows about itself: its name and version (from package.json, inlined by the bundler). */
import pkg from '../../../package.json';

export const TOOL_NAME = 'threatlens';
export const TOOL_DISPLAY_NAME = 'ThreatLens';
export const TOOL_VERSION: string = pkg.version;
/** Project home page, when package.json names one. */
const homepage: unknown = (pkg as { homepage?: unknown }).homepage;
export const TOOL_HOMEPAGE: string | undefined = typeof homepage === 'string' ? homepage : undefined;
