/**
 * Finds the Python files a scan covers.
 *
 * - A file named on the command line is always scanned, whatever its name (as a dependency manifest
 *   when its name is one, as Python otherwise).
 * - A folder is walked: `*.py` files, Jupyter notebooks (`*.ipynb`) and dependency manifests
 *   (requirements files, pyproject.toml, setup.cfg, Pipfile, conda environments) are collected, except what is excluded by
 *   - the default excludes (virtual environments, caches, VCS folders: DEFAULT_EXCLUDED_DIRS),
 *   - `.gitignore` and `.threatlensignore` files in the folder, below it, and in the folders between
 *     it and the enclosing git work tree (plus that tree's `.git/info/exclude`), with git's rules:
 *     deeper files override shallower ones and nothing below an ignored folder comes back,
 *   - `--exclude` globs.
 * - Symbolic links are followed only when their target lies inside the folder being walked; a link
 *   pointing elsewhere is skipped with a notice. Every file is scanned once, even when reachable
 *   through several paths.
 *
 * Paths are reported relative to the current directory with forward slashes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { UsageError } from './args';
import { manifestKindOf } from '../engine/deps/parse';

/** Files a folder scan picks up: Python sources, Jupyter notebooks and dependency manifests. */
export function isSourceName(name: string): boolean {
  return name.endsWith('.py') || name.endsWith('.ipynb') || manifestKindOf(name) !== undefined;
}

/** Folder names that are never walked into (they hold installed or generated code, not the project's). */
export const DEFAULT_EXCLUDED_DIRS: readonly string[] = [
  '.git',
  '.venv',
  'venv',
  'site-packages',
  'node_modules',
  '__pycache__',
  '.tox',
  '.mypy_cache',
  '.ipynb_checkpoints',
];

const IGNORE_FILES = ['.gitignore', '.threatlensignore'];

export interface SourceFile {
  /** Absolute path used to read the file. */
  readonly abs: string;
  /** Path relative to the current directory, with forward slashes (what reports show). */
  readonly display: string;
}

/** Something about one path the user should hear of: `error` when it could not be scanned, `skipped` by policy. */
export interface PathNotice {
  readonly file: string;
  readonly kind: 'error' | 'skipped';
  readonly message: string;
}

export interface WalkOptions {
  /** Folder that reported paths and `--exclude` globs are relative to. */
  readonly cwd: string;
  /** `--exclude` globs. */
  readonly exclude?: readonly string[];
}

export interface WalkResult {
  readonly files: SourceFile[];
  readonly notices: PathNotice[];
}

/** `p` relative to `cwd`, `/`-separated; `.` for `cwd` itself. */
export function displayPath(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}

// picomatch ships no type declarations; this is the part of its API used here.
type Matcher = (input: string) => boolean;
type Picomatch = (pattern: string, options?: { dot?: boolean; nocase?: boolean }) => Matcher;
const picomatch = require('picomatch') as Picomatch;

const CASE_INSENSITIVE_FS = process.platform === 'win32' || process.platform === 'darwin';

interface GlobExclude {
  /** Tests a `/`-separated path relative to the current directory. */
  readonly test: (display: string, name: string, isDir: boolean) => boolean;
}

/**
 * `--exclude` semantics: a glob without `/` matches a file or folder name at any depth
 * (`test_*.py`, `fixtures`); a glob with `/` matches the path relative to the current directory
 * (`src/generated/**`, `./legacy/*.py`). A trailing `/` restricts it to folders.
 */
function compileExclude(pattern: string): GlobExclude {
  let p = pattern.trim().replace(/\\/g, '/');
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.replace(/\/+$/, '');
  while (p.startsWith('./')) p = p.slice(2);
  if (p === '') throw new UsageError(`--exclude pattern '${pattern}' is empty`);
  const matcher = picomatch(p, { dot: true, nocase: CASE_INSENSITIVE_FS });
  const byName = !p.includes('/');
  return {
    test: (display, name, isDir) => (!dirOnly || isDir) && matcher(byName ? name : display),
  };
}

/** The ignore rules of one folder (`.gitignore` + `.threatlensignore`, or `.git/info/exclude`). */
interface IgnoreLayer {
  readonly dir: string;
  readonly rules: Ignore;
}

function readIgnoreLayer(dir: string, files: readonly string[]): IgnoreLayer | undefined {
  let rules: Ignore | undefined;
  for (const name of files) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, name), 'utf8');
    } catch {
      continue; // absent or unreadable: no rules from it
    }
    rules ??= ignore({ ignorecase: CASE_INSENSITIVE_FS });
    rules.add(text);
  }
  return rules ? { dir, rules } : undefined;
}

/** Git's verdict for `abs` over the layers (outermost first): the deepest layer with an opinion wins. */
function ignoredBy(layers: readonly IgnoreLayer[], abs: string, isDir: boolean): boolean {
  let ignored = false;
  for (const layer of layers) {
    const rel = path.relative(layer.dir, abs);
    if (rel === '' || !isInside(abs, layer.dir)) continue;
    const result = layer.rules.test(rel.split(path.sep).join('/') + (isDir ? '/' : ''));
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

/**
 * Ignore layers that apply to `root` from above: the enclosing git work tree's `.git/info/exclude`
 * and the ignore files of every folder from the work tree's top down to `root`'s parent.
 */
function ancestorLayers(root: string): IgnoreLayer[] {
  if (fs.existsSync(path.join(root, '.git'))) return []; // root is itself the top of a work tree
  const chain: string[] = [];
  let top: string | undefined;
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    chain.push(dir);
    if (fs.existsSync(path.join(dir, '.git'))) {
      top = dir;
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  if (!top) return [];
  const layers: IgnoreLayer[] = [];
  const info = readIgnoreLayer(top, [path.join('.git', 'info', 'exclude')]);
  if (info) layers.push(info);
  for (const dir of chain.reverse()) {
    const layer = readIgnoreLayer(dir, IGNORE_FILES);
    if (layer) layers.push(layer);
  }
  return layers;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel));
}

/** A short, path-free description of a file-system error (`permission denied`). */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such file';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    default:
      return code ?? (err instanceof Error ? err.message : String(err));
  }
}

/** Collects the files to scan under `paths` (files and folders; relative to `options.cwd`). */
export function collectFiles(paths: readonly string[], options: WalkOptions): WalkResult {
  const cwd = options.cwd;
  const excludes = (options.exclude ?? []).map(compileExclude);
  const files: SourceFile[] = [];
  const notices: PathNotice[] = [];
  const seenFiles = new Set<string>();

  const addFile = (abs: string, real: string): void => {
    const key = CASE_INSENSITIVE_FS ? real.toLowerCase() : real;
    if (seenFiles.has(key)) return;
    seenFiles.add(key);
    files.push({ abs, display: displayPath(abs, cwd) });
  };

  // Check every argument before walking anything, so a typo fails fast.
  const roots = paths.map((arg) => {
    const abs = path.resolve(cwd, arg);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(
        code === 'ENOENT' || code === 'ENOTDIR' ? `no such file or directory: ${arg}` : `cannot access ${arg}: ${describeFsError(err)}`,
      );
    }
    return { arg, abs, stat };
  });

  for (const { abs, stat } of roots) {
    const real = fs.realpathSync(abs);
    if (!stat.isDirectory()) {
      addFile(abs, real);
      continue;
    }
    const visitedDirs = new Set<string>([real]);
    const walk = (dirAbs: string, dirReal: string, layers: readonly IgnoreLayer[]): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dirAbs, { withFileTypes: true });
      } catch (err) {
        notices.push({ file: displayPath(dirAbs, cwd), kind: 'error', message: `cannot read folder: ${describeFsError(err)}` });
        return;
      }
      const present = IGNORE_FILES.filter((f) => entries.some((e) => e.name === f));
      const own = present.length ? readIgnoreLayer(dirAbs, present) : undefined;
      const active = own ? [...layers, own] : layers;
      const skip = (entryAbs: string, name: string, isDir: boolean): boolean =>
        ignoredBy(active, entryAbs, isDir) || excludes.some((x) => x.test(displayPath(entryAbs, cwd), name, isDir));
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const name = entry.name;
        const entryAbs = path.join(dirAbs, name);
        let isDir = entry.isDirectory();
        let isFile = entry.isFile();
        let entryReal = path.join(dirReal, name);
        if (entry.isSymbolicLink()) {
          let target: fs.Stats;
          try {
            entryReal = fs.realpathSync(entryAbs);
            target = fs.statSync(entryReal);
          } catch (err) {
            if (isSourceName(name) && !skip(entryAbs, name, false)) {
              notices.push({ file: displayPath(entryAbs, cwd), kind: 'error', message: `cannot read file: broken symbolic link (${describeFsError(err)})` });
            }
            continue;
          }
          isDir = target.isDirectory();
          isFile = target.isFile();
          if (!isDir && !(isFile && isSourceName(name))) continue;
          if (isDir && DEFAULT_EXCLUDED_DIRS.includes(name)) continue;
          if (!isInside(entryReal, real)) {
            if (!skip(entryAbs, name, isDir)) {
              notices.push({ file: displayPath(entryAbs, cwd), kind: 'skipped', message: 'symbolic link to a path outside the scanned folder, not followed' });
            }
            continue;
          }
        }
        if (isDir) {
          if (DEFAULT_EXCLUDED_DIRS.includes(name)) continue;
        } else if (!isFile || !isSourceName(name)) {
          continue;
        }
        if (skip(entryAbs, name, isDir)) continue;
        if (isDir) {
          if (visitedDirs.has(entryReal)) continue;
          visitedDirs.add(entryReal);
          walk(entryAbs, entryReal, active);
        } else {
          addFile(entryAbs, entryReal);
        }
      }
    };
    let layers = ancestorLayers(abs);
    if (layers.length > 0 && ignoredBy(layers, abs, true)) {
      // Named on the command line: scan it, as git-ignored files named explicitly are scanned.
      notices.push({
        file: displayPath(abs, cwd),
        kind: 'skipped',
        message: 'a .gitignore above this folder ignores it; scanning it because it was named, without the ignore files above it',
      });
      layers = [];
    }
    walk(abs, real, layers);
  }
  return { files, notices };
}
