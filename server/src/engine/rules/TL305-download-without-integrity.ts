import { CallSite } from '../call';
import type { Node } from '../parser';
import { defineRule, member, rangeOf } from '../rule';
import type { Scope } from '../scope';
import type { RelatedInfo, Severity } from '../types';
import { qualifiedName, truthiness, unwrap, valueOf } from '../values';
import { anchor } from './helpers';
import { REF } from './links';
import { HF_DOCS } from './TL301-hf-trust-remote-code';

/** Where a downloader takes its URL and destination, and which arguments carry a checksum. */
interface Downloader {
  url?: [number, string];
  dest?: [number, string];
  /** Integrity arguments: any of them given (not None / truthy) verifies the file. */
  hash?: [number | undefined, string][];
  /** What the call returns: the response object, the saved path, or an already unpickled object. */
  returns: 'response' | 'path' | 'tuple' | 'none' | 'loaded';
  /** How to add a checksum, for the message. */
  advice: string;
}

const VERIFY = 'compare its SHA-256 with a pinned value (`hashlib`) before using it';
const KERAS_GET_FILE: Downloader = {
  url: [1, 'origin'],
  dest: [0, 'fname'],
  hash: [[3, 'md5_hash'], [4, 'file_hash']],
  returns: 'path',
  advice: 'pass `file_hash=` with the expected SHA-256',
};
const RESPONSE: Downloader = { url: [0, 'url'], returns: 'response', advice: VERIFY };

export const DOWNLOADERS: Record<string, Downloader> = {
  'urllib.request.urlretrieve': { url: [0, 'url'], dest: [1, 'filename'], returns: 'tuple', advice: VERIFY },
  'torch.hub.download_url_to_file': {
    url: [0, 'url'],
    dest: [1, 'dst'],
    hash: [[2, 'hash_prefix']],
    returns: 'none',
    advice: 'pass `hash_prefix=` with the start of the expected SHA-256',
  },
  'torch.hub.load_state_dict_from_url': {
    url: [0, 'url'],
    hash: [[4, 'check_hash']],
    returns: 'loaded',
    advice: 'pass `check_hash=True` with a file name that carries the hash prefix',
  },
  'keras.utils.get_file': KERAS_GET_FILE,
  'keras.utils.data_utils.get_file': KERAS_GET_FILE,
  'keras.utils.file_utils.get_file': KERAS_GET_FILE,
  'keras.src.utils.file_utils.get_file': KERAS_GET_FILE,
  'torchvision.datasets.utils.download_url': { url: [0, 'url'], dest: [2, 'filename'], hash: [[3, 'md5']], returns: 'none', advice: 'pass `md5=`' },
  'torchvision.datasets.utils.download_and_extract_archive': {
    url: [0, 'url'],
    dest: [3, 'filename'],
    hash: [[4, 'md5']],
    returns: 'none',
    advice: 'pass `md5=`',
  },
  'wget.download': { url: [0, 'url'], dest: [1, 'out'], returns: 'path', advice: VERIFY },
  'gdown.download': { url: [0, 'url'], dest: [1, 'output'], returns: 'path', advice: 'use `gdown.cached_download(..., hash="sha256:...")`' },
  'requests.get': RESPONSE,
  'httpx.get': RESPONSE,
};

/** Downloads from the Hugging Face Hub (their pinning is TL302's business; archives care where data came from). */
const HUB_FILE_DOWNLOADS = new Set(['huggingface_hub.hf_hub_download', 'huggingface_hub.file_download.hf_hub_download']);

/** Model and data file suffixes (after any `?query`). */
const ARTIFACT = /\.(pt|pth|bin|ckpt|pkl|pickle|joblib|h5|hdf5|keras|onnx|safetensors|npz|npy|zip|tar|tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz|gz|bz2|xz|csv|parquet|tflite|pb|gguf|msgpack|mar|pdparams|model)$/i;
const ANY_SUFFIX = /\.[A-Za-z0-9]{1,8}$/;

// ---------------------------------------------------------------------------------------------
// Literal parts of paths and URLs

function calleeQname(call: Node, scope: Scope): string | undefined {
  const fn = call.childForFieldName('function');
  return fn ? qualifiedName(fn, scope) : undefined;
}

function positional(call: Node): Node[] {
  const args = call.childForFieldName('arguments');
  if (!args || args.type !== 'argument_list') return [];
  return args.namedChildren.filter((c): c is Node => !!c && c.type !== 'keyword_argument' && c.type !== 'comment');
}

const PATH_BUILDERS = new Set(['os.path.join', 'pathlib.Path', 'pathlib.PurePath', 'builtins.str', 'os.fspath', 'os.path.abspath', 'os.path.expanduser']);

/** The pieces of an f-string: literal text, or undefined for an interpolation whose value is unknown. */
function fstringParts(n: Node, scope: Scope): (string | undefined)[] {
  const parts: (string | undefined)[] = [];
  for (const child of n.namedChildren) {
    if (!child || child.type === 'string_start' || child.type === 'string_end') continue;
    if (child.type === 'interpolation') {
      const expr = child.namedChild(0);
      const v = expr && child.namedChildCount === 1 ? valueOf(expr, scope) : undefined;
      parts.push(v?.kind === 'string' ? v.value : undefined);
    } else if (child.type === 'string_content' || child.type === 'escape_sequence') {
      parts.push(child.text);
    }
  }
  return parts;
}

/** The text a path or URL is known to end with (`f"{root}/model.pt"` → `/model.pt`), or undefined. */
export function literalSuffix(node: Node, scope: Scope, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  const n = unwrap(node);
  const v = valueOf(n, scope);
  if (v.kind === 'string') return v.value;
  switch (n.type) {
    case 'string': {
      // f-string: the literal text after the last interpolation whose value is unknown.
      let tail = '';
      for (const part of fstringParts(n, scope)) tail = part === undefined ? '' : tail + part;
      return tail || undefined;
    }
    case 'binary_operator': {
      const op = n.childForFieldName('operator')?.type;
      const right = n.childForFieldName('right');
      return (op === '+' || op === '/') && right ? literalSuffix(right, scope, depth + 1) : undefined;
    }
    case 'identifier': {
      const b = scope.lookup(n.text, n.startIndex);
      return b?.kind === 'assign' ? literalSuffix(b.value, b.scope, depth + 1) : undefined;
    }
    case 'call': {
      if (!PATH_BUILDERS.has(calleeQname(n, scope) ?? '')) return undefined;
      const args = positional(n);
      return args.length ? literalSuffix(args[args.length - 1], scope, depth + 1) : undefined;
    }
    default:
      return undefined;
  }
}

/** The text a URL is known to start with (`f"http://{host}/x"` → `http://`), or undefined. */
export function literalPrefix(node: Node, scope: Scope, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  const n = unwrap(node);
  const v = valueOf(n, scope);
  if (v.kind === 'string') return v.value;
  switch (n.type) {
    case 'string': {
      let head = '';
      for (const part of fstringParts(n, scope)) {
        if (part === undefined) break;
        head += part;
      }
      return head || undefined;
    }
    case 'binary_operator': {
      const left = n.childForFieldName('left');
      return n.childForFieldName('operator')?.type === '+' && left ? literalPrefix(left, scope, depth + 1) : undefined;
    }
    case 'identifier': {
      const b = scope.lookup(n.text, n.startIndex);
      return b?.kind === 'assign' ? literalPrefix(b.value, b.scope, depth + 1) : undefined;
    }
    default:
      return undefined;
  }
}

function stripQuery(s: string): string {
  return s.replace(/[?#].*$/, '');
}

/** `'artifact'`, `'other'` (a known non-artifact suffix) or undefined (no suffix known). */
function suffixKind(s: string | undefined): 'artifact' | 'other' | undefined {
  if (s === undefined) return undefined;
  const path = stripQuery(s);
  if (ARTIFACT.test(path)) return 'artifact';
  return ANY_SUFFIX.test(path.split('/').pop() ?? '') ? 'other' : undefined;
}

/** A plain-HTTP URL to a host other than the local machine. */
export function isCleartext(prefix: string | undefined): boolean {
  if (!prefix || !/^http:\/\//i.test(prefix)) return false;
  return !/^http:\/\/(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\])([:/]|$)/i.test(prefix);
}

// ---------------------------------------------------------------------------------------------
// The function a call belongs to, and the calls in it

/** The body a node runs in: the innermost def (or lambda) body, else the module. */
export function enclosingBody(node: Node): Node {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === 'function_definition') return n.childForFieldName('body') ?? n;
    if (n.type === 'module') return n;
  }
  return node.tree.rootNode;
}

/** Calls in `body`, in source order, leaving out nested defs, classes and lambdas. */
export function callsIn(body: Node): Node[] {
  const out: Node[] = [];
  const stack: Node[] = [body];
  while (stack.length) {
    const n = stack.pop()!;
    if (n !== body && (n.type === 'function_definition' || n.type === 'class_definition' || n.type === 'lambda')) continue;
    if (n.type === 'call') out.push(n);
    for (let i = n.namedChildCount - 1; i >= 0; i--) {
      const c = n.namedChild(i);
      if (c) stack.push(c);
    }
  }
  return out.sort((a, b) => a.startIndex - b.startIndex);
}

// ---------------------------------------------------------------------------------------------
// Following a downloaded file or response to where it is used

/** What stands for the downloaded data: the download call, and the path it was saved to. */
export interface Handle {
  call: Node;
  dest?: { node: Node; scope: Scope };
}

const OPENERS = new Set(['builtins.open', 'io.open', 'gzip.open', 'bz2.open', 'lzma.open', 'io.BytesIO', 'pathlib.Path', 'builtins.str', 'os.fspath', 'os.path.abspath', 'codecs.open']);
const READ_METHODS = new Set(['read', 'getvalue', 'getbuffer', 'iter_content', 'iter_bytes', 'iter_raw', 'open', 'read_bytes', 'content', 'raw', 'text']);

/** The value expression of a `with X as name` alias, a loop target's iterable or a tuple-unpacking source. */
export function boundSource(target: Node): Node | undefined {
  const parent = target.parent;
  if (!parent) return undefined;
  if (parent.type === 'as_pattern_target') {
    const pattern = parent.parent;
    return pattern?.type === 'as_pattern' ? (pattern.namedChild(0) ?? undefined) : undefined;
  }
  // Climb out of `a, b = ...` / `for a, b in ...` patterns.
  let n: Node = target;
  let p: Node | null = parent;
  while (p && (p.type === 'pattern_list' || p.type === 'tuple_pattern' || p.type === 'list_pattern')) {
    n = p;
    p = p.parent;
  }
  if (p?.type === 'for_statement' && p.childForFieldName('left')?.id === n.id) return p.childForFieldName('right') ?? undefined;
  if (p?.type === 'assignment' && n.id !== target.id && p.childForFieldName('left')?.id === n.id) return p.childForFieldName('right') ?? undefined;
  return undefined;
}

function sameText(a: Node, b: Node): boolean {
  return a.text.replace(/\s+/g, '') === b.text.replace(/\s+/g, '');
}

function samePath(expr: Node, scope: Scope, dest: { node: Node; scope: Scope }): boolean {
  const a = valueOf(expr, scope);
  const b = valueOf(dest.node, dest.scope);
  if (a.kind === 'string' && b.kind === 'string') return a.value === b.value;
  if (expr.type === 'identifier' && dest.node.type === 'identifier') {
    if (expr.text !== dest.node.text) return false;
    const ba = scope.lookup(expr.text, expr.startIndex);
    const bb = dest.scope.lookup(dest.node.text, dest.node.startIndex);
    return ba === bb;
  }
  return a.kind !== 'string' && b.kind !== 'string' && expr.type !== 'identifier' && sameText(expr, dest.node);
}

/** True when `expr` evaluates to the downloaded data, a file object or buffer over it, or its saved path. */
export function refersTo(expr: Node, scope: Scope, handle: Handle, depth = 0): boolean {
  if (depth > 10) return false;
  const n = unwrap(expr);
  if (n.id === handle.call.id) return true;
  if (handle.dest && samePath(n, scope, handle.dest)) return true;
  switch (n.type) {
    case 'call': {
      const q = calleeQname(n, scope);
      const fn = n.childForFieldName('function');
      if (q && OPENERS.has(q)) {
        const first = positional(n)[0];
        return !!first && refersTo(first, scope, handle, depth + 1);
      }
      if (!q && fn?.type === 'attribute' && READ_METHODS.has(fn.childForFieldName('attribute')?.text ?? '')) {
        const object = fn.childForFieldName('object');
        return !!object && refersTo(object, scope, handle, depth + 1);
      }
      return false;
    }
    case 'attribute': {
      if (!READ_METHODS.has(n.childForFieldName('attribute')?.text ?? '')) return false;
      const object = n.childForFieldName('object');
      return !!object && refersTo(object, scope, handle, depth + 1);
    }
    case 'subscript': {
      const value = n.childForFieldName('value');
      return !!value && refersTo(value, scope, handle, depth + 1);
    }
    case 'identifier': {
      const b = scope.lookup(n.text, n.startIndex);
      if (b?.kind === 'assign') return refersTo(b.value, b.scope, handle, depth + 1);
      if (b?.kind === 'opaque' && b.node) {
        const source = boundSource(b.node);
        return !!source && refersTo(source, scope, handle, depth + 1);
      }
      return false;
    }
    default:
      return false;
  }
}

const HASH_CALL = /(^|\.)(sha1|sha224|sha256|sha384|sha512|sha3_\w+|md5|blake2[bs]|file_digest|new)$/;
const VERIFY_NAME = /checksum|verify|integrity|digest|hash|sha\d|md5/i;

/**
 * A checksum of the downloaded data is computed in the same body: a hashlib call or a helper named
 * for it (`verify_checksum`) that reads the file or response, or an incremental `hashlib.sha256()`.
 * Hashing something else (the URL, to name a cache file) does not count.
 */
function verifiesIntegrity(calls: readonly Node[], scope: Scope, handle: Handle): boolean {
  return calls.some((c) => {
    if (c.id === handle.call.id) return false;
    const text = c.childForFieldName('function')?.text.replace(/\s+/g, '') ?? '';
    const last = member(text);
    const q = calleeQname(c, scope);
    const hashlib = !!q && q.startsWith('hashlib.') && HASH_CALL.test(q);
    if (!hashlib && (last === 'hash' || !VERIFY_NAME.test(last))) return false;
    const args = c.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a && a.type !== 'comment') ?? [];
    if (hashlib && args.length === 0) return true;
    return args.some((a) => refersTo(a.type === 'keyword_argument' ? (a.childForFieldName('value') ?? a) : a, scope, handle));
  });
}

/** The path a writable file object was opened on (`with open(dst, "wb") as fh` → `dst`). */
function openedPath(obj: Node, scope: Scope, depth = 0): Node | undefined {
  if (depth > 6) return undefined;
  const n = unwrap(obj);
  if (n.type === 'identifier') {
    const b = scope.lookup(n.text, n.startIndex);
    if (b?.kind === 'assign') return openedPath(b.value, b.scope, depth + 1);
    if (b?.kind === 'opaque' && b.node) {
      const source = boundSource(b.node);
      return source ? openedPath(source, scope, depth + 1) : undefined;
    }
    return undefined;
  }
  if (n.type !== 'call') return undefined;
  const q = calleeQname(n, scope);
  if (q === 'builtins.open' || q === 'io.open' || q === 'pathlib.Path') return positional(n)[0];
  const fn = n.childForFieldName('function');
  // `Path(dst).open("wb")`
  if (!q && fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'open') {
    const object = fn.childForFieldName('object');
    return object ? openedPath(object, scope, depth + 1) : undefined;
  }
  return undefined;
}

/** Where a response's body is saved: `fh.write(r.content)`, `Path(p).write_bytes(...)`, `shutil.copyfileobj(r.raw, fh)`. */
function savedTo(calls: readonly Node[], scope: Scope, handle: Handle): { node: Node; scope: Scope } | undefined {
  for (const c of calls) {
    if (c.startIndex < handle.call.startIndex) continue;
    const fn = c.childForFieldName('function');
    const args = positional(c);
    if (fn?.type === 'attribute') {
      const method = fn.childForFieldName('attribute')?.text;
      const object = fn.childForFieldName('object');
      if ((method === 'write' || method === 'write_bytes') && object && args[0] && refersTo(args[0], scope, handle)) {
        const path = openedPath(object, scope);
        if (path) return { node: path, scope };
      }
    }
    if (calleeQname(c, scope) === 'shutil.copyfileobj' && args.length >= 2 && refersTo(args[0], scope, handle)) {
      const path = openedPath(args[1], scope);
      if (path) return { node: path, scope };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Loaders that run code from the file they read

const ALWAYS_UNSAFE = new Set([
  'pickle.load',
  'pickle.loads',
  'pickle.Unpickler',
  'dill.load',
  'dill.loads',
  'cloudpickle.load',
  'cloudpickle.loads',
  'joblib.load',
  'pandas.read_pickle',
  'keras.models.load_model',
  'keras.saving.load_model',
  'keras.load_model',
  'yaml.unsafe_load',
  'yaml.full_load',
]);
const SAFE_YAML = new Set(['yaml.SafeLoader', 'yaml.CSafeLoader', 'yaml.BaseLoader', 'yaml.CBaseLoader']);

/** The argument an unsafe loader reads, when `call` is one. */
export function unsafeLoaderInput(call: CallSite): Node | undefined {
  const q = call.qname;
  if (!q) return undefined;
  const first = call.arg(0)?.value;
  if (ALWAYS_UNSAFE.has(q)) return first;
  if (q === 'torch.load') {
    const w = call.keyword('weights_only');
    return w && truthiness(call.valueOf(w)) === true ? undefined : first;
  }
  if (q === 'numpy.load') {
    const p = call.arg(2, 'allow_pickle');
    return p && truthiness(call.valueOf(p)) === true ? first : undefined;
  }
  if (q === 'yaml.load' || q === 'yaml.load_all') {
    const loader = call.arg(1, 'Loader');
    const v = loader ? call.valueOf(loader) : undefined;
    return v?.kind === 'ref' && SAFE_YAML.has(v.qname) ? undefined : first;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Where data came from, for the archive rules

/**
 * The download call (URL fetch or Hugging Face Hub file) whose data `expr` holds, when it happens
 * earlier in the same function, or undefined.
 */
export function downloadOf(expr: Node, scope: Scope): Node | undefined {
  const body = enclosingBody(expr);
  const calls = callsIn(body);
  for (const c of calls) {
    if (c.startIndex > expr.startIndex) break;
    const site = CallSite.resolve(c, scope);
    const q = site.qname;
    if (!q || (!DOWNLOADERS[q] && !HUB_FILE_DOWNLOADS.has(q))) continue;
    const spec = DOWNLOADERS[q];
    const handle: Handle = { call: c };
    const dest = spec?.dest ? site.arg(...spec.dest) : undefined;
    if (dest) handle.dest = { node: dest.value, scope: dest.scope };
    else if (spec?.returns === 'response') handle.dest = savedTo(calls, scope, handle);
    if (refersTo(expr, scope, handle)) return c;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

function basename(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const name = stripQuery(s).split('/').pop();
  return name && ANY_SUFFIX.test(name) ? name : undefined;
}

export default defineRule({
  meta: {
    id: 'TL305',
    name: 'download-without-integrity-check',
    title: 'Model or data file downloaded without a checksum',
    family: 'model-supply-chain',
    severity: 'medium',
    cwe: ['CWE-494', 'CWE-353', 'CWE-319'],
    // Checkpoints replaced in writable storage (the exposed SAS token), downloaded and loaded files
    // that run code, and training data fetched from locations whose content can change.
    threats: ['MLT-035', 'MLT-019', 'MLT-041', 'MLT-026'],
    techniques: ['AML.T0010.003', 'AML.T0010.002', 'AML.T0011.000'],
    docs: {
      finds:
        'Downloads of model and data files with no integrity check: `urllib.request.urlretrieve`, `wget.download`, ' +
        '`gdown.download`, `torch.hub.download_url_to_file` without `hash_prefix=`, `torch.hub.load_state_dict_from_url` ' +
        'without `check_hash=True`, `keras.utils.get_file` without `file_hash=`/`md5_hash=`, torchvision\'s `download_url` ' +
        'without `md5=`, and `requests.get`/`httpx.get` when the URL ends in a model or data suffix (`.pt`, `.pkl`, `.onnx`, ' +
        '`.zip`, `.parquet`, ...), the body is saved to such a file, or a URL with a fixed part (a constant host or path) ' +
        'feeds its body to an unpickling loader. A checksum computed in the ' +
        'same function (`hashlib`, a `verify_checksum` helper) silences it. Plain `http://` URLs and files that then reach ' +
        'an unpickling loader in the same function (`pickle.load`, `torch.load` without `weights_only=True`, `joblib.load`, ' +
        'Keras `load_model`, `numpy.load(allow_pickle=True)`, unsafe `yaml.load`) raise the severity to high.',
      why:
        'Whoever can change the file at its URL (a compromised bucket or release page, a storage token with write access, ' +
        'an expired domain, or anyone on the network path for plain HTTP) decides what your code trains on or loads. ' +
        'Pickle-based checkpoints then run that person\'s code. A pinned checksum turns a swapped file into a failed ' +
        'download.',
      example:
        'import pickle\nimport urllib.request\n\n' +
        'path, _ = urllib.request.urlretrieve("https://example.com/models/classifier.pkl", "classifier.pkl")\n' +
        'with open(path, "rb") as fh:\n    model = pickle.load(fh)\n',
      useInstead:
        'import torch\n\n# The download fails unless the file\'s SHA-256 starts with the pinned prefix.\n' +
        'torch.hub.download_url_to_file(\n    "https://example.com/models/classifier.onnx",\n    "classifier.onnx",\n    hash_prefix="3b8f2c1d",\n)\n',
      references: [
        { title: 'PyTorch: torch.hub.download_url_to_file (hash_prefix)', url: 'https://pytorch.org/docs/stable/hub.html#torch.hub.download_url_to_file' },
        { title: 'Keras: get_file (file_hash)', url: 'https://keras.io/api/utils/python_utils/#getfile-function' },
        HF_DOCS.cwe494,
        { title: 'CWE-319: Cleartext Transmission of Sensitive Information', url: 'https://cwe.mitre.org/data/definitions/319.html' },
        REF.unsafeArtifacts,
      ],
    },
  },
  triggers: ['urlretrieve', 'download_url', 'load_state_dict_from_url', 'get_file', 'requests', 'httpx', 'wget', 'gdown', 'download_and_extract_archive'],
  calls: Object.keys(DOWNLOADERS),
  check(call, ctx) {
    const spec = DOWNLOADERS[call.qname!];
    const fn = member(call.qname);
    // An integrity argument given (not None) settles it.
    for (const [index, name] of spec.hash ?? []) {
      const h = call.arg(index, name);
      if (h) {
        const v = call.valueOf(h);
        if (name === 'check_hash' ? truthiness(v) !== false : v.kind !== 'none') return;
      } else if (call.mayHide(index, name)) return;
    }
    const url = spec.url ? call.arg(...spec.url) : undefined;
    const dest = spec.dest ? call.arg(...spec.dest) : undefined;
    const handle: Handle = { call: call.node, dest: dest ? { node: dest.value, scope: dest.scope } : undefined };
    const body = enclosingBody(call.node);
    const calls = callsIn(body);
    if (spec.returns === 'response' && !handle.dest) handle.dest = savedTo(calls, call.scope, handle);

    // Is this a model or data file at all?
    const urlSuffix = url ? literalSuffix(url.value, url.scope) : undefined;
    const destSuffix = handle.dest ? literalSuffix(handle.dest.node, handle.dest.scope) : undefined;
    const kinds = [suffixKind(urlSuffix), suffixKind(destSuffix)];

    // Does it reach a loader that runs code?
    let loader: { name: string; node: Node } | undefined;
    if (spec.returns === 'loaded') {
      const w = call.arg(6, 'weights_only');
      if (!w || truthiness(call.valueOf(w)) !== true) loader = { name: `torch.hub.${fn}`, node: call.node };
    }
    for (const c of calls) {
      if (loader || c.endIndex < call.node.endIndex || c.id === call.node.id) continue;
      const site = CallSite.resolve(c, call.scope);
      const input = unsafeLoaderInput(site);
      if (input && refersTo(input, call.scope, handle)) loader = { name: site.callee.text.replace(/\s+/g, ''), node: c };
    }

    const isArtifact = kinds.includes('artifact') || spec.returns === 'loaded';
    if (spec.returns === 'response') {
      // A response is a model download when its URL or saved file says so, or when a fixed location
      // (a constant host or path) feeds a loader. A URL the caller passes in whole is a generic fetch:
      // the loader rules report the unpickling, the untrusted-input rules a user-chosen URL.
      const fixedLocation = !!url && (literalPrefix(url.value, url.scope) !== undefined || urlSuffix !== undefined);
      if (!isArtifact && !(loader && fixedLocation)) return;
    } else if (!isArtifact && !loader && kinds.includes('other')) return;
    if (verifiesIntegrity(calls, call.scope, handle)) return;

    const cleartext = url ? isCleartext(literalPrefix(url.value, url.scope)) : false;
    const severity: Severity = cleartext || loader ? 'high' : 'medium';
    const file = basename(destSuffix) ?? basename(urlSuffix);
    const what = !file ? 'the file' : file.startsWith('.') ? `a \`${file}\` file` : `\`${file}\``;
    const related: RelatedInfo[] = [];
    let message = `\`${call.callee.text.replace(/\s+/g, '')}\` downloads ${what} without checking its hash`;
    message += cleartext ? ', over cleartext HTTP that anyone on the network path can rewrite' : '';
    message += ': whoever can replace it at the source decides what this code uses.';
    if (loader && loader.node.id !== call.node.id) {
      const line = loader.node.startPosition.row + 1;
      message += ` It is then loaded with \`${loader.name}\` (line ${line}), which runs code from a tampered file.`;
      related.push({ range: rangeOf(loader.node), message: 'the downloaded file is unpickled here' });
    } else if (loader) {
      message += ' It is unpickled right away, so a tampered file runs code.';
    }
    message += ` To fix, ${spec.advice}${cleartext ? ' and use https' : ''}.`;
    ctx.report({ node: anchor(call), severity, message, related });
  },
});
