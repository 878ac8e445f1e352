/**
 * The dependency model shared by the manifest parsers, the advisory database and the dependency
 * rules. Every parser turns one file (or the pip commands of a notebook or script) into a
 * `Manifest`: the requirements it declares, the package indexes it uses, and the problems met on the
 * way. Positions are UTF-16 offsets into the text that was parsed (`Span`); the analyser turns them
 * into line/column ranges.
 *
 * Plain TypeScript: no editor or LSP import.
 */

/** A half-open range of UTF-16 offsets `[start, end)` into the parsed text. */
export interface Span {
  start: number;
  end: number;
}

export type ManifestKind =
  | 'requirements' // requirements*.txt, requirements*.in, *.pip
  | 'constraints' // constraints*.txt
  | 'pyproject' // pyproject.toml (PEP 621, PEP 735, Poetry, uv, PDM)
  | 'setup-cfg' // setup.cfg [options] install_requires / extras_require
  | 'setup-py' // literal install_requires / extras_require in setup.py
  | 'pipfile' // Pipfile
  | 'conda' // environment.yml / environment.yaml (and its pip: section)
  | 'notebook' // !pip / %pip install lines in notebook cells
  | 'python'; // pip install commands written in a .py file

/** One version clause of a PEP 440 specifier set: `>=`, `<=`, `<`, `>`, `==`, `!=`, `~=`, `===`. */
export interface VersionClause {
  op: string;
  version: string;
  /** The clause in the text (`>=2.1`). */
  span: Span;
}

export interface Requirement {
  /** The project name as written. */
  name: string;
  /** PEP 503 normalised name (lower case, runs of `-_.` become `-`). */
  normalized: string;
  nameSpan: Span;
  /** The whole requirement as written (what gets underlined for requirement-level findings). */
  span: Span;
  extras: string[];
  /**
   * The version constraint as PEP 440 clauses (empty when the requirement has none). Tool syntaxes
   * are translated: Poetry `^1.2` → `>=1.2,<2.0`, a bare Poetry/Pipfile version `1.2` → `==1.2`,
   * conda `numpy=1.26.4` → `==1.26.4.*`-like clauses (see `ecosystem`).
   */
  clauses: VersionClause[];
  /** The constraint text as written and where it is (`>=2.1,<3`, `^1.2`, `"*"`); absent when none. */
  constraint?: { text: string; span: Span };
  /** True when the constraint was translated from a tool syntax (Poetry caret, conda match spec...). */
  translated?: boolean;
  /** PEP 508 environment marker text, if any. */
  marker?: string;
  /** Direct reference: `name @ https://...`, a bare URL line, `-e git+...`, Poetry `{ git = ... }`. */
  url?: {
    text: string;
    span: Span;
    /** `git`, `hg`, `svn`, `bzr` for VCS references. */
    vcs?: string;
    /** The revision after `@` in a VCS URL, or Poetry/Pipfile/uv `rev`/`tag`/`branch`/`ref`. */
    ref?: { text: string; span: Span; kind: 'rev' | 'tag' | 'branch' | 'ref' };
    /** Where a revision would be inserted (the end of the repository path, before `#` or `@`). */
    refInsertAt?: number;
    /** `#sha256=...` style hash fragment on an archive URL. */
    hash?: string;
    /** A local path or `file:` URL (never a supply-chain risk by itself). */
    local?: boolean;
  };
  editable?: boolean;
  /** `--hash=sha256:...` options of a requirements-file line. */
  hashes: { algorithm: string; value: string; span: Span }[];
  /**
   * Where the requirement is declared: `install` (requirements files and pip commands),
   * `project.dependencies`, `project.optional-dependencies.<extra>`, `dependency-groups.<group>`,
   * `build-system.requires`, `tool.poetry.dependencies`, `tool.poetry.group.<g>.dependencies`,
   * `tool.pdm.dev-dependencies.<g>`, `tool.uv.dev-dependencies`, `packages`, `dev-packages`,
   * `install_requires`, `extras_require.<extra>`, `conda`, `conda.pip`.
   */
  section: string;
  /** `pypi` for PyPI projects; `conda` for conda packages (names and match specs differ). */
  ecosystem: 'pypi' | 'conda';
}

export type IndexKind =
  | 'index-url' // replaces PyPI
  | 'extra-index-url' // searched together with PyPI: dependency confusion
  | 'find-links'
  | 'trusted-host' // turns off TLS verification for a host
  | 'source'; // a tool-declared source (Poetry, uv, PDM, Pipenv) or a conda channel

export interface IndexDecl {
  kind: IndexKind;
  /** `pip` (requirements files, pip commands), `poetry`, `uv`, `pdm`, `pipenv`, `conda`. */
  tool: 'pip' | 'poetry' | 'uv' | 'pdm' | 'pipenv' | 'conda';
  /** The URL (or host for `trusted-host`, or channel name for conda) as written. */
  url: string;
  span: Span;
  /** The option token (`--extra-index-url`, `-f`) when there is one, for fixes that rewrite it. */
  optionSpan?: Span;
  /** The source's name (Poetry/uv/PDM/Pipenv), for messages. */
  name?: string;
  /**
   * True when packages may be taken from this index OR from another one for the same name, so a
   * public package can shadow a private one (pip `--extra-index-url`; Poetry sources with priority
   * `supplemental`/`secondary`/unset-next-to-PyPI; uv with an `unsafe-*` index strategy; PDM
   * without `respect-source-order`; Pipenv with `install_search_all_sources`). The parser decides,
   * because the rules of each tool differ.
   */
  mixesWithDefault: boolean;
  /** Set when the declaration turns TLS verification off (Pipfile `verify_ssl = false`). */
  verifySslOff?: Span;
}

export interface ManifestProblem {
  span: Span;
  message: string;
}

export interface Manifest {
  kind: ManifestKind;
  requirements: Requirement[];
  indexes: IndexDecl[];
  /** `--require-hashes` given in the file. */
  requireHashes?: Span;
  /** `-r`/`-c` includes (not followed; each file is analysed on its own). */
  includes: { kind: 'requirement' | 'constraint'; path: string; span: Span }[];
  /**
   * True when the file declares a library's abstract dependencies, where ranges are expected:
   * PEP 621/Poetry/PDM metadata of a package, setup.cfg and setup.py, requirements.in compiled by
   * pip-tools. False for applications, environments, notebooks and scripts.
   */
  abstract: boolean;
  /** Malformed parts: one entry per bad line; the rest of the file is still parsed. */
  problems: ManifestProblem[];
}

/** PEP 503 name normalisation. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}
