#!/usr/bin/env node
// Ruff's security rules (flake8-bandit, `S`) over a list of files, for `npm run bench`.
//
//   node bench/ruff-check.mjs <list-file>
//
// Uses @astral-sh/ruff-wasm-nodejs from bench/toolchain/node_modules (installed there with
// `npm ci` by scripts/bench.mjs; never a dependency of ThreatLens). <list-file> holds one path per
// line, relative to the working directory. Each file is read and checked with one `Workspace`
// (`lint.select: ["S"]`), the way ThreatLens's CLI reads and analyses one file at a time. The
// process is timed from the outside; on stdout it prints one JSON object with what it saw.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const started = performance.now();
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, 'toolchain', 'package.json'));
const { Workspace, PositionEncoding } = require('@astral-sh/ruff-wasm-nodejs');

const listFile = process.argv[2];
if (!listFile) {
  console.error('usage: ruff-check.mjs <list-file>');
  process.exit(2);
}
const workspace = new Workspace({ lint: { select: ['S'] } }, PositionEncoding.Utf16);
const startupMs = performance.now() - started;
const paths = readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
let findings = 0;
let syntaxErrors = 0;
let failures = 0;
let checkMs = 0;
for (const p of paths) {
  const text = readFileSync(p, 'utf8');
  const t0 = performance.now();
  try {
    const diagnostics = workspace.check(text);
    for (const d of diagnostics) {
      if (d.code && d.code.startsWith('S')) findings++;
      else syntaxErrors++;
    }
  } catch {
    failures++;
  }
  checkMs += performance.now() - t0;
}
process.stdout.write(`${JSON.stringify({ files: paths.length, findings, syntaxErrors, failures, startupMs, checkMs, version: Workspace.version() })}\n`);
