/** The entry point of the manifest parsers: which format a file is, and parsing it. */
import type { Tree } from '../parser';
import { parseCondaEnv } from './conda';
import { span } from './pep508';
import { pipCommandsInPython } from './pipcommands';
import { parsePipfile } from './pipfile';
import { parsePyproject } from './pyproject';
import { parseRequirementsFile } from './requirements';
import { parseSetupCfg } from './setupcfg';
import { parseSetupPy } from './setuppy';
import type { Manifest, ManifestKind } from './types';

/** The manifest kind of a file from its base name (any folder part is ignored), or undefined. */
export function manifestKindOf(fileName: string): ManifestKind | undefined {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  const lower = base.toLowerCase();
  if (/^(?:.*[._-])?requirements(?:[._-].*)?\.(?:txt|in)$/.test(lower)) return 'requirements';
  if (/^(?:.*[._-])?constraints(?:[._-].*)?\.txt$/.test(lower)) return 'constraints';
  if (lower === 'pyproject.toml') return 'pyproject';
  if (lower === 'setup.cfg') return 'setup-cfg';
  if (lower === 'setup.py') return 'setup-py';
  if (base === 'Pipfile') return 'pipfile';
  if (/^environment(?:[._-][^/\\]*)?\.ya?ml$/.test(lower)) return 'conda';
  return undefined;
}

function empty(kind: ManifestKind, message?: string): Manifest {
  return { kind, requirements: [], indexes: [], includes: [], abstract: false, problems: message ? [{ span: span(0, 0), message }] : [] };
}

/**
 * Parses a manifest of `kind`. `parsePython` (a tree-sitter parse of Python text) is needed for
 * 'setup-py' and 'python'; without it those give an empty manifest with a problem. `fileName`, when
 * given, marks a pip-tools `*.in` requirements file as abstract. Never throws.
 */
export function parseManifest(kind: ManifestKind, text: string, parsePython?: (text: string) => Tree, fileName?: string): Manifest {
  const manifest = parseByKind(kind, text, parsePython);
  if (kind === 'requirements' && fileName && /\.in$/i.test(fileName)) manifest.abstract = true;
  return manifest;
}

function parseByKind(kind: ManifestKind, text: string, parsePython?: (text: string) => Tree): Manifest {
  try {
    switch (kind) {
      case 'requirements':
      case 'constraints':
        return parseRequirementsFile(text, kind);
      case 'pyproject':
        return parsePyproject(text);
      case 'setup-cfg':
        return parseSetupCfg(text);
      case 'pipfile':
        return parsePipfile(text);
      case 'conda':
        return parseCondaEnv(text);
      case 'setup-py':
      case 'python': {
        if (!parsePython) return empty(kind, 'No Python parser was given.');
        const tree = parsePython(text);
        try {
          return kind === 'setup-py' ? parseSetupPy(text, tree) : pipCommandsInPython(text, tree);
        } finally {
          tree.delete();
        }
      }
      case 'notebook':
        return empty(kind, 'Notebook cells are read one by one (pipCommandsInCell).');
    }
  } catch (e) {
    return empty(kind, `Could not read the file: ${(e as Error).message}`);
  }
  return empty(kind);
}

/** `manifestKindOf` and `parseManifest` together; undefined when the file is not a manifest. */
export function parseManifestFile(fileName: string, text: string, parsePython?: (text: string) => Tree): Manifest | undefined {
  const kind = manifestKindOf(fileName);
  return kind ? parseManifest(kind, text, parsePython, fileName) : undefined;
}
