import type { Argument, CallSite } from '../call';
import { addArgument, replaceNode } from '../edits';
import type { Node } from '../parser';
import { defineRule } from '../rule';
import type { Scope } from '../scope';
import type { Fix } from '../types';
import { qualifiedName, valueOf } from '../values';
import { anchor, argNode, withTaint } from './helpers';
import { boundSource } from './TL305-download-without-integrity';

export const ARCHIVE_DOCS = {
  cwe22: { title: 'CWE-22: Path Traversal', url: 'https://cwe.mitre.org/data/definitions/22.html' },
  tarfile: { title: 'Python docs: tarfile extraction filters', url: 'https://docs.python.org/3/library/tarfile.html#tarfile-extraction-filter' },
  pep706: { title: 'PEP 706: Filter for tarfile.extractall', url: 'https://peps.python.org/pep-0706/' },
  cve: { title: 'CVE-2007-4559 (tarfile path traversal)', url: 'https://nvd.nist.gov/vuln/detail/CVE-2007-4559' },
};

/**
 * Archives from a hub, a bucket or a shared notebook's download writing outside their folder:
 * someone else's code or files landing in your environment (Colab), tampered artifacts in
 * writable storage (the exposed SAS token).
 */
export const ARCHIVE_LINKS = {
  threats: ['MLT-019', 'MLT-035'],
  techniques: ['AML.T0011.000', 'AML.T0010.002', 'AML.T0010.003'],
};

/** The constructor call an object expression comes from, following names, `with ... as` aliases and annotations. */
export interface Origin {
  /** The constructor's canonical name (`tarfile.open`), or the annotated class (`tarfile.TarFile`). */
  qname: string;
  /** The constructor call, when the object is built in this file. */
  call?: Node;
  scope: Scope;
}

export function originOf(expr: Node, scope: Scope, depth = 0): Origin | undefined {
  if (depth > 8) return undefined;
  let n = expr;
  while (n.type === 'parenthesized_expression' && n.namedChild(0)) n = n.namedChild(0)!;
  if (n.type === 'call') {
    const fn = n.childForFieldName('function');
    const q = fn ? qualifiedName(fn, scope) : undefined;
    return q ? { qname: q, call: n, scope } : undefined;
  }
  if (n.type !== 'identifier') return undefined;
  const b = scope.lookup(n.text, n.startIndex);
  if (b?.kind === 'assign') return originOf(b.value, b.scope, depth + 1);
  if (b?.kind !== 'opaque' || !b.node) return undefined;
  const source = b.node.type === 'identifier' ? boundSource(b.node) : undefined;
  if (source?.parent?.type === 'as_pattern') return originOf(source, scope, depth + 1);
  // A parameter annotated with the class: `def unpack(tar: tarfile.TarFile)`.
  const annotation = b.node.childForFieldName?.('type');
  if (annotation) {
    const inner = annotation.namedChild(0) ?? annotation;
    const v = valueOf(inner, scope);
    if (v.kind === 'ref') return { qname: v.qname, scope };
  }
  return undefined;
}

const TAR_ORIGINS = new Set([
  'tarfile.open',
  'tarfile.TarFile',
  'tarfile.TarFile.open',
  'tarfile.TarFile.taropen',
  'tarfile.TarFile.gzopen',
  'tarfile.TarFile.bz2open',
  'tarfile.TarFile.xzopen',
  'tarfile.TarFile.zstopen',
]);

/** Filter values that reject traversal, absolute paths and links out of the target folder. */
const SAFE_FILTERS = new Set(['data', 'tar']);
const SAFE_FILTER_REFS = new Set(['tarfile.data_filter', 'tarfile.tar_filter']);

/** `TarFile.extraction_filter = staticmethod(tarfile.data_filter)` (or on one object): a file-wide default. */
const DEFAULT_FILTER = /\.extraction_filter\s*=\s*(staticmethod\s*\(\s*)?(tarfile\s*\.\s*)?(data_filter|tar_filter)\b/;

export type FilterVerdict = 'safe' | 'unknown' | { unsafe: string; arg?: Argument };

/** Judges the `filter=` argument of a tar extraction (`filter` is keyword-only everywhere). */
export function judgeFilter(call: CallSite, text: string): FilterVerdict {
  if (DEFAULT_FILTER.test(text)) return 'safe';
  const arg = call.keyword('filter');
  if (!arg) return call.mayHide(undefined, 'filter') ? 'unknown' : { unsafe: 'without a `filter`' };
  const v = call.valueOf(arg);
  if (v.kind === 'string') return SAFE_FILTERS.has(v.value) ? 'safe' : { unsafe: `with \`filter="${v.value}"\``, arg };
  if (v.kind === 'ref') {
    if (SAFE_FILTER_REFS.has(v.qname)) return 'safe';
    return v.qname === 'tarfile.fully_trusted_filter' ? { unsafe: 'with `filter=fully_trusted_filter`', arg } : 'unknown';
  }
  if (v.kind === 'none') return { unsafe: 'with `filter=None`', arg };
  return 'unknown'; // a custom filter function or a computed value
}

/** Fix: add `filter="data"`, or replace an unsafe filter value written in the call. */
export function filterFixes(call: CallSite, verdict: { unsafe: string; arg?: Argument }, text: string): Fix[] {
  if (!verdict.arg) {
    const edit = addArgument(call, 'filter="data"', text);
    return edit ? [{ title: 'Add filter="data"', safety: 'unsafe', edits: [edit] }] : [];
  }
  if (verdict.arg.fromSplat || !verdict.arg.keyword) return [];
  return [{ title: 'Use filter="data"', safety: 'unsafe', edits: [replaceNode(verdict.arg.value, '"data"')] }];
}

/** A path check of member names: `".."`, `isabs`, `realpath`/`abspath` with a prefix test, `is_relative_to`, ... */
const PATH_CHECK = /(["'][^"'\n]*\.\.[^"'\n]*["'])|isabs\s*\(|realpath\s*\(|abspath\s*\(|commonpath\s*\(|commonprefix\s*\(|is_relative_to\s*\(|\.resolve\s*\(|within|traversal|issym|islnk|islink/;

/** True when `loop` is a for statement over archive members whose body checks member paths and skips or stops on bad ones. */
function isMemberCheck(loop: Node): boolean {
  const body = loop.childForFieldName('body');
  if (!body) return false;
  const text = body.text;
  return PATH_CHECK.test(text) && /\b(raise|continue|return|break)\b/.test(text);
}

/** An extraction guarded by a member check: inside such a loop, or after one in the same body. */
export function guardedByMemberCheck(call: Node): boolean {
  let child: Node = call;
  for (let n = call.parent; n; child = n, n = n.parent) {
    if (n.type === 'function_definition' || n.type === 'module') break;
    if (n.type === 'for_statement' && isMemberCheck(n)) return true;
    if (n.type === 'block') {
      for (const stmt of n.namedChildren) {
        if (!stmt || stmt.startIndex >= child.startIndex) break;
        if (stmt.type === 'for_statement' && isMemberCheck(stmt)) return true;
      }
    }
  }
  return false;
}

/** `members=tar.getmembers()`: no selection at all. */
function selectsEverything(members: Argument): boolean {
  const v = members.value;
  if (v.type !== 'call' || (v.childForFieldName('arguments')?.namedChildCount ?? 0) > 0) return false;
  const fn = v.childForFieldName('function');
  return fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'getmembers';
}

/** The archive a tar object reads (`tarfile.open(path)` → `path`). */
export function tarSource(origin: Origin): Argument | undefined {
  if (!origin.call) return undefined;
  const args = origin.call.childForFieldName('arguments');
  let first: Node | undefined;
  for (const a of args?.namedChildren ?? []) {
    if (!a || a.type === 'comment') continue;
    if (a.type === 'keyword_argument') {
      const name = a.childForFieldName('name')?.text;
      if (name === 'name' || name === 'fileobj') first ??= a.childForFieldName('value') ?? undefined;
    } else if (!first) first = a;
  }
  return first ? { value: first, scope: origin.scope, fromSplat: false } : undefined;
}

export default defineRule({
  meta: {
    id: 'TL401',
    name: 'tarfile-extract-without-filter',
    title: 'tarfile extraction without a safe filter',
    family: 'archive',
    severity: 'high',
    cwe: ['CWE-22', 'CWE-59'],
    ...ARCHIVE_LINKS,
    peers: { bandit: ['B202'], ruff: ['S202'] },
    docs: {
      finds:
        '`extractall()`/`extract()` on an object from `tarfile.open(...)`/`tarfile.TarFile(...)` (a name bound to it, a ' +
        '`with ... as tar:` alias or a parameter annotated `tarfile.TarFile`) without `filter="data"`, `filter="tar"` or ' +
        '`tarfile.data_filter`/`tar_filter`, including `filter="fully_trusted"` and `filter=None`. Left alone: a custom ' +
        'filter function, `members=` with a selection, a loop that checks member names for `..`/absolute paths before ' +
        'extracting, and a file-wide `TarFile.extraction_filter = staticmethod(tarfile.data_filter)`.',
      why:
        'Tar members carry their own paths and link targets. Without a filter, a crafted archive (a dataset or model ' +
        'tarball from a bucket, a release page or an upload) writes `../../.bashrc`, absolute paths or symlinks pointing ' +
        'outside the target folder, overwriting code, configs or SSH keys (CVE-2007-4559). Python only defaults to the ' +
        'safe `data` filter from 3.14.',
      example: 'import tarfile\n\nwith tarfile.open("imagenet_subset.tar.gz") as tar:\n    tar.extractall("data/")\n',
      useInstead: 'import tarfile\n\nwith tarfile.open("imagenet_subset.tar.gz") as tar:\n    tar.extractall("data/", filter="data")\n',
      references: [ARCHIVE_DOCS.tarfile, ARCHIVE_DOCS.pep706, ARCHIVE_DOCS.cve, ARCHIVE_DOCS.cwe22],
    },
  },
  triggers: ['tarfile'],
  anyCall: true,
  check(call, ctx) {
    if (call.callee.type !== 'attribute') return;
    const method = call.callee.childForFieldName('attribute')?.text;
    if (method !== 'extractall' && method !== 'extract') return;
    const object = call.callee.childForFieldName('object');
    const origin = object ? originOf(object, call.scope) : undefined;
    if (!origin || !TAR_ORIGINS.has(origin.qname)) return;
    const verdict = judgeFilter(call, ctx.text);
    if (verdict === 'safe' || verdict === 'unknown') return;
    if (method === 'extractall') {
      const members = call.arg(1, 'members');
      if (members && !selectsEverything(members)) return;
      if (!members && call.mayHide(1, 'members')) return;
    }
    if (guardedByMemberCheck(call.node)) return;
    ctx.report(
      withTaint(ctx, tarSource(origin), {
        node: anchor(call, verdict.arg ? argNode(verdict.arg) : undefined),
        message:
          `\`${method}\` ${verdict.unsafe} writes tar members wherever their names and links point: a crafted archive ` +
          'overwrites files outside the target folder with `../` paths, absolute paths or symlinks. Pass ' +
          '`filter="data"` (Python 3.12+, and 3.8.17/3.9.17/3.10.12/3.11.4 onwards).',
        fixes: filterFixes(call, verdict, ctx.text),
      }),
    );
  },
});
