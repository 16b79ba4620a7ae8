/**
 * Bundles the compiled CLI (dist/src/main.js, as tsc wrote it) into a few files in place, so a
 * start loads a handful of files instead of some four hundred modules: on a router, the cameras'
 * DNS is down until a restarted camshim answers, and resolving, reading and compiling modules one
 * by one is most of that time.
 *
 * - The entry replaces dist/src/main.js; the code it loads on demand (one chunk per command, the
 *   metrics listener, log rotation) goes beside it as dist/src/chunk-*.js, so lazy loading stays lazy.
 * - Runtime dependencies are bundled too: an installed copy still ships them (the package does not
 *   change), but they are no longer read from node_modules at start.
 * - Code that finds files next to itself (the bundled lists, package.json, the list-loading worker)
 *   keeps finding them: each module's `import.meta.url` is rewritten to that module's own place
 *   in dist/src, which stays there as tsc wrote it.
 * - Modules kept in CommonJS (pino and its helpers) get a `require` for Node's built-ins.
 * - string-width, which yargs loads for help layout only, is evaluated when first called
 *   (scripts/lazy-string-width.mjs).
 * - Whitespace and comments are dropped and syntax shortened, names kept: V8 holds every loaded
 *   module's source text in the heap for as long as the process runs, so this is memory an idle
 *   daemon keeps (about 1 MB of its RSS), while stack traces still name camshim's functions (the
 *   linked source maps give file and line).
 *
 * Run after tsc (`npm run build`); a main.js that is already a bundle is left as it is.
 */
import { build } from 'esbuild';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'dist/src');
const ENTRY = path.join(OUT, 'main.js');
const MARKER = '/* camshim bundle */';

const entryText = await readFile(ENTRY, 'utf8').catch(() => {
  process.stderr.write(`bundle: ${path.relative(ROOT, ENTRY)} is missing: run tsc -p tsconfig.json first\n`);
  process.exit(1);
});
if (entryText.includes(MARKER)) {
  process.stdout.write('bundle: dist/src/main.js is already a bundle\n');
  process.exit(0);
}
// Chunks of an earlier bundle: their names change with their content.
for (const name of await readdir(OUT)) if (/^chunk-[A-Z0-9]+\.js(\.map)?$/.test(name)) await rm(path.join(OUT, name));

/** Each module's `import.meta.url` as the URL of its file in dist/src, wherever its code lands. */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(builder) {
    builder.onLoad({ filter: /\.[cm]?js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url') && !text.includes('import.meta.dirname')) return undefined;
      if (text.includes('import.meta.dirname')) throw new Error(`${args.path}: import.meta.dirname is not rewritten; use import.meta.url`);
      // Every output file sits in OUT, so one path relative to it is right in whichever file the code lands.
      const relative = path.relative(OUT, args.path).split(path.sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`), loader: 'js' };
    });
  },
};

const LAZY_STRING_WIDTH = path.join(ROOT, 'scripts/lazy-string-width.mjs');

/** Every import of string-width goes through the lazy wrapper, except the wrapper's own. */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(builder) {
    builder.onResolve({ filter: /^string-width$/ }, (args) => (args.importer === LAZY_STRING_WIDTH || args.kind === 'require-call' ? undefined : { path: LAZY_STRING_WIDTH }));
  },
};

await build({
  entryPoints: [ENTRY],
  outdir: OUT,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  sourcemap: 'linked',
  plugins: [ownUrl, lazyStringWidth],
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  banner: { js: `${MARKER}\nimport { createRequire as camshimCreateRequire } from 'node:module';\nconst require = camshimCreateRequire(import.meta.url);` },
});
