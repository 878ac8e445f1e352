/**
 * Build and packaging checks: the vendored grammar matches its record, the settings declared in
 * package.json agree with the protocol's types, the VSIX holds exactly what the extension needs,
 * and the client bundle leaves `vscode` external and carries no server code.
 *
 *   node --import tsx --test test/build.test.ts
 *
 * The VSIX test (re)builds dist/threatlens.vsix with `npm run package` when it is missing or older
 * than its inputs (a few seconds).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';

import { Commands, DEFAULT_SETTINGS, RULE_SEVERITIES, resolveSettings } from '../server/src/protocol';

const root = join(__dirname, '..');
const rel = (p: string): string => relative(root, p).split('\\').join('/');

function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(join(root, path), 'utf8')) as T;
}

/** Every file below `dir` (relative to the repo root, `/`-separated); [] when `dir` does not exist. */
function filesUnder(dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.push(rel(p));
    }
  };
  walk(abs);
  return out.sort();
}

function run(command: string, args: string[], timeoutMs: number): void {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: timeoutMs,
    shell: process.platform === 'win32',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) {
    assert.fail(
      `\`${command} ${args.join(' ')}\` failed (status ${result.status}, signal ${result.signal})\n` +
        `${result.stdout ?? ''}\n${result.stderr ?? ''}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// A minimal zip reader: the entries of the central directory, enough to list a .vsix.
// ---------------------------------------------------------------------------------------------

interface ZipEntry {
  name: string;
  compressedSize: number;
  size: number;
}

function listZip(buf: Buffer): ZipEntry[] {
  const EOCD = 0x06054b50;
  const CDH = 0x02014b50;
  // The end-of-central-directory record is 22 bytes plus a comment of up to 65535 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file: no end-of-central-directory record');
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new Error('zip64 archives are not supported');
  if (cdOffset + cdSize > eocd) throw new Error('corrupt zip: central directory overlaps its end record');

  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== CDH) throw new Error(`corrupt zip: bad central directory header #${i}`);
    const flags = buf.readUInt16LE(p + 8);
    const compressedSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    const nameBytes = buf.subarray(p + 46, p + 46 + nameLength);
    // Bit 11: the name is UTF-8; otherwise CP437, which is ASCII for the names vsce writes.
    const name = nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1');
    entries.push({ name, compressedSize, size });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------

describe('grammar record', () => {
  const record = readJson<{ package: string; version: string; file: string; sha256: string; abi?: number }>(
    'grammars/tree-sitter-python.json',
  );

  it('matches the committed wasm', () => {
    assert.equal(record.package, 'tree-sitter-python');
    assert.equal(record.file, 'tree-sitter-python.wasm');
    const wasm = readFileSync(join(root, 'grammars', record.file));
    assert.equal(createHash('sha256').update(wasm).digest('hex'), record.sha256);
    if (record.abi !== undefined) assert.ok(Number.isInteger(record.abi) && record.abi > 0, 'abi is a positive integer');
  });

  it('names the installed tree-sitter-python version', () => {
    const installed = readJson<{ version: string }>('node_modules/tree-sitter-python/package.json').version;
    assert.equal(record.version, installed, 'run `npm run grammar` after updating tree-sitter-python');
    const declared = readJson<{ dependencies?: Record<string, string> }>('package.json').dependencies?.['tree-sitter-python'];
    if (declared) assert.equal(declared.replace(/^[\^~=]/, ''), installed, 'package.json pins the installed version');
  });

  it('passes copy-grammar --check', () => {
    run(process.execPath, ['scripts/copy-grammar.mjs', '--check'], 60_000);
  });
});

// ---------------------------------------------------------------------------------------------

interface ConfigProperty {
  type?: string | string[];
  default?: unknown;
  enum?: unknown[];
  markdownDescription?: string;
  description?: string;
  additionalProperties?: { enum?: unknown[] };
}

interface Manifest {
  main: string;
  contributes: {
    configuration: { properties: Record<string, ConfigProperty> } | { properties: Record<string, ConfigProperty> }[];
    commands: { command: string; title: string; category?: string }[];
  };
}

function declaredSettings(): Record<string, ConfigProperty> {
  const cfg = readJson<Manifest>('package.json').contributes.configuration;
  const sections = Array.isArray(cfg) ? cfg : [cfg];
  return Object.assign({}, ...sections.map((s) => s.properties)) as Record<string, ConfigProperty>;
}

/**
 * Maps DEFAULT_SETTINGS onto `threatlens.*` keys. An object value is one setting when package.json
 * declares it as such (`threatlens.rules.severity`), and a group of settings otherwise (`rules`).
 */
function flattenDefaults(declared: Record<string, ConfigProperty>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (value: unknown, key: string): void => {
    if (key in declared || typeof value !== 'object' || value === null || Array.isArray(value)) {
      out.set(key, value);
      return;
    }
    for (const [k, v] of Object.entries(value)) walk(v, `${key}.${k}`);
  };
  for (const [k, v] of Object.entries(DEFAULT_SETTINGS)) walk(v, `threatlens.${k}`);
  return out;
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'object' : typeof value;
}

describe('settings', () => {
  const declared = declaredSettings();
  const defaults = flattenDefaults(declared);

  it('every DEFAULT_SETTINGS key is declared in package.json with the same default', () => {
    for (const [key, value] of defaults) {
      assert.ok(key in declared, `${key} is in DEFAULT_SETTINGS but not in contributes.configuration`);
      assert.deepEqual(declared[key]!.default, value, `default of ${key}`);
    }
  });

  it('every declared setting is in DEFAULT_SETTINGS', () => {
    for (const key of Object.keys(declared)) {
      assert.ok(key.startsWith('threatlens.'), `${key} is outside the threatlens section`);
      assert.ok(defaults.has(key), `${key} is declared in package.json but missing from DEFAULT_SETTINGS`);
    }
  });

  it('declared types, enums and descriptions fit the protocol type', () => {
    for (const [key, prop] of Object.entries(declared)) {
      const expected = jsonType(defaults.get(key));
      const types = Array.isArray(prop.type) ? prop.type : [prop.type];
      assert.ok(
        types.includes(expected) || (expected === 'number' && types.includes('integer')),
        `${key}: type ${String(prop.type)} but the default is a ${expected}`,
      );
      assert.ok((prop.markdownDescription ?? prop.description ?? '').length > 20, `${key} needs a description`);
      if (prop.enum) assert.ok(prop.enum.includes(prop.default), `${key}: default is one of its enum values`);
    }
    assert.deepEqual(declared['threatlens.run']!.enum, ['onType', 'onSave']);
    assert.deepEqual(declared['threatlens.rules.severity']!.additionalProperties?.enum, [...RULE_SEVERITIES]);
  });

  it('resolveSettings fills in defaults and drops invalid values', () => {
    assert.deepEqual(resolveSettings(undefined), DEFAULT_SETTINGS);
    assert.deepEqual(resolveSettings({}), DEFAULT_SETTINGS);
    const s = resolveSettings({
      enable: 'yes',
      run: 'onSave',
      rules: { disabled: ['TL101', 7], severity: { TL102: 'critical', TL103: 'fatal' } },
      exclude: 'nope',
      honorNosec: false,
      timeBudgetMs: -5,
    });
    assert.deepEqual(s, {
      ...DEFAULT_SETTINGS,
      run: 'onSave',
      rules: { disabled: ['TL101'], severity: { TL102: 'critical' } },
      honorNosec: false,
    });
    s.exclude.push('mutated');
    assert.ok(!DEFAULT_SETTINGS.exclude.includes('mutated'), 'resolveSettings returns fresh arrays');
  });

  it('package.json declares the protocol commands under the ThreatLens category', () => {
    const commands = readJson<Manifest>('package.json').contributes.commands;
    assert.deepEqual(commands.map((c) => c.command).sort(), Object.values(Commands).sort());
    for (const c of commands) assert.equal(c.category, 'ThreatLens', `${c.command} category`);
  });
});

// ---------------------------------------------------------------------------------------------

const VSIX = join(root, 'dist', 'threatlens.vsix');

/** Newest modification time among the files a VSIX is built from. */
function newestInput(): number {
  const files = [
    'package.json',
    '.vscodeignore',
    'LICENSE',
    'README.md',
    'CHANGELOG.md',
    'scripts/build.mjs',
    ...filesUnder('client/src'),
    ...filesUnder('server/src'),
    ...filesUnder('grammars'),
    ...filesUnder('threat-catalog'),
    ...filesUnder('docs/rules'),
    ...filesUnder('media'),
    'docs/threats.md',
  ];
  let newest = 0;
  for (const f of files) {
    const p = join(root, f);
    if (existsSync(p)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

describe('VSIX', () => {
  let names: string[] = [];

  before(() => {
    if (!existsSync(VSIX) || statSync(VSIX).mtimeMs < newestInput()) {
      run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'package'], 180_000);
    }
    names = listZip(readFileSync(VSIX)).map((e) => e.name);
  });

  it('contains the bundles, the runtime and grammar wasm, and the threat catalog', () => {
    for (const required of [
      'extension.vsixmanifest',
      'extension/package.json',
      'extension/dist/client.js',
      'extension/dist/server.js',
      'extension/dist/cli.js',
      'extension/dist/web-tree-sitter.wasm',
      'extension/grammars/tree-sitter-python.wasm',
      'extension/grammars/tree-sitter-python.json',
    ]) {
      assert.ok(names.includes(required), `${required} is missing from the VSIX`);
    }
    assert.ok(
      names.some((n) => /^extension\/LICENSE(\.txt|\.md)?$/i.test(n)),
      'the VSIX carries the license',
    );
    const catalog = filesUnder('threat-catalog');
    assert.ok(catalog.length > 0, 'threat-catalog/ has files to ship');
    // The rule pages link ../threats.md, so it ships beside them.
    for (const f of [...catalog, ...filesUnder('docs/rules'), 'docs/threats.md', ...filesUnder('grammars')]) {
      assert.ok(names.includes(`extension/${f}`), `${f} is missing from the VSIX`);
    }
  });

  it('contains nothing else: no node_modules, sources, tests or demo', () => {
    const allowed = [
      /^\[Content_Types\]\.xml$/,
      /^extension\.vsixmanifest$/,
      /^extension\/package\.json$/,
      /^extension\/(README|CHANGELOG)\.md$/i,
      /^extension\/LICENSE(\.txt|\.md)?$/i,
      /^extension\/dist\/(client|client-lsp|server|cli)\.js(\.map)?$/,
      /^extension\/dist\/web-tree-sitter\.wasm$/,
      /^extension\/grammars\/.+/,
      /^extension\/threat-catalog\/.+/,
      /^extension\/docs\/rules\/.+/,
      /^extension\/docs\/threats\.md$/,
      // The sidebar icon, the details view's CSS and script, the walkthrough pages.
      /^extension\/media\/.+\.(svg|css|js|md|png)$/,
    ];
    for (const n of names) {
      assert.ok(!n.includes('node_modules/'), `${n}: no node_modules in the VSIX`);
      assert.ok(!/\.(ts|mts|cts|tsx)$/.test(n), `${n}: no TypeScript sources in the VSIX`);
      assert.ok(allowed.some((re) => re.test(n)), `${n} should not be in the VSIX`);
    }
  });

  it('ships the manifest whose main is the client bundle', () => {
    assert.equal(readJson<Manifest>('package.json').main, './dist/client.js');
  });
});

// ---------------------------------------------------------------------------------------------

describe('bundles', () => {
  before(() => {
    const needed = ['client.js', 'client.js.map', 'server.js', 'cli.js', 'web-tree-sitter.wasm'];
    if (needed.some((f) => !existsSync(join(root, 'dist', f)))) run(process.execPath, ['scripts/build.mjs'], 120_000);
  });

  it('the client requires vscode at run time and does not bundle it', () => {
    const code = readFileSync(join(root, 'dist', 'client.js'), 'utf8');
    assert.match(code, /require\(["']vscode["']\)/, 'client.js loads `vscode` with require');
  });

  it('the client bundle holds no language-server or engine code', () => {
    const map = JSON.parse(readFileSync(join(root, 'dist', 'client.js.map'), 'utf8')) as { sources: string[] };
    const sources = map.sources.map((s) => s.split('\\').join('/'));
    assert.ok(sources.some((s) => s.endsWith('client/src/extension.ts')), 'the map covers the client source');
    for (const s of sources) {
      assert.ok(!/node_modules\/vscode\//.test(s), `${s}: vscode must stay external`);
      assert.ok(!/node_modules\/vscode-languageserver\//.test(s), `${s}: server library in the client bundle`);
      assert.ok(!/node_modules\/(web-tree-sitter|tree-sitter-python)\//.test(s), `${s}: parser in the client bundle`);
      if (/(^|\/)server\/src\//.test(s)) {
        assert.ok(s.endsWith('server/src/protocol.ts'), `${s}: only the shared protocol may come from server/src`);
      }
    }
  });

  it('the server and CLI bundles need neither vscode nor import.meta', () => {
    for (const f of ['server.js', 'cli.js']) {
      const code = readFileSync(join(root, 'dist', f), 'utf8');
      assert.doesNotMatch(code, /require\(["']vscode["']\)/, `${f} must not load vscode`);
      assert.doesNotMatch(code, /\bimport\.meta\b/, `${f}: import.meta is undefined in CommonJS`);
    }
  });

  it('the CLI starts with one node hashbang and is executable', () => {
    const cli = join(root, 'dist', 'cli.js');
    const lines = readFileSync(cli, 'utf8').split('\n', 3);
    assert.equal(lines[0], '#!/usr/bin/env node');
    assert.ok(!lines[1]!.startsWith('#!'), 'a single hashbang');
    if (process.platform !== 'win32') assert.ok((statSync(cli).mode & 0o111) !== 0, 'dist/cli.js is executable');
  });
});
