#!/usr/bin/env node
// Bundles ThreatLens with esbuild into dist/:
//
//   dist/client.js             the VS Code extension (client/src/extension.ts; `vscode` stays external)
//   dist/server.js             the language server (server/src/server.ts)
//   dist/cli.js                the command-line scanner (server/src/cli/main.ts), executable
//   dist/web-tree-sitter.wasm  the tree-sitter runtime the server and the CLI load
//
//   node scripts/build.mjs                 development build (source maps, not minified)
//   node scripts/build.mjs --production    minified (what `npm run package` ships)
//   node scripts/build.mjs --watch         rebuild on every change
//
// Everything a bundle needs at run time is inside it, so the VSIX ships no node_modules.
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
for (const a of args) {
  if (!['--production', '--watch'].includes(a)) {
    console.error(`build: unknown option ${a} (use --production and/or --watch)`);
    process.exit(2);
  }
}

const dist = join(root, 'dist');
const rel = (p) => relative(root, p).split('\\').join('/');

// web-tree-sitter's ES module build locates itself through `import.meta.url`, which does not exist
// in CommonJS output. Give it the bundle's own file URL instead. (The engine passes `locateFile`
// to Parser.init anyway, but `createRequire(import.meta.url)` runs regardless.)
const IMPORT_META_URL = '__threatlens_import_meta_url';
// The banner repeats "use strict" because a directive only counts as the first statement.
const importMetaBanner = `"use strict";\nvar ${IMPORT_META_URL} = require("url").pathToFileURL(__filename).href;`;

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  minify: production,
  keepNames: false,
  legalComments: production ? 'none' : 'inline',
  logLevel: 'warning',
  absWorkingDir: root,
  define: {
    'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development'),
    'import.meta.url': IMPORT_META_URL,
  },
};

/** Runs after every (re)build of a bundle: reports the size, and makes the CLI executable. */
function afterBuild(outfile, { executable = false } = {}) {
  return {
    name: 'threatlens-after-build',
    setup(build) {
      build.onEnd((result) => {
        if (result.errors.length > 0) return;
        if (executable && existsSync(outfile)) chmodSync(outfile, 0o755);
        if (existsSync(outfile)) {
          const kb = (readFileSync(outfile).length / 1024).toFixed(1);
          console.log(`build: ${rel(outfile)} ${kb} KiB${production ? ' (minified)' : ''}`);
        }
      });
    },
  };
}

function bundle({ entry, outfile, external = [], hashbang = false, minify = production }) {
  const entryPath = join(root, entry);
  const out = join(dist, outfile);
  // If the entry file carries its own `#!` line esbuild keeps it at the top; do not add a second.
  const entryHasHashbang = readFileSync(entryPath, 'utf8').startsWith('#!');
  const banner = [hashbang && !entryHasHashbang ? '#!/usr/bin/env node' : '', importMetaBanner]
    .filter(Boolean)
    .join('\n');
  return {
    ...common,
    minify,
    entryPoints: [entryPath],
    outfile: out,
    external,
    banner: { js: banner },
    plugins: [afterBuild(out, { executable: hashbang })],
  };
}

const configs = [
  // The client is always minified: VS Code evaluates it at start-up, and every millisecond of
  // parsing counts against the activation budget (the source map keeps it debuggable).
  // The language client is a bundle of its own that client.js requires after activation.
  bundle({ entry: 'client/src/extension.ts', outfile: 'client.js', external: ['vscode', './client-lsp.js'], minify: true }),
  bundle({ entry: 'client/src/lsp.ts', outfile: 'client-lsp.js', external: ['vscode'], minify: true }),
  bundle({ entry: 'server/src/server.ts', outfile: 'server.js' }),
  bundle({ entry: 'server/src/cli/main.ts', outfile: 'cli.js', hashbang: true }),
];

function copyRuntimeWasm() {
  const from = join(root, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.wasm');
  if (!existsSync(from)) {
    console.error('build: node_modules/web-tree-sitter/web-tree-sitter.wasm is missing: run `npm ci`');
    process.exit(1);
  }
  mkdirSync(dist, { recursive: true });
  copyFileSync(from, join(dist, 'web-tree-sitter.wasm'));
}

copyRuntimeWasm();

if (watch) {
  const contexts = await Promise.all(configs.map((c) => esbuild.context(c)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('build: watching for changes (Ctrl+C to stop)');
} else {
  const started = Date.now();
  try {
    const results = await Promise.all(configs.map((c) => esbuild.build(c)));
    const warnings = results.reduce((n, r) => n + r.warnings.length, 0);
    console.log(`build: done in ${Date.now() - started} ms${warnings ? `, ${warnings} warning(s)` : ''}`);
  } catch {
    // esbuild has already printed the errors.
    process.exit(1);
  }
}
