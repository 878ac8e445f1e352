import type { Argument } from '../call';
import { defineRule, rangeOf } from '../rule';
import type { RelatedInfo, Severity } from '../types';
import { valueOf } from '../values';
import { anchor } from './helpers';
import { ARCHIVE_DOCS, originOf, type Origin } from './TL401-tarfile-extract-without-filter';
import { downloadOf, enclosingBody } from './TL305-download-without-integrity';

const ZIP_ORIGINS = new Set(['zipfile.ZipFile', 'zipfile.PyZipFile']);

/** Size checks before extracting (`sum(i.file_size for i in zf.infolist())`): the zip bomb was considered. */
const SIZE_CHECK = /\b(file_size|compress_size)\b/;

const TAINT_WORDS: Record<string, string> = {
  request: 'request data',
  upload: 'an uploaded file',
  'user-input': 'user input',
  'ui-input': 'user input',
  'llm-output': 'LLM output',
};

function archiveArgument(origin: Origin): Argument | undefined {
  const args = origin.call?.childForFieldName('arguments');
  for (const a of args?.namedChildren ?? []) {
    if (!a || a.type === 'comment') continue;
    if (a.type === 'keyword_argument') {
      const value = a.childForFieldName('value');
      if (value && a.childForFieldName('name')?.text === 'file') return { value, scope: origin.scope, fromSplat: false };
      continue;
    }
    return { value: a, scope: origin.scope, fromSplat: false };
  }
  return undefined;
}

export default defineRule({
  meta: {
    id: 'TL402',
    name: 'zipfile-extractall-unchecked',
    title: 'zipfile extractall on an archive of unknown origin',
    family: 'archive',
    severity: 'low',
    cwe: ['CWE-409'],
    // Uploaded or downloaded archives: data from a compromised location, and decompression bombs
    // that take a serving or training host down.
    threats: ['MLT-019', 'MLT-035'],
    techniques: ['AML.T0010.002', 'AML.T0029', 'AML.T0011.000'],
    peers: { bandit: ['B203'] },
    docs: {
      finds:
        '`extractall()` on a `zipfile.ZipFile` whose archive is not a constant path of the project, with no check of ' +
        'member sizes in the same function. Medium severity when the archive comes from a request or upload, or was ' +
        'downloaded earlier in the same function (`requests`, `urlretrieve`, `hf_hub_download`, ...); low otherwise. ' +
        'Archives opened from a constant path are left alone.',
      why:
        'CPython\'s `zipfile` already strips absolute paths and `..` from member names and does not create symlinks, so ' +
        'the classic "zip slip" is not the risk here. What remains: nothing limits the size or number of members, so a ' +
        'few kilobytes of crafted zip expand to gigabytes and fill the disk of a training or serving host, and members ' +
        'silently overwrite files of the same name in the target folder (an existing config, a cached model).',
      example:
        'import zipfile\n\nimport requests\n\n' +
        'def fetch_dataset(url, dest):\n' +
        '    resp = requests.get(url, timeout=60)\n' +
        '    with open("dataset.zip", "wb") as fh:\n' +
        '        fh.write(resp.content)\n' +
        '    with zipfile.ZipFile("dataset.zip") as zf:\n' +
        '        zf.extractall(dest)\n',
      useInstead:
        'import zipfile\n\nMAX_BYTES = 2 * 1024**3\n\n' +
        'def unpack(archive, dest):\n' +
        '    with zipfile.ZipFile(archive) as zf:\n' +
        '        if sum(info.file_size for info in zf.infolist()) > MAX_BYTES:\n' +
        '            raise ValueError("archive expands beyond the size limit")\n' +
        '        zf.extractall(dest)\n',
      references: [
        { title: 'Python docs: zipfile.ZipFile.extractall', url: 'https://docs.python.org/3/library/zipfile.html#zipfile.ZipFile.extractall' },
        { title: 'Python docs: zipfile decompression pitfalls', url: 'https://docs.python.org/3/library/zipfile.html#decompression-pitfalls' },
        { title: 'CWE-409: Improper Handling of Highly Compressed Data', url: 'https://cwe.mitre.org/data/definitions/409.html' },
        ARCHIVE_DOCS.cwe22,
      ],
    },
  },
  triggers: ['zipfile'],
  anyCall: true,
  check(call, ctx) {
    if (call.callee.type !== 'attribute' || call.callee.childForFieldName('attribute')?.text !== 'extractall') return;
    const object = call.callee.childForFieldName('object');
    const origin = object ? originOf(object, call.scope) : undefined;
    if (!origin || !ZIP_ORIGINS.has(origin.qname)) return;
    if (SIZE_CHECK.test(enclosingBody(call.node).text)) return;
    const archive = archiveArgument(origin);
    let severity: Severity = 'low';
    let why = 'an archive of unknown origin';
    const related: RelatedInfo[] = [];
    const taint = archive ? ctx.taint(archive.value, archive.scope) : undefined;
    const download = archive && !taint ? downloadOf(archive.value, archive.scope) : undefined;
    if (taint) {
      severity = 'medium';
      why = `${TAINT_WORDS[taint.kind] ?? 'untrusted data'} from ${taint.label} (line ${taint.source.startPosition.row + 1})`;
      related.push({ range: rangeOf(taint.source), message: 'the archive comes from here' });
    } else if (download) {
      severity = 'medium';
      why = `an archive downloaded on line ${download.startPosition.row + 1}`;
      related.push({ range: rangeOf(download), message: 'the archive is downloaded here' });
    } else if (archive && valueOf(archive.value, archive.scope).kind === 'string') {
      return; // a file of the project itself
    } else if (!archive && origin.call) {
      return;
    }
    ctx.report({
      node: anchor(call),
      severity,
      message:
        `\`extractall\` unpacks ${why} with no limit on size or member count: a small crafted zip expands until the disk ` +
        'is full, and members overwrite same-named files in the target folder. Check `sum(i.file_size for i in ' +
        'zf.infolist())` and the member names first, and extract into a fresh folder.',
      related,
    });
  },
});
