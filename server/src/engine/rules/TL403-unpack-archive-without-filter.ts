import { defineRule } from '../rule';
import { anchor, argNode, withTaint } from './helpers';
import { literalSuffix } from './TL305-download-without-integrity';
import { ARCHIVE_DOCS, ARCHIVE_LINKS, filterFixes, judgeFilter } from './TL401-tarfile-extract-without-filter';

const TAR_FORMATS = new Set(['tar', 'gztar', 'bztar', 'xztar', 'zstdtar']);
const TAR_SUFFIX = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz|tar\.zst|tzst)$/i;
const ANY_SUFFIX = /\.[A-Za-z0-9]{1,8}$/;

export default defineRule({
  meta: {
    id: 'TL403',
    name: 'unpack-archive-without-filter',
    title: 'shutil.unpack_archive of a tar archive without a safe filter',
    family: 'archive',
    severity: 'high',
    cwe: ['CWE-22', 'CWE-59'],
    ...ARCHIVE_LINKS,
    docs: {
      finds:
        '`shutil.unpack_archive` without `filter="data"` (or `"tar"`) when the archive may be a tar file: a tar format or ' +
        'suffix, or a name and format the code does not fix. Zip archives (`format="zip"` or a `.zip` name) are left ' +
        'alone: `zipfile` sanitises member names, and `unpack_archive` rejects `filter=` for them.',
      why:
        '`unpack_archive` extracts tar files with `tarfile`, which before Python 3.14 trusts every member\'s path and ' +
        'link target unless a filter is given. A crafted dataset or model tarball then writes outside the target ' +
        'folder through `../` names, absolute paths or symlinks (CVE-2007-4559).',
      example: 'import shutil\n\nshutil.unpack_archive("checkpoints.tar.gz", "models/")\n',
      useInstead: 'import shutil\n\nshutil.unpack_archive("checkpoints.tar.gz", "models/", filter="data")\n',
      references: [
        { title: 'Python docs: shutil.unpack_archive', url: 'https://docs.python.org/3/library/shutil.html#shutil.unpack_archive' },
        ARCHIVE_DOCS.tarfile,
        ARCHIVE_DOCS.cve,
        ARCHIVE_DOCS.cwe22,
      ],
    },
  },
  triggers: ['unpack_archive'],
  calls: ['shutil.unpack_archive'],
  check(call, ctx) {
    const file = call.arg(0, 'filename');
    if (!file) return;
    const format = call.arg(2, 'format');
    if (format) {
      const v = call.valueOf(format);
      if (v.kind === 'string' && !TAR_FORMATS.has(v.value)) return; // zip or a registered non-tar format
    } else {
      if (call.mayHide(2, 'format')) return;
      const suffix = literalSuffix(file.value, file.scope);
      if (suffix !== undefined && !TAR_SUFFIX.test(suffix) && ANY_SUFFIX.test(suffix)) return; // .zip and the like
    }
    const verdict = judgeFilter(call, ctx.text);
    if (verdict === 'safe' || verdict === 'unknown') return;
    ctx.report(
      withTaint(ctx, file, {
        node: anchor(call, verdict.arg ? argNode(verdict.arg) : undefined),
        message:
          `\`shutil.unpack_archive\` ${verdict.unsafe} extracts tar members wherever their names and links point: a ` +
          'crafted archive overwrites files outside the target folder. Pass `filter="data"` (Python 3.12+, and ' +
          '3.8.17/3.9.17/3.10.12/3.11.4 onwards; zip archives do not accept it).',
        fixes: filterFixes(call, verdict, ctx.text),
      }),
    );
  },
});
