// Builds @sluice/widget into dist/ with esbuild: the loader as a classic script (sluice.js, for
// a script tag) and as a module (loader.mjs, for npm, with its types), the importer app and its
// parser worker as modules, its stylesheet, and the parser's two WebAssembly modules (the
// spreadsheet one fetched only for a workbook), each as its simd128 and its scalar build (the
// worker fetches the one the browser runs); then @sluice/react and @sluice/vue (react/dist,
// vue/dist). The app's files get content-hashed names (app/app.3f9c….js), which the server
// serves as immutable and finds through dist/manifest.json; the loader keeps its name. Writes a
// .gz beside each file for the server to embed; writes only files whose bytes changed, so that
// an unchanged tree leaves dist/ untouched and the server is not rebuilt; checks the size
// budgets (loader ≤ 5 KB, app ≤ 62 KB gzipped, WASM not counted).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const parser = join(here, '../parser-wasm/npm');
const tsc = join(here, '../node_modules/.bin/tsc');
const BUDGETS = { loader: 5 * 1024, app: 62 * 1024 };

const common = {
  bundle: true,
  minify: true,
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
  write: false,
  alias: { '@sluice/parser': join(parser, 'src/browser.js') },
};

/** dist/'s files by path: their bytes, before hashing. */
const files = new Map();
const bundle = async (entry, out, format) => {
  const result = await build({ ...common, entryPoints: [entry], outfile: join(dist, out), format });
  files.set(out, Buffer.from(result.outputFiles[0].contents));
};
await bundle(join(here, 'src/global.ts'), 'sluice.js', 'iife');
await bundle(join(here, 'src/loader.ts'), 'loader.mjs', 'esm');
await bundle(join(here, 'src/app/main.ts'), 'app/app.js', 'esm');
await bundle(join(parser, 'src/worker.js'), 'app/worker.js', 'esm');
files.set('app/app.css', readFileSync(join(here, 'src/app/app.css')));
const WASM = ['sluice_parser_simd_bg.wasm', 'sluice_parser_bg.wasm', 'sluice_parser_sheets_simd_bg.wasm', 'sluice_parser_sheets_bg.wasm'];
for (const name of WASM) files.set(`wasm/${name}`, readFileSync(join(parser, 'wasm', name)));

const manifest = hashNames(files);
const sizes = {
  loader: gz(files.get('sluice.js')),
  app: gz(files.get(manifest['app/app.js'])) + gz(files.get(manifest['app/worker.js'])) + gz(files.get(manifest['app/app.css'])),
  wasm: gz(files.get(manifest['wasm/sluice_parser_simd_bg.wasm'])),
  scalarWasm: gz(files.get(manifest['wasm/sluice_parser_bg.wasm'])),
  sheetsWasm: gz(files.get(manifest['wasm/sluice_parser_sheets_simd_bg.wasm'])),
  scalarSheetsWasm: gz(files.get(manifest['wasm/sluice_parser_sheets_bg.wasm'])),
};
for (const [path, bytes] of [...files]) files.set(`${path}.gz`, gzipSync(bytes, { level: 9 }));
files.set('manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
files.set('sizes.json', Buffer.from(`${JSON.stringify(sizes)}\n`));
const loaderTypes = [
  join(here, 'src/loader.ts'),
  '--declaration',
  '--emitDeclarationOnly',
  '--target',
  'es2022',
  '--module',
  'esnext',
  '--moduleResolution',
  'bundler',
  '--strict',
  '--skipLibCheck',
  '--lib',
  'es2022,dom',
];
for (const [path, bytes] of declarations(loaderTypes)) files.set(`types/${path}`, bytes);
sync(dist, files);
await buildPackage('react', ['react', 'react/jsx-runtime', '@sluice/widget']);
await buildPackage('vue', ['vue', '@sluice/widget']);

console.log(
  `widget: loader ${sizes.loader} B gzipped (budget ${BUDGETS.loader}); app ${sizes.app} B gzipped (app.js + worker.js + app.css; budget ${BUDGETS.app}); parser WebAssembly ${sizes.wasm} B gzipped (scalar build ${sizes.scalarWasm} B), with spreadsheets ${sizes.sheetsWasm} B gzipped (scalar ${sizes.scalarSheetsWasm} B), loaded for a workbook only (none counted)`,
);
if (sizes.loader > BUDGETS.loader || sizes.app > BUDGETS.app) {
  console.error('widget: over the size budget');
  process.exit(1);
}

function gz(bytes) {
  return gzipSync(bytes, { level: 9 }).length;
}

/**
 * Renames the app's files to content-hashed names, leaves first (the WebAssembly, then the
 * worker that loads it, then the app that starts the worker), rewriting each reference in the
 * files that name it; returns the manifest, original path → hashed path.
 */
function hashNames(files) {
  const manifest = {};
  const order = [
    ...WASM.map((name) => [`wasm/${name}`, `../wasm/${name}`, ['app/worker.js', 'app/app.js']]),
    ['app/worker.js', './worker.js', ['app/app.js']],
    ['app/app.js', null, []],
    ['app/app.css', null, []],
  ];
  for (const [path, reference, users] of order) {
    const bytes = files.get(path);
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    const hashed = path.replace(/(\.[a-z]+)$/, `.${hash}$1`);
    for (const user of users) {
      const text = files.get(user).toString('utf8');
      const quoted = new RegExp(`(["'\`])${reference.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\1`, 'g');
      if (reference && quoted.test(text)) files.set(user, Buffer.from(text.replace(quoted, `$1${reference.replace(/[^/]+$/, hashed.split('/').pop())}$1`)));
    }
    files.delete(path);
    files.set(hashed, bytes);
    manifest[path] = hashed;
  }
  const app = files.get(manifest['app/app.js']).toString('utf8');
  if (!app.includes(manifest['app/worker.js'].split('/').pop()))
    throw new Error('build: the app does not name its worker as expected (new URL("./worker.js", import.meta.url))');
  return manifest;
}

/** The declarations tsc emits (`args`: a file, or `-p` and a tsconfig), by path. */
function declarations(args) {
  const out = mkdtempSync(join(tmpdir(), 'sluice-types-'));
  try {
    execFileSync(tsc, [...args, '--outDir', out], { stdio: 'inherit' });
    return [...walk(out)].map((file) => [relative(out, file), readFileSync(file)]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** A framework package (widget-js/<name>/): its module bundled, the frameworks and the loader left to the app; its types (tsconfig.json there). */
async function buildPackage(name, external) {
  const root = join(here, name);
  const result = await build({
    ...common,
    minify: false,
    entryPoints: [join(root, 'src/index.ts')],
    outfile: join(root, 'dist/index.mjs'),
    format: 'esm',
    external,
  });
  const out = new Map([['index.mjs', Buffer.from(result.outputFiles[0].contents)]]);
  for (const [path, bytes] of declarations(['-p', join(root, 'tsconfig.json')])) out.set(path, bytes);
  sync(join(root, 'dist'), out);
}

/** Makes `dir` hold exactly `wanted` (path → bytes), writing only what differs; `prune` removes the rest. */
function sync(dir, wanted, prune = true) {
  for (const [path, bytes] of wanted) {
    const file = join(dir, path);
    if (existsSync(file) && readFileSync(file).equals(bytes)) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  }
  if (!prune || !existsSync(dir)) return;
  for (const file of walk(dir)) if (!wanted.has(relative(dir, file))) rmSync(file);
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
