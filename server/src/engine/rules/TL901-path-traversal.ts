import { CallSite, type Argument } from '../call';
import { replaceNode } from '../edits';
import type { Node } from '../parser';
import { calleeText, defineRule, type RuleContext } from '../rule';
import type { Scope } from '../scope';
import { TAINT_SOURCE_WORDS, type Taint } from '../taint';
import type { Fix } from '../types';
import { qualifiedName, withItemValue } from '../values';
import { anchor } from './helpers';
import { isCheckedBefore, methodCall, namesOf, reportTainted, untrusted, untrustedArg, type CheckMatcher } from './untrusted-input-helpers';

/** Functions taking a path, with the parameters (position, keyword) that are paths. */
type Params = readonly (readonly [number, string])[];
const SRC_DST: Params = [
  [0, 'src'],
  [1, 'dst'],
];
const SINKS: Record<string, Params> = {
  'builtins.open': [[0, 'file']],
  'io.open': [[0, 'file']],
  'codecs.open': [[0, 'filename']],
  'aiofiles.open': [[0, 'file']],
  'os.remove': [[0, 'path']],
  'os.unlink': [[0, 'path']],
  'os.rmdir': [[0, 'path']],
  'os.listdir': [[0, 'path']],
  'os.rename': SRC_DST,
  'os.replace': SRC_DST,
  'shutil.copy': SRC_DST,
  'shutil.copy2': SRC_DST,
  'shutil.copyfile': SRC_DST,
  'shutil.copytree': SRC_DST,
  'shutil.move': SRC_DST,
  'shutil.rmtree': [[0, 'path']],
  'flask.send_file': [[0, 'path_or_file']],
  'fastapi.responses.FileResponse': [[0, 'path']],
  'starlette.responses.FileResponse': [[0, 'path']],
  'numpy.load': [[0, 'file']],
  'numpy.loadtxt': [[0, 'fname']],
  'numpy.save': [[0, 'file']],
  'pandas.read_csv': [[0, 'filepath_or_buffer']],
  'pandas.read_table': [[0, 'filepath_or_buffer']],
  'pandas.read_json': [[0, 'path_or_buf']],
  'pandas.read_parquet': [[0, 'path']],
  'pandas.read_feather': [[0, 'path']],
  'pandas.read_excel': [[0, 'io']],
  'torch.save': [[1, 'f']],
};

/** `pathlib.Path` methods that read, write or delete the file. */
const PATH_METHODS = new Set(['read_text', 'read_bytes', 'write_text', 'write_bytes', 'open', 'unlink', 'rmdir', 'rename', 'replace', 'touch']);
const PATH_CLASSES = new Set(['pathlib.Path', 'pathlib.PurePath', 'pathlib.PosixPath', 'pathlib.WindowsPath']);
/** Methods of a Path that return a Path. */
const PATH_RETURNING = new Set(['resolve', 'absolute', 'joinpath', 'with_name', 'with_suffix', 'with_stem', 'expanduser']);

/** Calls and attributes that hold file objects or bytes, not paths. */
const FILE_CALLS = new Set([
  'io.BytesIO',
  'io.StringIO',
  'builtins.open',
  'flask.request.files.get',
  'flask.request.files.getlist',
  'flask.request.files',
  'flask.request.stream',
  'streamlit.file_uploader',
  'streamlit.sidebar.file_uploader',
]);
const FILE_METHODS = new Set(['read', 'getvalue', 'getbuffer', 'getlist', 'readlines']);
const FILE_ATTRIBUTES = new Set(['file', 'stream', 'raw', 'buffer']);

/**
 * True when the expression is a file object or bytes rather than a path: `io.BytesIO(...)`, an
 * upload's `.file`/`.stream`, `request.files["x"]`, a streamlit upload, `await file.read()`.
 * Loaders such as `pd.read_csv` accept both, and reading an upload's content is not a traversal.
 */
function isFileLike(node: Node, scope: Scope, depth = 0): boolean {
  if (depth > 8) return false;
  switch (node.type) {
    case 'parenthesized_expression':
    case 'await': {
      const inner = node.namedChild(0);
      return !!inner && isFileLike(inner, scope, depth + 1);
    }
    case 'identifier': {
      const binding = scope.lookup(node.text, node.startIndex);
      if (binding?.kind === 'assign') return isFileLike(binding.value, binding.scope, depth + 1);
      if (binding?.kind !== 'opaque' || !binding.node) return false;
      const value = withItemValue(binding.node);
      if (value) return isFileLike(value, scope, depth + 1);
      const loop = binding.node.parent;
      if (loop?.type === 'for_statement' && loop.childForFieldName('left')?.equals(binding.node)) {
        const right = loop.childForFieldName('right');
        return !!right && isFileLike(right, scope, depth + 1);
      }
      // A parameter typed as an upload or as bytes.
      const annotation = binding.node.childForFieldName('type')?.text ?? '';
      return /\b(UploadFile|bytes|BinaryIO|IO)\b/.test(annotation);
    }
    case 'attribute': {
      const q = qualifiedName(node, scope);
      if (q) return FILE_CALLS.has(q);
      return FILE_ATTRIBUTES.has(node.childForFieldName('attribute')?.text ?? '');
    }
    case 'subscript': {
      const value = node.childForFieldName('value');
      return !!value && isFileLike(value, scope, depth + 1);
    }
    case 'call': {
      const fn = node.childForFieldName('function');
      const q = fn ? qualifiedName(fn, scope) : undefined;
      if (q) return FILE_CALLS.has(q);
      const m = methodCall(node);
      return !!m && FILE_METHODS.has(m[1]);
    }
    default:
      return false;
  }
}

/**
 * A gradio file component's value used as it is (`file` or `file.name`): gradio hands the function
 * the path of its own temporary copy, which the client does not choose.
 */
function isGradioTempPath(node: Node, scope: Scope, taint: Taint): boolean {
  if (taint.kind !== 'upload' || !taint.label.includes('gradio')) return false;
  let n = node;
  if (n.type === 'attribute' && n.childForFieldName('attribute')?.text === 'name') n = n.childForFieldName('object') ?? n;
  let s = scope;
  for (let i = 0; i < 6 && n.type === 'identifier'; i++) {
    const binding = s.lookup(n.text, n.startIndex);
    if (binding?.kind === 'opaque') return binding.node?.equals(taint.source) ?? false;
    if (binding?.kind !== 'assign') return false;
    n = binding.value;
    s = binding.scope;
  }
  return false;
}

/** True when the expression is a `pathlib.Path` (built in place, through `/`, or bound to a name). */
function isPathObject(node: Node, scope: Scope, depth = 0): boolean {
  if (depth > 8) return false;
  switch (node.type) {
    case 'parenthesized_expression': {
      const inner = node.namedChild(0);
      return !!inner && isPathObject(inner, scope, depth + 1);
    }
    case 'identifier': {
      const binding = scope.lookup(node.text, node.startIndex);
      return binding?.kind === 'assign' && isPathObject(binding.value, binding.scope, depth + 1);
    }
    case 'binary_operator': {
      const left = node.childForFieldName('left');
      return node.childForFieldName('operator')?.type === '/' && !!left && isPathObject(left, scope, depth + 1);
    }
    case 'call': {
      const fn = node.childForFieldName('function');
      const q = fn ? qualifiedName(fn, scope) : undefined;
      if (q) return PATH_CLASSES.has(q);
      const m = methodCall(node);
      return !!m && PATH_RETURNING.has(m[1]) && isPathObject(m[0], scope, depth + 1);
    }
    default:
      return false;
  }
}

/** `path.startswith(BASE)`, `p.is_relative_to(BASE)`, `os.path.commonpath([BASE, path]) == BASE`. */
const containment: CheckMatcher = (node, _negated, mentions) => {
  if (node.type === 'call') {
    const m = methodCall(node);
    if (m && (m[1] === 'startswith' || m[1] === 'is_relative_to')) return mentions(m[0]);
    return false;
  }
  if (node.type === 'comparison_operator') {
    return node.namedChildren.some((side) => {
      if (side?.type !== 'call') return false;
      const fn = side.childForFieldName('function')?.text ?? '';
      const args = side.childForFieldName('arguments');
      return /(^|\.)(commonpath|commonprefix)$/.test(fn) && !!args && mentions(args);
    });
  }
  return false;
};

/**
 * Unsafe fix for `os.path.join(BASE, <tainted>)`, the last part being the only untrusted one: keep
 * its base name. Subfolders in the name are dropped, so the behaviour changes for them.
 */
function basenameFix(ctx: RuleContext, value: Node, scope: Scope): Fix[] {
  let join = value;
  let s = scope;
  if (join.type === 'identifier') {
    const binding = s.lookup(join.text, join.startIndex);
    if (binding?.kind !== 'assign' || binding.scope !== scope) return [];
    join = binding.value;
    s = binding.scope;
  }
  if (join.type !== 'call') return [];
  const fn = join.childForFieldName('function');
  if (!fn || fn.text !== 'os.path.join' || qualifiedName(fn, s) !== 'os.path.join') return [];
  const parts = join.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => a !== null && a.type !== 'comment') ?? [];
  if (parts.length < 2 || parts.some((p) => p.type === 'keyword_argument' || p.type === 'list_splat')) return [];
  const last = parts[parts.length - 1];
  if (parts.slice(0, -1).some((p) => untrusted(ctx, p, s))) return [];
  return [{ title: 'Keep only the base name with os.path.basename', safety: 'unsafe', edits: [replaceNode(last, `os.path.basename(${last.text})`)] }];
}

const ADVICE =
  '`../` or an absolute name reaches any file the process can open. Keep only the base name (`os.path.basename`, ' +
  '`werkzeug.utils.secure_filename`), or resolve the path and check that it stays under the base folder.';

/** Reports `arg` when it is an untrusted path; true when it did. */
function checkPath(ctx: RuleContext, call: CallSite, arg: Argument, others: readonly Argument[] = []): boolean {
  const taint = untrustedArg(ctx, arg);
  if (!taint) return false;
  if (isFileLike(arg.value, arg.scope) || isGradioTempPath(arg.value, arg.scope, taint)) return false;
  if (isCheckedBefore(arg.value, arg.scope, namesOf(arg.value, arg.scope), containment)) return false;
  reportTainted(ctx, {
    node: anchor(call, arg.value),
    taint,
    lead: `\`${calleeText(call)}\` receives a path built from`,
    advice: ADVICE,
    // A fix that cleans this path only helps when the call has no other untrusted path.
    fixes: arg.fromSplat || others.some((o) => untrustedArg(ctx, o)) ? [] : basenameFix(ctx, arg.value, arg.scope),
  });
  return true;
}

export default defineRule({
  meta: {
    id: 'TL901',
    name: 'path-traversal',
    title: 'File path built from untrusted input',
    family: 'untrusted-input',
    severity: 'high',
    cwe: ['CWE-22', 'CWE-73'],
    // Reading weights, datasets and credentials off the serving host, or overwriting them.
    threats: ['MLT-024', 'MLT-011'],
    techniques: ['AML.T0049', 'AML.T0035', 'AML.T0037'],
    docs: {
      finds:
        'Request parameters, upload names, UI inputs and console input reaching a file path: `open`, `os.remove`, ' +
        '`shutil` copies and moves, `send_file`, `FileResponse`, `np.load`, `pd.read_csv` and other loaders, ' +
        '`pathlib.Path` reads and writes, and `FileStorage.save`. Passing an upload\'s content (a file object or ' +
        'bytes) is not reported, nor is a name cleaned with `os.path.basename`/`secure_filename` or a path checked ' +
        'with `startswith`/`is_relative_to` before the use. `send_from_directory` does its own check and is not a sink.',
      why:
        'An inference or labelling service that opens `os.path.join(DATA_DIR, name)` with a client-supplied name ' +
        'opens `../../.cache/huggingface/token`, the model weights or `/etc/passwd` just as well, and an upload saved ' +
        'under its own file name can overwrite code or checkpoints the service loads later.',
      example:
        'import os\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n\n@app.get("/samples")\ndef sample():\n' +
        '    name = request.args["name"]\n    with open(os.path.join("data", name)) as f:\n        return f.read()\n',
      useInstead:
        'import os\nfrom flask import Flask, request, send_from_directory\n\napp = Flask(__name__)\n\n\n@app.get("/samples")\ndef sample():\n' +
        '    return send_from_directory("data", request.args["name"])\n',
      references: [
        { title: 'CWE-22: Path Traversal', url: 'https://cwe.mitre.org/data/definitions/22.html' },
        { title: 'OWASP: Path Traversal', url: 'https://owasp.org/www-community/attacks/Path_Traversal' },
        { title: 'Werkzeug: secure_filename', url: 'https://werkzeug.palletsprojects.com/en/stable/utils/#werkzeug.utils.secure_filename' },
        { title: 'Flask: send_from_directory', url: 'https://flask.palletsprojects.com/en/stable/api/#flask.send_from_directory' },
      ],
    },
  },
  requires: TAINT_SOURCE_WORDS,
  needsTaint: 'any',
  triggers: ['open', 'os', 'shutil', 'send_file', 'FileResponse', 'numpy', 'pandas', 'torch', 'pathlib', 'save'],
  calls: Object.keys(SINKS),
  check(call, ctx) {
    // One finding per call: `shutil.copy(src, dst)` with both untrusted names the source.
    const args = (SINKS[call.qname!] ?? []).map(([index, keyword]) => call.arg(index, keyword)).filter((a): a is Argument => a !== undefined);
    for (const arg of args) {
      if (checkPath(ctx, call, arg, args.filter((o) => o !== arg))) return;
    }
  },
  nodes: ['call'],
  checkNode(node, ctx) {
    const m = methodCall(node, (name) => PATH_METHODS.has(name) || name === 'save');
    if (!m) return;
    const [object, method] = m;
    const scope = ctx.scopeOf(node);
    const call = CallSite.resolve(node, scope);
    if (call.qname && SINKS[call.qname]) return; // handled by `check`
    if (method === 'save') {
      // werkzeug's `FileStorage.save(dst)`: an upload written under a path the client shapes.
      const owner = untrusted(ctx, object, scope);
      if (owner?.kind !== 'upload' || !isFileLike(object, scope)) return;
      const dst = call.arg(0, 'dst');
      if (dst) checkPath(ctx, call, dst);
      return;
    }
    if (!isPathObject(object, scope)) return;
    const taint = untrusted(ctx, object, scope);
    if (!taint || isCheckedBefore(object, scope, namesOf(object, scope), containment)) return;
    reportTainted(ctx, {
      node: anchor(call, object),
      taint,
      lead: `\`${calleeText(call)}\` acts on a path built from`,
      advice: ADVICE,
    });
  },
});
