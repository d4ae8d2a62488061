// Bundles each function (and the all-in-one host and the CLI) into dist/ with esbuild: one ESM file
// each, so a function starts without a TypeScript loader and knative/func can ship it on its own.
// Packages with native code, WASM or data files stay external and load from node_modules.
import { build } from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const functions = readdirSync(join(root, 'functions'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'functions', d.name, 'main.ts')))
  .map((d) => d.name);

const entryPoints = Object.fromEntries([
  ...functions.map((name) => [`functions/${name}`, join(root, 'functions', name, 'main.ts')]),
  ['cli', join(root, 'cli', 'main.ts')],
  ['service-mode', join(root, 'dev', 'local-knative', 'main.ts')],
]);

await build({
  entryPoints,
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  // Split shared code into chunks and keep lazily imported modules out of the entry file: a
  // function parses only what it runs (start-up time is dominated by parsing on small machines).
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  external: ['@electric-sql/pglite', '@duckdb/node-api', 'pg-native', 'pino'],
  // Bundled CommonJS dependencies still call require(); give ESM output one.
  banner: { js: "import { createRequire as __fsCreateRequire } from 'node:module'; const require = __fsCreateRequire(import.meta.url);" },
});
console.log(`built ${Object.keys(entryPoints).length} bundles in dist/: ${Object.keys(entryPoints).join(', ')}`);
