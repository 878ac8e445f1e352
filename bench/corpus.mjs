// The corpora of `npm run bench`: real Python found on any Debian machine with the packages
// installed, listed once so that every tool scans exactly the same files.
//
//   torch    /usr/lib/python3/dist-packages/torch     (python3-torch)
//   sklearn  /usr/lib/python3/dist-packages/sklearn   (python3-sklearn)
//   stdlib   python3's standard library (sysconfig "stdlib"), without its test/ and
//            site-packages/ folders
//
// Every *.py file under the root (not in __pycache__), sorted. The list is written to
// bench-results/.build/<name>.files (paths relative to the root) for the tools that read a list.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BUILD_DIR, DIST_PACKAGES } from './setup.mjs';

function stdlibRoot() {
  const r = spawnSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The corpus definitions (root may be missing). `quick` keeps sklearn only. */
export function corpusDefinitions(quick) {
  const all = [
    { name: 'torch', root: join(DIST_PACKAGES, 'torch'), exclude: [], source: 'Debian python3-torch' },
    { name: 'sklearn', root: join(DIST_PACKAGES, 'sklearn'), exclude: [], source: 'Debian python3-sklearn' },
    { name: 'stdlib', root: stdlibRoot(), exclude: ['test', 'site-packages'], source: 'python3 standard library (without test/, site-packages/)' },
  ];
  return quick ? all.filter((c) => c.name === 'sklearn') : all;
}

function walk(root, dir, exclude, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === '__pycache__') continue;
      if (dir === root && exclude.includes(entry.name)) continue;
      walk(root, p, exclude, out);
    } else if (entry.isFile() && entry.name.endsWith('.py')) {
      out.push(relative(root, p));
    }
  }
}

function countLines(buf) {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return buf.length > 0 && buf[buf.length - 1] !== 10 ? n + 1 : n;
}

/** Lists a corpus: { ...definition, files: string[], lines, bytes, listFile } or undefined when absent. */
export function loadCorpus(def) {
  if (!def.root || !existsSync(def.root)) return undefined;
  const files = [];
  walk(def.root, def.root, def.exclude, files);
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let lines = 0;
  let bytes = 0;
  for (const f of files) {
    const buf = readFileSync(join(def.root, f));
    lines += countLines(buf);
    bytes += buf.length;
  }
  const listFile = join(BUILD_DIR, `${def.name}.files`);
  writeFileSync(listFile, `${files.join('\n')}\n`);
  return { ...def, files, lines, bytes, listFile };
}
