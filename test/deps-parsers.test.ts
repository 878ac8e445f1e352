/** Manifest parsers: requirements files, pip commands, pyproject.toml, Pipfile, setup.cfg/.py, conda. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isDevOnly } from '../server/src/engine/deps/analyze';
import { parseCondaEnv, parseCondaSpec } from '../server/src/engine/deps/conda';
import { manifestKindOf, parseManifest, parseManifestFile } from '../server/src/engine/deps/parse';
import { isProblem, parseRequirementString } from '../server/src/engine/deps/pep508';
import { pipCommandsInCell, pipCommandsInPython } from '../server/src/engine/deps/pipcommands';
import { parsePipfile } from '../server/src/engine/deps/pipfile';
import { parsePyproject } from '../server/src/engine/deps/pyproject';
import { parsePipArguments, parseRequirementsFile } from '../server/src/engine/deps/requirements';
import { parseSetupCfg } from '../server/src/engine/deps/setupcfg';
import { parseSetupPy } from '../server/src/engine/deps/setuppy';
import type { Manifest, Requirement, Span } from '../server/src/engine/deps/types';
import { getParser, type PythonParser } from '../server/src/engine/parser';

let parser: PythonParser;
before(async () => {
  parser = await getParser();
});

const at = (text: string, s: Span | undefined): string => (s ? text.slice(s.start, s.end) : '<none>');
const clauses = (r: Requirement): string[] => r.clauses.map((c) => c.op + c.version);
const byName = (m: Manifest, name: string): Requirement => {
  const r = m.requirements.find((x) => x.name === name);
  assert.ok(r, `no requirement ${name} in ${m.requirements.map((x) => x.name).join(', ')}`);
  return r;
};
/** The 0-based line of an offset. */
const lineOf = (text: string, offset: number): number => text.slice(0, offset).split('\n').length - 1;

function withPython<T>(text: string, f: (tree: ReturnType<PythonParser['parse']>) => T): T {
  const tree = parser.parse(text);
  try {
    return f(tree);
  } finally {
    tree.delete();
  }
}

describe('PEP 508 requirement strings', () => {
  it('reads names, extras, clauses and markers with exact spans', () => {
    const text = 'xx Torch_Audio[cuda, extra2] (>=2.1, <3) ; python_version < "3.11"';
    const r = parseRequirementString(text.slice(3), 3, 'install');
    assert.ok(!isProblem(r));
    assert.equal(r.name, 'Torch_Audio');
    assert.equal(r.normalized, 'torch-audio');
    assert.equal(at(text, r.nameSpan), 'Torch_Audio');
    assert.deepEqual(r.extras, ['cuda', 'extra2']);
    assert.deepEqual(clauses(r), ['>=2.1', '<3']);
    assert.deepEqual(r.clauses.map((c) => at(text, c.span)), ['>=2.1', '<3']);
    assert.equal(r.constraint?.text, '>=2.1, <3');
    assert.equal(at(text, r.constraint?.span), '>=2.1, <3');
    assert.equal(r.marker, 'python_version < "3.11"');
    assert.equal(at(text, r.span), text.slice(3));
    assert.equal(r.section, 'install');
    assert.equal(r.ecosystem, 'pypi');
  });

  it('reads VCS direct references with their revision and where one would go', () => {
    const text = 'pkg[extra]@ git+https://github.com/o/r.git@v1.2#egg=x';
    const r = parseRequirementString(text, 0, 'install');
    assert.ok(!isProblem(r));
    assert.equal(r.url?.vcs, 'git');
    assert.equal(r.url?.text, 'git+https://github.com/o/r.git@v1.2#egg=x');
    assert.equal(at(text, r.url?.span), 'git+https://github.com/o/r.git@v1.2#egg=x');
    assert.equal(r.url?.ref?.text, 'v1.2');
    assert.equal(r.url?.ref?.kind, 'ref');
    assert.equal(at(text, r.url?.ref?.span), 'v1.2');
    assert.equal(text.slice(0, r.url?.refInsertAt), 'pkg[extra]@ git+https://github.com/o/r.git');

    const pinned = parseRequirementString('x @ git+ssh://git@github.com/o/r.git@0123abcd', 0, 's');
    assert.ok(!isProblem(pinned));
    assert.equal(pinned.url?.ref?.text, '0123abcd');
    assert.equal(pinned.url?.ref?.kind, 'rev');

    const bare = 'x @ git+ssh://git@github.com/o/r.git#subdirectory=y';
    const unpinned = parseRequirementString(bare, 0, 's');
    assert.ok(!isProblem(unpinned));
    assert.equal(unpinned.url?.ref, undefined, 'the @ of the user info is not a revision');
    assert.equal(bare.slice(unpinned.url!.refInsertAt!), '#subdirectory=y');
  });

  it('reads archive hashes and local file URLs', () => {
    const r = parseRequirementString('x @ https://h/x-1.0.tar.gz#sha256=abcdef0123 ; os_name == "nt"', 0, 's');
    assert.ok(!isProblem(r));
    assert.equal(r.url?.hash, 'sha256=abcdef0123');
    assert.equal(r.url?.vcs, undefined);
    assert.equal(r.marker, 'os_name == "nt"');
    const f = parseRequirementString('x @ file:///src/x', 0, 's');
    assert.ok(!isProblem(f));
    assert.equal(f.url?.local, true);
  });

  it('accepts wildcards and arbitrary equality, rejects bad versions and names', () => {
    const w = parseRequirementString('a==1.2.*', 0, 's');
    assert.ok(!isProblem(w));
    assert.deepEqual(clauses(w), ['==1.2.*']);
    const eq = parseRequirementString('a===foobar', 0, 's');
    assert.ok(!isProblem(eq));
    assert.deepEqual(clauses(eq), ['===foobar']);
    const bad = parseRequirementString('a>=1.x', 10, 's');
    assert.ok(isProblem(bad));
    assert.deepEqual(bad.span, { start: 11, end: 16 });
    assert.ok(isProblem(parseRequirementString('-bad', 0, 's')));
    assert.ok(isProblem(parseRequirementString('a[', 0, 's')));
    assert.ok(isProblem(parseRequirementString('a >= ', 0, 's')));
    assert.ok(isProblem(parseRequirementString('a @ ', 0, 's')));
    assert.ok(isProblem(parseRequirementString('', 0, 's')));
  });
});

describe('requirements files', () => {
  it('reads requirements, options, includes and comments with spans into the original text', () => {
    const text = [
      '# top comment',
      '-i https://mirror.example/simple',
      '--extra-index-url=https://private.example/simple',
      '--trusted-host private.example',
      '-f ./wheels',
      'numpy>=1.24,<2  # pinned later',
      'Pillow==10.0.1 ; sys_platform != "win32"',
      '-r base.txt',
      '--constraint constraints.txt',
      '-e git+https://github.com/o/r.git@abcdef1#egg=mylib',
      './local/pkg',
      '.',
      'https://h.example/whl/torch-2.1.0-cp311-cp311-linux_x86_64.whl',
      'git+https://github.com/o/other.git#egg=other',
      '--pre',
      '--no-index',
      'requests[socks]',
      '',
    ].join('\n');
    const m = parseRequirementsFile(text, 'requirements');
    assert.deepEqual(m.problems, []);
    assert.equal(m.kind, 'requirements');
    assert.equal(m.abstract, false);
    assert.deepEqual(
      m.requirements.map((r) => r.name),
      ['numpy', 'Pillow', 'mylib', '', '', 'torch', 'other', 'requests'],
    );
    const numpy = byName(m, 'numpy');
    assert.equal(at(text, numpy.span), 'numpy>=1.24,<2');
    assert.deepEqual(clauses(numpy), ['>=1.24', '<2']);
    assert.equal(byName(m, 'Pillow').marker, 'sys_platform != "win32"');
    const lib = byName(m, 'mylib');
    assert.equal(lib.editable, true);
    assert.equal(at(text, lib.nameSpan), 'mylib');
    assert.equal(lib.url?.ref?.kind, 'rev');
    assert.equal(at(text, lib.url?.ref?.span), 'abcdef1');
    const local = m.requirements[3];
    assert.equal(local.url?.local, true);
    assert.equal(at(text, local.span), './local/pkg');
    assert.equal(m.requirements[4].url?.text, '.');
    const torch = byName(m, 'torch');
    assert.equal(at(text, torch.nameSpan), 'torch');
    assert.equal(torch.url?.local, undefined);
    const other = byName(m, 'other');
    assert.equal(other.url?.vcs, 'git');
    assert.equal(other.url?.ref, undefined);
    assert.equal(text.slice(other.url!.refInsertAt!, other.url!.refInsertAt! + 9), '#egg=othe');
    assert.deepEqual(byName(m, 'requests').extras, ['socks']);

    assert.deepEqual(
      m.indexes.map((x) => [x.kind, x.url, at(text, x.span), at(text, x.optionSpan), x.mixesWithDefault]),
      [
        ['index-url', 'https://mirror.example/simple', 'https://mirror.example/simple', '-i', false],
        ['extra-index-url', 'https://private.example/simple', 'https://private.example/simple', '--extra-index-url', true],
        ['trusted-host', 'private.example', 'private.example', '--trusted-host', false],
        ['find-links', './wheels', './wheels', '-f', true],
      ],
    );
    assert.deepEqual(
      m.includes.map((i) => [i.kind, i.path, at(text, i.span)]),
      [
        ['requirement', 'base.txt', 'base.txt'],
        ['constraint', 'constraints.txt', 'constraints.txt'],
      ],
    );
  });

  it('joins continuation lines (CRLF, tabs) and keeps hash spans on the later lines', () => {
    const text = '--require-hashes\r\nfoo[bar]==1.0 \\\r\n\t--hash=sha256:aaa \\\r\n    --hash sha256:bbb\r\nbar==2.0 --hash=sha512:ccc\r\n';
    const m = parseRequirementsFile(text, 'requirements');
    assert.deepEqual(m.problems, []);
    assert.equal(at(text, m.requireHashes), '--require-hashes');
    const foo = byName(m, 'foo');
    assert.equal(at(text, foo.span), 'foo[bar]==1.0');
    assert.deepEqual(
      foo.hashes.map((h) => [h.algorithm, h.value, at(text, h.span), lineOf(text, h.span.start)]),
      [
        ['sha256', 'aaa', 'sha256:aaa', 2],
        ['sha256', 'bbb', 'sha256:bbb', 3],
      ],
    );
    assert.deepEqual(byName(m, 'bar').hashes.map((h) => h.value), ['ccc']);
  });

  it('splits a requirement across a continuation and still points into the file', () => {
    const text = 'numpy>=1.0,\\\n<2\n';
    const m = parseRequirementsFile(text, 'requirements');
    const r = byName(m, 'numpy');
    assert.deepEqual(clauses(r), ['>=1.0', '<2']);
    assert.equal(at(text, r.clauses[1].span), '<2');
    assert.equal(lineOf(text, r.clauses[1].span.start), 1);
  });

  it('reports one problem per bad line and keeps reading', () => {
    const text = 'good==1.0\nbad===\nthis is not a requirement\nalso-good>=2 # fine\n--index-url\n';
    const m = parseRequirementsFile(text, 'constraints');
    assert.equal(m.kind, 'constraints');
    assert.deepEqual(m.requirements.map((r) => r.name), ['good', 'also-good']);
    assert.deepEqual(m.problems.map((p) => lineOf(text, p.span.start)), [1, 2, 4]);
  });

  it('keeps environment variables as text', () => {
    const text = '--extra-index-url https://${TOKEN}@private.example/simple\n';
    const m = parseRequirementsFile(text, 'requirements');
    assert.equal(m.indexes[0].url, 'https://${TOKEN}@private.example/simple');
    assert.equal(at(text, m.indexes[0].span), 'https://${TOKEN}@private.example/simple');
  });

  it('handles empty files and comment-only files', () => {
    for (const t of ['', '\n\n', '# only a comment\n   # another', '\\']) {
      const m = parseRequirementsFile(t, 'requirements');
      assert.deepEqual(m.requirements, []);
    }
  });
});

describe('pip command arguments', () => {
  it('tokenises like a shell, with exact spans inside quotes', () => {
    const text = 'pip install -U "torch>=2" --extra-index-url https://x.example torchvision \'numpy==1.26.*\'';
    const r = parsePipArguments(text, 100);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.requirements.map((x) => x.name), ['torch', 'torchvision', 'numpy']);
    const shifted = ' '.repeat(100) + text;
    assert.equal(at(shifted, r.requirements[0].span), 'torch>=2');
    assert.equal(at(shifted, r.requirements[0].clauses[0].span), '>=2');
    assert.equal(at(shifted, r.requirements[2].span), 'numpy==1.26.*');
    assert.equal(r.indexes[0].kind, 'extra-index-url');
    assert.equal(at(shifted, r.indexes[0].span), 'https://x.example');
    assert.equal(at(shifted, r.indexes[0].optionSpan), '--extra-index-url');
  });

  it('skips option values and flags, stops at shell operators, ignores variables', () => {
    const r = parsePipArguments('install --target /opt/x -q --no-deps $PKG {sys.executable} a==1 && pip install b > log', 0);
    assert.deepEqual(r.requirements.map((x) => x.name), ['a']);
    const r2 = parsePipArguments('install a 2>&1 | tee log', 0);
    assert.deepEqual(r2.requirements.map((x) => x.name), ['a']);
    const r3 = parsePipArguments('install "a==not a version"', 0);
    assert.equal(r3.problems.length, 1);
  });
});

describe('pyproject.toml', () => {
  const text = `[build-system]
requires = ["setuptools>=61", "wheel"]

[project]
name = "demo"
dependencies = [
  "numpy>=1.24,<2",
  "torch[cuda] @ git+https://github.com/pytorch/pytorch.git@v2.1.0",
  "esc\\u0061ped==1.0",
  'literal ; python_version < "3.11"',
]

[project.optional-dependencies]
gpu = ["cupy==12.*"]

[dependency-groups]
dev = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]

[tool.uv]
dev-dependencies = ["mypy"]
constraint-dependencies = ["urllib3<3"]
index-strategy = "unsafe-best-match"
extra-index-url = ["https://extra.example/simple"]

[tool.uv.sources]
numpy = { git = "https://github.com/numpy/numpy", tag = "v1.26.0" }
onlysource = { url = "https://h.example/o-1.0.tar.gz" }

[[tool.uv.index]]
name = "pytorch"
url = "https://download.pytorch.org/whl/cu121"
explicit = true

[[tool.uv.index]]
name = "internal"
url = "https://internal.example/simple"
`;

  it('reads PEP 621, PEP 735 and build requirements with spans inside the strings', () => {
    const m = parsePyproject(text);
    assert.deepEqual(m.problems, []);
    assert.equal(m.abstract, true);
    const numpy = byName(m, 'numpy');
    assert.equal(numpy.section, 'project.dependencies');
    assert.equal(at(text, numpy.span), 'numpy>=1.24,<2');
    assert.equal(at(text, numpy.clauses[1].span), '<2');
    const torch = byName(m, 'torch');
    assert.equal(torch.url?.vcs, 'git');
    assert.equal(at(text, torch.url?.ref?.span), 'v2.1.0');
    const escaped = byName(m, 'escaped');
    assert.equal(at(text, escaped.span), '"esc\\u0061ped==1.0"', 'escapes: the whole string');
    assert.equal(at(text, escaped.nameSpan), '"esc\\u0061ped==1.0"');
    assert.equal(byName(m, 'literal').marker, 'python_version < "3.11"');
    assert.equal(byName(m, 'cupy').section, 'project.optional-dependencies.gpu');
    assert.deepEqual(clauses(byName(m, 'cupy')), ['==12.*']);
    assert.equal(byName(m, 'pytest').section, 'dependency-groups.dev');
    assert.equal(byName(m, 'ruff').section, 'dependency-groups.lint');
    assert.equal(byName(m, 'setuptools').section, 'build-system.requires');
    assert.equal(byName(m, 'mypy').section, 'tool.uv.dev-dependencies');
    assert.equal(byName(m, 'urllib3').section, 'tool.uv.constraint-dependencies');
  });

  it('attaches uv sources and reads uv indexes with the index strategy', () => {
    const m = parsePyproject(text);
    const numpy = byName(m, 'numpy');
    assert.equal(numpy.url?.text, 'https://github.com/numpy/numpy');
    assert.equal(numpy.url?.ref?.kind, 'tag');
    assert.equal(at(text, numpy.url?.ref?.span), 'v1.26.0');
    const only = byName(m, 'onlysource');
    assert.equal(only.section, 'tool.uv.sources');
    assert.equal(at(text, only.url?.span), 'https://h.example/o-1.0.tar.gz');
    assert.deepEqual(
      m.indexes.map((x) => [x.kind, x.tool, x.name, at(text, x.span), x.mixesWithDefault]),
      [
        ['extra-index-url', 'uv', undefined, 'https://extra.example/simple', true],
        ['source', 'uv', 'pytorch', 'https://download.pytorch.org/whl/cu121', false],
        ['source', 'uv', 'internal', 'https://internal.example/simple', true],
      ],
    );
    const safe = parsePyproject('[tool.uv]\nextra-index-url = ["https://e.example"]\n[[tool.uv.index]]\nurl = "https://i.example"\n');
    assert.deepEqual(safe.indexes.map((x) => x.mixesWithDefault), [false, false], 'first-index is uv\'s default');
    assert.equal(safe.abstract, false, 'no build system: an application');
  });

  it('translates Poetry constraints', () => {
    const t = `[tool.poetry]
name = "p"
[tool.poetry.dependencies]
python = "^3.10"
requests = "^2.31.0"
zero = "^0.2.3"
zerozero = "^0.0.3"
tilde = "~1.2.3"
tildeone = "~1"
exact = "1.2.3"
star = "*"
wild = "1.2.*"
range = ">=1,<2"
table = { version = "^2", extras = ["a", "b"], optional = true, markers = "sys_platform == 'linux'" }
gitdep = { git = "https://github.com/o/r.git", branch = "main" }
revdep = { git = "https://github.com/o/r.git", rev = "0123abcd" }
urldep = { url = "https://h.example/u-1.0.tar.gz#sha256=abc123" }
pathdep = { path = "../lib" }
multi = [{ version = "<1", python = "<3.8" }, { version = ">=1", python = ">=3.8" }]
[tool.poetry.group.dev.dependencies]
pytest = "^8"
[tool.poetry.dev-dependencies]
black = "23.1.0"
[[tool.poetry.source]]
name = "private"
url = "https://private.example/simple"
priority = "supplemental"
[[tool.poetry.source]]
name = "mirror"
url = "https://mirror.example/simple"
priority = "primary"
[[tool.poetry.source]]
name = "old"
url = "https://old.example/simple"
secondary = true
`;
    const m = parsePyproject(t);
    assert.deepEqual(m.problems, []);
    assert.equal(m.abstract, true);
    assert.equal(m.requirements.some((r) => r.name === 'python'), false);
    const req = byName(m, 'requests');
    assert.deepEqual(clauses(req), ['>=2.31.0', '<3.0.0']);
    assert.equal(req.translated, true);
    assert.equal(req.constraint?.text, '^2.31.0');
    assert.equal(at(t, req.constraint?.span), '^2.31.0');
    assert.equal(at(t, req.nameSpan), 'requests');
    assert.equal(at(t, req.span), 'requests = "^2.31.0"');
    assert.equal(req.section, 'tool.poetry.dependencies');
    assert.deepEqual(clauses(byName(m, 'zero')), ['>=0.2.3', '<0.3.0']);
    assert.deepEqual(clauses(byName(m, 'zerozero')), ['>=0.0.3', '<0.0.4']);
    assert.deepEqual(clauses(byName(m, 'tilde')), ['>=1.2.3', '<1.3.0']);
    assert.deepEqual(clauses(byName(m, 'tildeone')), ['>=1', '<2']);
    assert.deepEqual(clauses(byName(m, 'exact')), ['==1.2.3']);
    assert.deepEqual(clauses(byName(m, 'star')), []);
    assert.deepEqual(clauses(byName(m, 'wild')), ['==1.2.*']);
    assert.deepEqual(clauses(byName(m, 'range')), ['>=1', '<2']);
    assert.equal(byName(m, 'range').translated, undefined);
    const table = byName(m, 'table');
    assert.deepEqual(clauses(table), ['>=2', '<3']);
    assert.deepEqual(table.extras, ['a', 'b']);
    assert.equal(table.marker, "sys_platform == 'linux'");
    const gitdep = byName(m, 'gitdep');
    assert.equal(gitdep.url?.vcs, 'git');
    assert.equal(gitdep.url?.ref?.kind, 'branch');
    assert.equal(at(t, gitdep.url?.ref?.span), 'main');
    assert.equal(byName(m, 'revdep').url?.ref?.kind, 'rev');
    assert.equal(byName(m, 'urldep').url?.hash, 'sha256=abc123');
    assert.equal(byName(m, 'pathdep').url?.local, true);
    assert.deepEqual(
      m.requirements.filter((r) => r.name === 'multi').map(clauses),
      [['<1'], ['>=1']],
    );
    assert.equal(byName(m, 'pytest').section, 'tool.poetry.group.dev.dependencies');
    assert.equal(byName(m, 'black').section, 'tool.poetry.dev-dependencies');
    assert.deepEqual(
      m.indexes.map((x) => [x.tool, x.name, x.mixesWithDefault]),
      [
        ['poetry', 'private', true],
        ['poetry', 'mirror', false],
        ['poetry', 'old', true],
      ],
    );
  });

  it('decides abstract from package-mode and tool.uv.package', () => {
    assert.equal(parsePyproject('[tool.poetry]\nname = "x"\npackage-mode = false\n').abstract, false);
    assert.equal(parsePyproject('[build-system]\nrequires = []\n[tool.uv]\npackage = false\n').abstract, false);
    assert.equal(parsePyproject('[project]\nname = "x"\ndependencies = []\n').abstract, false);
    assert.equal(parsePyproject('[tool.poetry]\nname = "x"\n').abstract, true);
  });

  it('reads PDM dev dependencies and sources', () => {
    const t = `[tool.pdm.dev-dependencies]
test = ["pytest>=7"]
[[tool.pdm.source]]
name = "private"
url = "https://private.example/simple"
verify_ssl = false
[[tool.pdm.source]]
name = "links"
url = "https://links.example/"
type = "find_links"
`;
    const m = parsePyproject(t);
    assert.equal(byName(m, 'pytest').section, 'tool.pdm.dev-dependencies.test');
    assert.deepEqual(m.indexes.map((x) => [x.kind, x.tool, x.name, x.mixesWithDefault]), [
      ['source', 'pdm', 'private', true],
      ['find-links', 'pdm', 'links', true],
    ]);
    assert.equal(at(t, m.indexes[0].verifySslOff), 'verify_ssl = false');
    const ordered = parsePyproject(t + '[tool.pdm.resolution]\nrespect-source-order = true\n');
    assert.deepEqual(ordered.indexes.map((x) => x.mixesWithDefault), [false, false]);
  });

  it('recovers from malformed TOML: one problem per bad line, the rest still read', () => {
    const t = '[project]\ndependencies = [\n  "numpy==1.0",\n  "bad version==",\n]\nbroken = = 1\n[tool.poetry.dependencies]\nrequests = "^2"\n';
    const m = parsePyproject(t);
    assert.deepEqual(m.problems.map((p) => lineOf(t, p.span.start)), [5, 3]);
    assert.deepEqual(m.requirements.map((r) => r.name), ['numpy', 'requests']);
    const open = '[project]\ndependencies = [\n  "numpy==1.0",\n[tool.poetry.dependencies]\nrequests = "^2"\n';
    const m2 = parsePyproject(open);
    assert.equal(m2.problems.length, 1);
    assert.equal(lineOf(open, m2.problems[0].span.start), 1);
    assert.deepEqual(m2.requirements.map((r) => r.name), ['requests']);
  });
});

describe('Pipfile', () => {
  it('reads packages, dev-packages and sources', () => {
    const t = `[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[[source]]
url = "http://private.example/simple"
verify_ssl = false
name = "private"

[packages]
requests = "*"
numpy = "==1.26.4"
bare = "1.0"
torch = {version = ">=2.1", extras = ["cuda"], index = "private", markers = "sys_platform == 'linux'"}
mylib = {git = "https://github.com/o/r.git", ref = "v1.0", editable = true}
local = {path = "./pkg"}
wheel = {file = "https://h.example/w-1.0-py3-none-any.whl"}

[dev-packages]
pytest = ">=7"

[requires]
python_version = "3.11"
`;
    const m = parsePipfile(t);
    assert.deepEqual(m.problems, []);
    assert.equal(m.kind, 'pipfile');
    assert.deepEqual(m.requirements.map((r) => r.name), ['requests', 'numpy', 'bare', 'torch', 'mylib', 'local', 'wheel', 'pytest']);
    assert.deepEqual(clauses(byName(m, 'requests')), []);
    assert.equal(byName(m, 'requests').constraint?.text, '*');
    const numpy = byName(m, 'numpy');
    assert.deepEqual(clauses(numpy), ['==1.26.4']);
    assert.equal(at(t, numpy.clauses[0].span), '==1.26.4');
    assert.deepEqual(clauses(byName(m, 'bare')), ['==1.0']);
    assert.equal(byName(m, 'bare').translated, true);
    const torch = byName(m, 'torch');
    assert.deepEqual(torch.extras, ['cuda']);
    assert.equal(torch.marker, "sys_platform == 'linux'");
    const mylib = byName(m, 'mylib');
    assert.equal(mylib.editable, true);
    assert.equal(mylib.url?.ref?.text, 'v1.0');
    assert.equal(byName(m, 'local').url?.local, true);
    assert.equal(byName(m, 'pytest').section, 'dev-packages');
    assert.deepEqual(
      m.indexes.map((x) => [x.kind, x.tool, x.name, x.url, x.mixesWithDefault, at(t, x.verifySslOff)]),
      [
        ['index-url', 'pipenv', 'pypi', 'https://pypi.org/simple', false, '<none>'],
        ['source', 'pipenv', 'private', 'http://private.example/simple', false, 'verify_ssl = false'],
      ],
    );
    const all = parsePipfile(t + '\n[pipenv]\ninstall_search_all_sources = true\n');
    assert.deepEqual(all.indexes.map((x) => x.mixesWithDefault), [false, true]);
  });

  it('reports bad lines and versions, keeps the rest', () => {
    const t = '[packages]\nok = "==1"\nbroken = \nbadver = "==x.y"\nlater = "*"\n';
    const m = parsePipfile(t);
    assert.deepEqual(m.requirements.map((r) => r.name), ['ok', 'later']);
    assert.deepEqual(m.problems.map((p) => lineOf(t, p.span.start)), [2, 3]);
  });
});

describe('setup.cfg', () => {
  it('reads install_requires, extras and the other list keys', () => {
    const t = `[metadata]
name = demo

[options]
# a comment
install_requires =
    numpy>=1.20  # inline comment
    torch ; python_version > "3.8"
    requests
setup_requires = setuptools_scm; wheel
tests_require =
    pytest

[options.extras_require]
gpu =
    cupy-cuda12x
docs = sphinx>=7
`;
    const m = parseSetupCfg(t);
    assert.deepEqual(m.problems, []);
    assert.equal(m.abstract, true);
    assert.deepEqual(
      m.requirements.map((r) => [r.name, r.section, at(t, r.span)]),
      [
        ['numpy', 'install_requires', 'numpy>=1.20'],
        ['torch', 'install_requires', 'torch ; python_version > "3.8"'],
        ['requests', 'install_requires', 'requests'],
        ['setuptools_scm', 'setup_requires', 'setuptools_scm'],
        ['wheel', 'setup_requires', 'wheel'],
        ['pytest', 'tests_require', 'pytest'],
        ['cupy-cuda12x', 'extras_require.gpu', 'cupy-cuda12x'],
        ['sphinx', 'extras_require.docs', 'sphinx>=7'],
      ],
    );
    assert.equal(byName(m, 'torch').marker, 'python_version > "3.8"');
  });

  it('reports a bad requirement at its line and reads the next ones', () => {
    const t = '[options]\ninstall_requires =\r\n    good\r\n    bad >= \r\n    also_good\r\n';
    const m = parseSetupCfg(t);
    assert.deepEqual(m.requirements.map((r) => r.name), ['good', 'also_good']);
    assert.deepEqual(m.problems.map((p) => lineOf(t, p.span.start)), [3]);
  });
});

describe('setup.py', () => {
  it('reads literal arguments and module-level lists, ignores the rest', () => {
    const t = `from setuptools import setup
import setuptools
REQUIRED = ["torch>=2", 'numpy']
setuptools.setup(
    name="x",
    install_requires=REQUIRED,
    extras_require={"gpu": ["cupy==12.*"], "dev": dev_list},
    setup_requires=["wheel", f"x{y}"],
    tests_require=get_tests(),
)
`;
    const m = withPython(t, (tree) => parseSetupPy(t, tree));
    assert.deepEqual(m.problems, []);
    assert.equal(m.abstract, true);
    assert.deepEqual(
      m.requirements.map((r) => [r.name, r.section, at(t, r.span)]),
      [
        ['torch', 'install_requires', 'torch>=2'],
        ['numpy', 'install_requires', 'numpy'],
        ['cupy', 'extras_require.gpu', 'cupy==12.*'],
        ['wheel', 'setup_requires', 'wheel'],
      ],
    );
  });

  it('maps escaped strings to the whole literal and reports bad ones', () => {
    const t = 'setup(install_requires=["a\\x3e=1", "b>=x"])\n';
    const m = withPython(t, (tree) => parseSetupPy(t, tree));
    assert.equal(m.requirements.length, 1);
    assert.deepEqual(clauses(m.requirements[0]), ['>=1']);
    assert.equal(at(t, m.requirements[0].span), '"a\\x3e=1"');
    assert.equal(m.problems.length, 1);
    assert.equal(at(t, m.problems[0].span), '>=x');
  });
});

describe('conda environments', () => {
  it('reads channels, match specs and the pip list', () => {
    const t = `name: ml
channels:
  - pytorch
  - conda-forge
  - nodefaults
dependencies:
  - python=3.11
  - pip
  - numpy=1.26
  - scipy==1.11.4
  - pandas>=2.0,<3
  - pytorch::pytorch=2.1=py3.11_cuda12*
  - &mkl mkl 2023.1.0 h6d00ec8_46649
  - "requests"
  - pip:
    - --extra-index-url https://download.pytorch.org/whl/cu121
    - torchvision==0.16.0
    - -r requirements-extra.txt
    - "transformers[torch]>=4.30"
`;
    const m = parseCondaEnv(t);
    assert.deepEqual(m.problems, []);
    assert.deepEqual(
      m.indexes.map((x) => [x.kind, x.tool, x.url, at(t, x.span), x.mixesWithDefault]),
      [
        ['source', 'conda', 'pytorch', 'pytorch', false],
        ['source', 'conda', 'conda-forge', 'conda-forge', false],
        ['extra-index-url', 'pip', 'https://download.pytorch.org/whl/cu121', 'https://download.pytorch.org/whl/cu121', true],
      ],
    );
    assert.deepEqual(
      m.requirements.map((r) => [r.name, r.ecosystem, r.section, clauses(r).join(',')]),
      [
        ['numpy', 'conda', 'conda', '==1.26.*'],
        ['scipy', 'conda', 'conda', '==1.11.4'],
        ['pandas', 'conda', 'conda', '>=2.0,<3'],
        ['pytorch', 'conda', 'conda', '==2.1.*'],
        ['mkl', 'conda', 'conda', '==2023.1.0'],
        ['requests', 'conda', 'conda', ''],
        ['torchvision', 'pypi', 'conda.pip', '==0.16.0'],
        ['transformers', 'pypi', 'conda.pip', '>=4.30'],
      ],
    );
    assert.equal(byName(m, 'numpy').translated, true);
    assert.equal(at(t, byName(m, 'numpy').constraint?.span), '=1.26');
    assert.equal(at(t, byName(m, 'pytorch').nameSpan), 'pytorch', 'the name after the channel');
    assert.equal(lineOf(t, byName(m, 'pytorch').nameSpan.start), 11);
    assert.equal(at(t, byName(m, 'requests').span), 'requests');
    assert.equal(at(t, byName(m, 'transformers').clauses[0].span), '>=4.30');
    assert.deepEqual(byName(m, 'transformers').extras, ['torch']);
    assert.deepEqual(m.includes.map((i) => [i.path, at(t, i.span)]), [['requirements-extra.txt', 'requirements-extra.txt']]);
  });

  it('follows anchors and merge keys', () => {
    const t = 'base: &base\n  dependencies:\n    - &np numpy=1.26\nenv:\n  <<: *base\n<<: *base\n';
    const m = parseCondaEnv(t);
    assert.deepEqual(m.requirements.map((r) => r.name), ['numpy']);
    const alias = parseCondaEnv('dependencies:\n  - &np numpy=1.26\n  - *np\n');
    assert.equal(alias.requirements.length, 2);
    assert.equal(at('dependencies:\n  - &np numpy=1.26\n  - *np\n', alias.requirements[1].span), '*np');
  });

  it('reports YAML errors at their line and keeps what was read', () => {
    const t = 'channels:\n  - conda-forge\ndependencies:\n  - numpy=1.26\n  - "unterminated\n';
    const m = parseCondaEnv(t);
    assert.ok(m.problems.length >= 1);
    assert.deepEqual(m.requirements.map((r) => r.name), ['numpy']);
    assert.equal(m.indexes.length, 1);
  });

  it('parses single match specs', () => {
    const r = parseCondaSpec('conda-forge::numpy>=1.2,<2', 5, 'conda');
    assert.ok(!isProblem(r));
    assert.deepEqual(r.nameSpan, { start: 18, end: 23 });
    assert.deepEqual(clauses(r), ['>=1.2', '<2']);
    const b = parseCondaSpec('numpy[version=">=1.20"]', 0, 'conda');
    assert.ok(!isProblem(b));
    assert.deepEqual(clauses(b), ['>=1.20']);
    assert.ok(isProblem(parseCondaSpec('=1.0', 0, 'conda')));
  });
});

describe('pip commands in notebook cells', () => {
  it('reads !pip, %pip, python -m pip, uv pip and conda lines with cell offsets', () => {
    const src = [
      'import os',
      '!pip install -q "torch>=2.1" torchvision --extra-index-url https://download.pytorch.org/whl/cu121',
      '%pip install transformers==4.30.0',
      '  !python -m pip install -U accelerate && pip install datasets',
      '!{sys.executable} -m pip install evaluate',
      '!uv pip install peft',
      '!pip3 install scipy \\',
      '    scikit-learn==1.3.0',
      '%conda install -c conda-forge -y faiss-cpu=1.7',
      '!pip uninstall -y oldpkg',
      '!apt-get install -y ffmpeg',
      '!pip install einops # comment',
    ].join('\n');
    const m = pipCommandsInCell(src);
    assert.equal(m.kind, 'notebook');
    assert.equal(m.abstract, false);
    assert.deepEqual(m.problems, []);
    assert.deepEqual(
      m.requirements.map((r) => [r.name, r.ecosystem]),
      [
        ['torch', 'pypi'],
        ['torchvision', 'pypi'],
        ['transformers', 'pypi'],
        ['accelerate', 'pypi'],
        ['datasets', 'pypi'],
        ['evaluate', 'pypi'],
        ['peft', 'pypi'],
        ['scipy', 'pypi'],
        ['scikit-learn', 'pypi'],
        ['faiss-cpu', 'conda'],
        ['einops', 'pypi'],
      ],
    );
    assert.equal(at(src, byName(m, 'torch').span), 'torch>=2.1');
    assert.equal(at(src, byName(m, 'scikit-learn').span), 'scikit-learn==1.3.0');
    assert.equal(lineOf(src, byName(m, 'scikit-learn').span.start), 7);
    assert.deepEqual(clauses(byName(m, 'faiss-cpu')), ['==1.7.*']);
    assert.deepEqual(
      m.indexes.map((x) => [x.kind, x.tool, at(src, x.span), x.mixesWithDefault]),
      [
        ['extra-index-url', 'pip', 'https://download.pytorch.org/whl/cu121', true],
        ['source', 'conda', 'conda-forge', false],
      ],
    );
  });

  it('reads %%bash cells and %%capture cells, not other cell magics', () => {
    const bash = '%%bash\nset -e\npip install numpy==1.26.0\ncd x && python -m pip install -r req.txt\n';
    const m = pipCommandsInCell(bash);
    assert.deepEqual(m.requirements.map((r) => r.name), ['numpy']);
    assert.deepEqual(m.includes.map((i) => at(bash, i.span)), ['req.txt']);
    const cap = '%%capture\n!pip install rich\n';
    assert.deepEqual(pipCommandsInCell(cap).requirements.map((r) => at(cap, r.span)), ['rich']);
    assert.deepEqual(pipCommandsInCell('%%writefile x.sh\npip install nope\n').requirements, []);
  });

  it('reports a bad version in a command', () => {
    const src = '!pip install "torch==two" numpy';
    const m = pipCommandsInCell(src);
    assert.deepEqual(m.requirements.map((r) => r.name), ['numpy']);
    assert.equal(m.problems.length, 1);
  });
});

describe('pip commands in Python files', () => {
  it('reads Colab lines, os.system strings, f-strings and subprocess argument lists', () => {
    const t = `import os, subprocess, sys
!pip install gradio==3.0
os.system("pip install -U requests==2.31.0 && echo done")
subprocess.check_call([sys.executable, "-m", "pip", "install", "torch==2.1.0", "--index-url", "https://download.pytorch.org/whl/cpu"])
subprocess.run(["pip", "uninstall", "-y", "x"])
subprocess.run(f"{sys.executable} -m pip install numpy=={ver} scipy", shell=True)
os.system("pip install esc\\x61ped")
get_ipython().system('pip install -q xformers')
get_ipython().run_line_magic('pip', 'install bitsandbytes')
print("pip install not-a-command")
`;
    const m = withPython(t, (tree) => pipCommandsInPython(t, tree));
    assert.equal(m.kind, 'python');
    assert.deepEqual(m.problems, []);
    assert.deepEqual(m.requirements.map((r) => r.name), ['gradio', 'requests', 'torch', 'scipy', 'escaped', 'xformers', 'bitsandbytes']);
    assert.equal(at(t, byName(m, 'gradio').span), 'gradio==3.0');
    assert.equal(at(t, byName(m, 'requests').span), 'requests==2.31.0');
    assert.equal(at(t, byName(m, 'torch').span), 'torch==2.1.0');
    assert.equal(at(t, byName(m, 'torch').clauses[0].span), '==2.1.0');
    assert.equal(at(t, byName(m, 'scipy').span), 'scipy');
    assert.equal(at(t, byName(m, 'escaped').span), '"pip install esc\\x61ped"');
    assert.equal(at(t, byName(m, 'bitsandbytes').span), 'bitsandbytes');
    assert.deepEqual(m.indexes.map((x) => [x.kind, at(t, x.span), at(t, x.optionSpan)]), [['index-url', 'https://download.pytorch.org/whl/cpu', '--index-url']]);
  });
});

describe('manifest kinds and the entry point', () => {
  it('maps base names to kinds', () => {
    const cases: [string, string | undefined][] = [
      ['requirements.txt', 'requirements'],
      ['REQUIREMENTS-dev.txt', 'requirements'],
      ['dev-requirements.txt', 'requirements'],
      ['requirements_gpu.in', 'requirements'],
      ['docs.requirements.txt', 'requirements'],
      ['some/dir/requirements.txt', 'requirements'],
      ['constraints.txt', 'constraints'],
      ['Constraints-ci.txt', 'constraints'],
      ['pyproject.toml', 'pyproject'],
      ['setup.cfg', 'setup-cfg'],
      ['setup.py', 'setup-py'],
      ['Pipfile', 'pipfile'],
      ['Pipfile.lock', undefined],
      ['environment.yml', 'conda'],
      ['environment.yaml', 'conda'],
      ['environment-gpu.yml', 'conda'],
      ['notebook.ipynb', undefined],
      ['requirements.py', undefined],
      ['myrequirements.txt', undefined],
      ['conda-env.yml', undefined],
      ['readme.txt', undefined],
    ];
    for (const [name, kind] of cases) assert.equal(manifestKindOf(name), kind, name);
  });

  it('parses by kind, marks *.in files abstract and parses Python with the given parser', () => {
    assert.equal(parseManifest('requirements', 'a==1\n').abstract, false);
    assert.equal(parseManifest('requirements', 'a\n', undefined, 'requirements.in').abstract, true);
    assert.equal(parseManifestFile('requirements-dev.in', 'a\n')?.abstract, true);
    assert.equal(parseManifestFile('README.md', 'a\n'), undefined);
    const py = parseManifest('setup-py', 'setup(install_requires=["a==1"])\n', (s) => parser.parse(s));
    assert.deepEqual(py.requirements.map((r) => r.name), ['a']);
    const noParser = parseManifest('python', '!pip install a\n');
    assert.equal(noParser.problems.length, 1);
    const script = parseManifest('python', '!pip install a\n', (s) => parser.parse(s));
    assert.deepEqual(script.requirements.map((r) => r.name), ['a']);
  });

  it('never throws on garbage', () => {
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const alphabet = 'ab=<>!~^*[]{}()"\'\\#;:,.@/-_ \t\n\r\u0000\u00e9\ud83d\ude00=$%&|`?+0123456789pipinstall';
    const samples = ['', '\u0000\u0001\u0002', '[', '[[', '"""', "'''", '- - -\n  : :', '{{{', '\\\\\\', '!pip install "', '%%bash\n!'];
    for (let n = 0; n < 60; n++) {
      let s = '';
      const len = Math.floor(rand() * 200);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
      samples.push(s);
    }
    for (const s of samples) {
      for (const kind of ['requirements', 'constraints', 'pyproject', 'setup-cfg', 'pipfile', 'conda', 'setup-py', 'python'] as const) {
        const m = parseManifest(kind, s, (x) => parser.parse(x));
        assert.equal(m.kind, kind);
        for (const r of m.requirements) assert.ok(r.span.start >= 0 && r.span.end <= s.length, `${kind}: span out of range`);
        for (const p of m.problems) assert.ok(p.span.start >= 0 && p.span.end <= s.length, `${kind}: problem out of range`);
      }
      const cell = pipCommandsInCell(s);
      for (const r of cell.requirements) assert.ok(r.span.end <= s.length);
      parsePipArguments(s, 0);
    }
  });
});

describe('setup.cfg keys that are not requirements', () => {
  it('skips the continuation lines of other keys (packages, classifiers) without a problem', () => {
    const text = '[options]\npackages =\n    pyasn1\n    pyasn1.type\ninstall_requires =\n    numpy>=1.24\n\n[metadata]\nclassifiers =\n    Topic :: Communications\n';
    const m = parseSetupCfg(text);
    assert.deepEqual(m.problems, []);
    assert.deepEqual(m.requirements.map((r) => r.name), ['numpy']);
  });
});

describe('development-only manifests', () => {
  it('are told apart by the file name and its folder only', () => {
    const dev = ['requirements-dev.txt', 'dev-requirements.txt', 'docs/requirements.txt', 'requirements_test.in', 'testing/constraints-3.7.txt', 'requirements/ci.txt', 'file:///p/docs/requirements.txt'];
    const app = ['requirements.txt', 'app/requirements.txt', 'devops/requirements.txt', 'contest/requirements.txt', '/home/dev/project/requirements.txt', 'file:///home/dev/proj/requirements.txt'];
    for (const p of dev) assert.equal(isDevOnly(p), true, p);
    for (const p of app) assert.equal(isDevOnly(p), false, p);
  });
});
