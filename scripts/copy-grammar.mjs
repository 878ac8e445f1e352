#!/usr/bin/env node
// Copies the Python grammar that tree-sitter-python ships as WebAssembly into grammars/, and
// writes grammars/tree-sitter-python.json: which package and version it came from, and its sha256.
//
//   node scripts/copy-grammar.mjs           copy the wasm and (re)write the record
//   node scripts/copy-grammar.mjs --check   exit 1 when the committed wasm or record differs from
//                                           the installed package (CI runs this)
//
// The grammar is committed so that a build never depends on how npm laid out node_modules, and so
// that a grammar update shows up as one reviewable commit (wasm + record).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = 'tree-sitter-python';
const FILE = 'tree-sitter-python.wasm';
const pkgDir = join(root, 'node_modules', PACKAGE);
const source = join(pkgDir, FILE);
const grammarsDir = join(root, 'grammars');
const target = join(grammarsDir, FILE);
const recordPath = join(grammarsDir, 'tree-sitter-python.json');

const check = process.argv.includes('--check');

function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The tree-sitter ABI version the grammar was generated for; undefined when it cannot be read. */
async function readAbi(wasmPath) {
  try {
    const { Parser, Language } = await import('web-tree-sitter');
    await Parser.init();
    const language = await Language.load(readFileSync(wasmPath));
    return typeof language.abiVersion === 'number' ? language.abiVersion : undefined;
  } catch (err) {
    console.warn(`copy-grammar: could not read the grammar's ABI version (${err?.message ?? err}); leaving it out`);
    return undefined;
  }
}

function fail(message) {
  console.error(`copy-grammar: ${message}`);
  process.exit(1);
}

if (!existsSync(source)) {
  fail(`${relative(root, source)} is missing: run \`npm ci\` first`);
}

const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
const expected = {
  package: PACKAGE,
  version,
  file: FILE,
  sha256: sha256(source),
};
const abi = await readAbi(source);
if (abi !== undefined) expected.abi = abi;

if (check) {
  const problems = [];
  if (!existsSync(target)) {
    problems.push(`${relative(root, target)} is missing`);
  } else if (sha256(target) !== expected.sha256) {
    problems.push(`${relative(root, target)} differs from ${PACKAGE}@${version}'s wasm`);
  }
  if (!existsSync(recordPath)) {
    problems.push(`${relative(root, recordPath)} is missing`);
  } else {
    let record;
    try {
      record = JSON.parse(readFileSync(recordPath, 'utf8'));
    } catch (err) {
      problems.push(`${relative(root, recordPath)} is not valid JSON: ${err.message}`);
    }
    if (record) {
      for (const key of ['package', 'version', 'file', 'sha256']) {
        if (record[key] !== expected[key]) {
          problems.push(`record.${key} is ${JSON.stringify(record[key])}, installed package gives ${JSON.stringify(expected[key])}`);
        }
      }
      if (record.abi !== undefined && expected.abi !== undefined && record.abi !== expected.abi) {
        problems.push(`record.abi is ${record.abi}, the installed wasm reports ${expected.abi}`);
      }
    }
  }
  if (problems.length > 0) {
    for (const p of problems) console.error(`copy-grammar: ${p}`);
    fail('the committed grammar is out of date: run `npm run grammar` and commit grammars/');
  }
  console.log(`copy-grammar: grammars/${FILE} matches ${PACKAGE}@${version} (sha256 ${expected.sha256.slice(0, 12)}…)`);
} else {
  mkdirSync(grammarsDir, { recursive: true });
  copyFileSync(source, target);
  writeFileSync(recordPath, `${JSON.stringify(expected, null, 2)}\n`);
  console.log(`copy-grammar: wrote grammars/${FILE} and grammars/tree-sitter-python.json (${PACKAGE}@${version}${abi !== undefined ? `, ABI ${abi}` : ''})`);
}
