/** Usage texts for `threatlens --help` and `threatlens help <command>`. */
import { TOOL_VERSION } from './meta';

export const MAIN_HELP = `ThreatLens ${TOOL_VERSION}: finds security risks in Python machine-learning code.

Usage:
  threatlens scan [options] [paths...]   scan files and folders (default: .)
  threatlens rules [--json]              list the rules
  threatlens threats [filters] [--json]  list the threat catalog (filter by stage, technique...)
  threatlens explain <TLxxx|MLT-xxx>     show a rule's documentation or a threat
  threatlens help [command]              show help for a command
  threatlens --version                   print the version

Exit status: 0 no finding at or above --fail-on, 1 at least one, 2 usage or internal error.
Run 'threatlens help scan' for the scan options.
`;

export const SCAN_HELP = `Usage: threatlens scan [options] [paths...]

Scans Python files, notebooks and dependency manifests. Folders are walked for *.py
and *.ipynb files and for requirements*.txt/.in, constraints*.txt, pyproject.toml,
setup.cfg, Pipfile and environment*.yml, honouring .gitignore and .threatlensignore
files and skipping .git, .venv, venv, site-packages, node_modules, __pycache__, .tox,
.mypy_cache and .ipynb_checkpoints. A file named on the command line is always
scanned, whatever its name (as a manifest when its name is one, else as Python).

Options:
  -f, --format <text|json|sarif>   report format (default: text)
  -o, --output <file>              write the report to <file>; the summary still goes to stderr
      --select <ids>               run only these rules (comma-separated, repeatable)
      --ignore <ids>               do not run these rules (comma-separated, repeatable)
      --fail-on <severity>         lowest severity that fails the run: low, medium, high
                                   or critical (default: low, i.e. any finding)
      --no-nosec                   report lines marked '# nosec' too
      --exclude <glob>             skip matching files and folders (repeatable); a glob
                                   without '/' matches names at any depth, one with '/'
                                   matches paths relative to the current directory
      --docs-base-url <url>        SARIF: link rule help to <url>/<ID>.md instead of the
                                   bundled docs
      --online                     also look pinned versions up in OSV (api.osv.dev); only
                                   names and versions are sent; falls back to the bundled
                                   advisory snapshot when OSV cannot be reached
      --osv-url <url>              OSV-compatible API to ask instead of https://api.osv.dev
  -j, --jobs <n>                   threads to scan with (default: the number of cores, used
                                   from 48 files on); 1 scans on one thread
      --cache                      reuse the results of files unchanged since an earlier
                                   --cache scan with the same options and ThreatLens build;
                                   kept in ./.threatlens-cache (or $THREATLENS_CACHE_DIR/scan)
      --cache-dir <dir>            keep that cache in <dir> instead (implies --cache)
  -q, --quiet                      no summary and no notices (errors are still printed)
  -h, --help                       show this help

Exit status: 0 no finding at or above --fail-on, 1 at least one, 2 usage or internal error.
`;

export const RULES_HELP = `Usage: threatlens rules [--json]

Lists every rule: id, default severity, family and title.

Options:
      --json      print the rules' metadata as a JSON array
  -h, --help      show this help
`;

export const THREATS_HELP = `Usage: threatlens threats [options]

Lists the threats of the ThreatLens catalog (MITRE ATLAS case studies, AI incidents and
the research literature) with their severity, source, lifecycle stages and the rules
whose findings evidence them. Filters combine (all must match).

Options:
      --stage <name>         only threats targeting this lifecycle stage, e.g. Training,
                             "Fine-tuning", Deployment (case-insensitive)
      --technique <id>       only threats using this ATLAS technique (a parent id also
                             matches its sub-techniques), e.g. AML.T0010
      --tactic <id>          only threats with a technique serving this ATLAS tactic
      --rule <id>            only threats a rule's findings evidence, e.g. TL108
      --source <kind>        atlas-case-study, incident or literature
      --json                 print the full threat records as a JSON array
  -h, --help                 show this help
`;

export const EXPLAIN_HELP = `Usage: threatlens explain <id>

Prints the documentation of a rule (TL101) as markdown, or describes a threat of the
ThreatLens threat catalog (MLT-016): summary, lifecycle stages, ATLAS techniques and
mitigations.

Options:
  -h, --help      show this help
`;

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  scan: SCAN_HELP,
  rules: RULES_HELP,
  explain: EXPLAIN_HELP,
  threats: THREATS_HELP,
  help: MAIN_HELP,
};
