/**
 * `threatlens`: the command-line scanner (bundled to dist/cli.js).
 *
 *   threatlens scan [options] [paths...]
 *   threatlens rules [--json]
 *   threatlens threats [--json] [--stage S] [--technique AML.T...] [--tactic ...] [--rule TL...] [--source ...]
 *   threatlens explain <TLxxx|MLT-xxx>
 *   threatlens help [command] | --help | --version
 *
 * Exit status: 0 when no finding reaches `--fail-on`, 1 when one does, 2 on a usage or internal
 * error (reported as one line, `threatlens: error: ...`, on stderr).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import { SEVERITIES, enabledRules, getRule, type AnalysisOptions, type Severity } from '../engine';
import { listValues, oneOf, parseArgs, single, UsageError, type OptionSpec, type ParsedArgs } from './args';
import { formatJson } from './format-json';
import { formatSarif } from './format-sarif';
import { formatText, PLAIN, styleFor } from './format-text';
import { COMMAND_HELP, MAIN_HELP } from './help';
import { explain, filterThreats, rulesJson, rulesTable, threatsJson, threatsTable } from './info';
import { TOOL_NAME, TOOL_VERSION } from './meta';
import { reachesThreshold, summarize, summaryLine, type ScanReport } from './report';
import { scanFiles, type FileResult, type ScanFilesOptions } from './scan';
import { engineFingerprint, ResultCache, scanCacheDir, scanCacheKey, scanFilesCached, type CacheStats } from './cache';
import { collectFiles, type PathNotice } from './walk';
import { onlineAdvisories } from './online';
import type { Advisory } from '../engine';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

const HELP_OPTION: OptionSpec = { name: 'help', short: 'h' };

const SCAN_OPTIONS: readonly OptionSpec[] = [
  HELP_OPTION,
  { name: 'format', short: 'f', takesValue: true },
  { name: 'output', short: 'o', takesValue: true },
  { name: 'select', takesValue: true, repeatable: true },
  { name: 'ignore', takesValue: true, repeatable: true },
  { name: 'fail-on', takesValue: true },
  { name: 'no-nosec' },
  { name: 'exclude', takesValue: true, repeatable: true },
  { name: 'docs-base-url', takesValue: true },
  { name: 'quiet', short: 'q' },
  { name: 'jobs', short: 'j', takesValue: true },
  { name: 'online' },
  { name: 'osv-url', takesValue: true },
  { name: 'cache' },
  { name: 'cache-dir', takesValue: true },
];

function out(text: string): void {
  process.stdout.write(text);
}

function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

/** Rule ids given to `--select` / `--ignore`, upper-cased; an unknown id is a usage error naming it. */
function ruleIds(args: ParsedArgs, option: string): string[] {
  const values = listValues(args, option);
  if (args.values.has(option) && values.length === 0) throw new UsageError(`option --${option} needs at least one rule id`);
  return values.map((v) => {
    const rule = getRule(v);
    if (!rule) throw new UsageError(`unknown rule id '${v}' in --${option} (run 'threatlens rules' to list them)`);
    return rule.meta.id;
  });
}

function checkUrl(value: string, option: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:' && url.protocol !== 'file:') throw new Error();
    return value;
  } catch {
    throw new UsageError(`invalid URL '${value}' for --${option}`);
  }
}

function noticeLine(n: { file: string; message: string }, kind: 'error' | 'skipped'): string {
  return `${n.file}: ${kind === 'error' ? 'error' : 'note'}: ${n.message}`;
}

async function scanCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, SCAN_OPTIONS, 'scan');
  if (args.flags.has('help')) {
    out(COMMAND_HELP.scan);
    return EXIT_OK;
  }
  const format: Format = oneOf(single(args, 'format') ?? 'text', FORMATS, 'format');
  const failOn: Severity = oneOf(single(args, 'fail-on') ?? 'low', SEVERITIES, 'fail-on');
  const selected = ruleIds(args, 'select');
  const ignored = ruleIds(args, 'ignore');
  const docsBase = single(args, 'docs-base-url');
  const docsBaseUrl = docsBase === undefined ? undefined : checkUrl(docsBase, 'docs-base-url');
  const output = single(args, 'output');
  if (output === '') throw new UsageError('option --output needs a file name');
  const quiet = args.flags.has('quiet');
  const cacheDir = single(args, 'cache-dir');
  if (cacheDir === '') throw new UsageError('option --cache-dir needs a folder name');
  const useCache = args.flags.has('cache') || cacheDir !== undefined;
  const jobsText = single(args, 'jobs');
  const jobs = jobsText === undefined ? undefined : Number(jobsText);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)) throw new UsageError(`invalid value '${jobsText}' for --jobs (a whole number from 1 to 64)`);
  const analysis: AnalysisOptions = {
    selectedRules: selected,
    disabledRules: ignored,
    honorNosec: !args.flags.has('no-nosec'),
  };
  const rules = enabledRules(analysis);
  if (rules.length === 0) throw new UsageError('--select and --ignore leave no rule to run');

  const cwd = process.cwd();
  const started = performance.now();
  const { files, notices } = collectFiles(args.positionals.length ? args.positionals : ['.'], {
    cwd,
    exclude: args.values.get('exclude') ?? [],
  });
  const notify = (n: PathNotice): void => {
    if (n.kind === 'error' || !quiet) err(noticeLine(n, n.kind));
  };
  notices.forEach(notify);
  const onResult = (r: FileResult): void => {
    if (r.outcome.kind === 'error' || r.outcome.kind === 'skipped') notify({ file: r.file.display, kind: r.outcome.kind, message: r.outcome.message });
    else for (const p of r.outcome.problems ?? []) notify({ file: `${r.file.display}:${p.line + 1}:${p.character + 1}`, kind: 'error', message: `cannot read this: ${p.message.replace(/\.$/, '')}; the rest of the file was checked` });
  };
  const osvUrl = single(args, 'osv-url');
  if (osvUrl !== undefined) checkUrl(osvUrl, 'osv-url');
  let extraAdvisories: Advisory[] | undefined;
  if (args.flags.has('online') || osvUrl !== undefined) {
    const lookup = await onlineAdvisories(files, osvUrl);
    extraAdvisories = lookup.advisories;
    if (lookup.note) notify({ file: 'OSV', kind: lookup.failed ? 'error' : 'skipped', message: lookup.note });
  }
  // The main thread scans too, next to jobs - 1 worker threads: this process does nothing else.
  const scanOptions: ScanFilesOptions = {
    analysis,
    jobs,
    explicitJobs: jobs !== undefined,
    extraAdvisories,
    mainThreadScans: true,
    onWorkerFailure: (e) => notify({ file: TOOL_NAME, kind: 'skipped', message: `a worker thread stopped (${(e as NodeJS.ErrnoException).code ?? String(e)}); the main thread scanned its files` }),
  };
  let results: FileResult[];
  let cacheStats: CacheStats | undefined;
  if (useCache) {
    const key = scanCacheKey({ engine: engineFingerprint(), analysis, extraAdvisories });
    const cache = ResultCache.open(scanCacheDir(cwd, cacheDir), key, (message) => err(`${TOOL_NAME}: warning: ${message}`));
    ({ results, stats: cacheStats } = await scanFilesCached(files, scanOptions, cache, onResult));
  } else {
    results = await scanFiles(files, scanOptions, onResult);
  }
  const scan: ScanReport = {
    version: TOOL_VERSION,
    results,
    walkNotices: notices,
    rules,
    durationMs: Math.round(performance.now() - started),
    ...(cacheStats ? { cache: cacheStats } : {}),
  };

  const toFile = output !== undefined;
  let text: string;
  switch (format) {
    case 'json':
      text = formatJson(scan);
      break;
    case 'sarif':
      text = formatSarif(scan, { docsBaseUrl });
      break;
    case 'text':
      text = formatText(scan, { style: toFile ? PLAIN : styleFor(process.stdout), summary: toFile || !quiet });
      break;
  }
  if (toFile) {
    const target = path.resolve(cwd, output);
    try {
      fs.writeFileSync(target, text);
    } catch (e) {
      throw new Error(`cannot write ${output}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  } else {
    out(text);
  }
  if (!quiet && (toFile || format !== 'text')) err(summaryLine(summarize(scan)));
  return reachesThreshold(scan, failOn) ? EXIT_FINDINGS : EXIT_OK;
}

function rulesCommand(argv: readonly string[]): number {
  const args = parseArgs(argv, [HELP_OPTION, { name: 'json' }], 'rules');
  if (args.flags.has('help')) {
    out(COMMAND_HELP.rules);
    return EXIT_OK;
  }
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}' for 'rules'`);
  out(args.flags.has('json') ? rulesJson() : rulesTable());
  return EXIT_OK;
}

function threatsCommand(argv: readonly string[]): number {
  const args = parseArgs(
    argv,
    [
      HELP_OPTION,
      { name: 'json' },
      { name: 'stage', takesValue: true },
      { name: 'technique', takesValue: true },
      { name: 'tactic', takesValue: true },
      { name: 'rule', takesValue: true },
      { name: 'source', takesValue: true },
    ],
    'threats',
  );
  if (args.flags.has('help')) {
    out(COMMAND_HELP.threats);
    return EXIT_OK;
  }
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}' for 'threats' (filters are options, e.g. --stage Training)`);
  const threats = filterThreats({
    stage: single(args, 'stage'),
    technique: single(args, 'technique'),
    tactic: single(args, 'tactic'),
    rule: single(args, 'rule'),
    source: single(args, 'source'),
  });
  out(args.flags.has('json') ? threatsJson(threats) : threatsTable(threats));
  return EXIT_OK;
}

function explainCommand(argv: readonly string[]): number {
  const args = parseArgs(argv, [HELP_OPTION], 'explain');
  if (args.flags.has('help')) {
    out(COMMAND_HELP.explain);
    return EXIT_OK;
  }
  if (args.positionals.length !== 1) throw new UsageError("'explain' takes exactly one rule or threat id, e.g. 'threatlens explain TL101'");
  const doc = explain(args.positionals[0]);
  out(doc.endsWith('\n') ? doc : doc + '\n');
  return EXIT_OK;
}

function helpCommand(argv: readonly string[]): number {
  const args = parseArgs(argv, [HELP_OPTION], 'help');
  if (args.positionals.length > 1) throw new UsageError("'help' takes at most one command name");
  const topic = args.positionals[0];
  if (topic === undefined) {
    out(MAIN_HELP);
    return EXIT_OK;
  }
  const text = COMMAND_HELP[topic];
  if (!text) throw new UsageError(`unknown command '${topic}' (commands: scan, rules, threats, explain, help)`);
  out(text);
  return EXIT_OK;
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit status. */
export async function run(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  switch (first) {
    case undefined:
      err(MAIN_HELP);
      return EXIT_ERROR;
    case '-h':
    case '--help':
      out(MAIN_HELP);
      return EXIT_OK;
    case '-V':
    case '--version':
      out(`${TOOL_VERSION}\n`);
      return EXIT_OK;
    case 'scan':
      return scanCommand(rest);
    case 'rules':
      return rulesCommand(rest);
    case 'explain':
      return explainCommand(rest);
    case 'threats':
      return threatsCommand(rest);
    case 'help':
      return helpCommand(rest);
    default:
      throw new UsageError(
        first.startsWith('-') ? `unknown option ${first}` : `unknown command '${first}' (commands: scan, rules, threats, explain, help)`,
      );
  }
}

function fail(e: unknown): number {
  const message = e instanceof Error ? e.message : String(e);
  err(`${TOOL_NAME}: error: ${message.split('\n')[0]}`);
  if (!(e instanceof UsageError) && process.env.THREATLENS_DEBUG && e instanceof Error && e.stack) err(e.stack);
  return EXIT_ERROR;
}

// Worker threads of a parallel scan load this same bundle: only the main thread runs the CLI.
if (require.main === module && isMainThread) {
  // A closed pipe (`threatlens scan | head`) is not an error worth a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
    throw e;
  });
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = fail(e);
    },
  );
}
