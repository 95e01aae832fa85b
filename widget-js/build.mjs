// Builds @sluice/widget into dist/ with esbuild: the loader as a classic script (sluice.js, for
// a script tag) and as a module (loader.mjs, for npm, with its types), the importer app and its
// parser worker as modules, its stylesheet, and the parser's two WebAssembly modules (the
// spreadsheet one fetched only for a workbook); writes a .gz beside each file for the server to
// embed; checks the size budgets (loader ≤ 5 KB, app ≤ 60 KB gzipped, WASM not counted).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const parser = join(here, '../parser-wasm/npm');
const BUDGETS = { loader: 5 * 1024, app: 60 * 1024 };

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'app'), { recursive: true });
mkdirSync(join(dist, 'wasm'), { recursive: true });

const common = { bundle: true, minify: true, target: 'es2022', legalComments: 'none', logLevel: 'warning', alias: { '@sluice/parser': join(parser, 'src/browser.js') } };
await build({ ...common, entryPoints: [join(here, 'src/global.ts')], outfile: join(dist, 'sluice.js'), format: 'iife' });
await build({ ...common, entryPoints: [join(here, 'src/loader.ts')], outfile: join(dist, 'loader.mjs'), format: 'esm' });
await build({ ...common, entryPoints: [join(here, 'src/app/main.ts')], outfile: join(dist, 'app/app.js'), format: 'esm' });
await build({ ...common, entryPoints: [join(parser, 'src/worker.js')], outfile: join(dist, 'app/worker.js'), format: 'esm' });
// The npm package's types, from the loader's source.
execFileSync(join(here, '../node_modules/.bin/tsc'), [join(here, 'src/loader.ts'), '--declaration', '--emitDeclarationOnly', '--outDir', join(dist, 'types'),
  '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', '--strict', '--skipLibCheck', '--lib', 'es2022,dom'], { stdio: 'inherit' });
copyFileSync(join(here, 'src/app/app.css'), join(dist, 'app/app.css'));
copyFileSync(join(parser, 'wasm/sluice_parser_bg.wasm'), join(dist, 'wasm/sluice_parser_bg.wasm'));
copyFileSync(join(parser, 'wasm/sluice_parser_sheets_bg.wasm'), join(dist, 'wasm/sluice_parser_sheets_bg.wasm'));

const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
for (const file of walk(dist)) writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));

const sizes = {
  loader: gz(join(dist, 'sluice.js')),
  app: gz(join(dist, 'app/app.js')) + gz(join(dist, 'app/worker.js')) + gz(join(dist, 'app/app.css')),
  wasm: gz(join(dist, 'wasm/sluice_parser_bg.wasm')),
  sheetsWasm: gz(join(dist, 'wasm/sluice_parser_sheets_bg.wasm')),
};
console.log(`widget: loader ${sizes.loader} B gzipped (budget ${BUDGETS.loader}); app ${sizes.app} B gzipped (app.js + worker.js + app.css; budget ${BUDGETS.app}); parser WebAssembly ${sizes.wasm} B gzipped, with spreadsheets ${sizes.sheetsWasm} B gzipped, loaded for a workbook only (neither counted)`);
writeFileSync(join(dist, 'sizes.json'), `${JSON.stringify(sizes)}\n`);
if (sizes.loader > BUDGETS.loader || sizes.app > BUDGETS.app) {
  console.error('widget: over the size budget');
  process.exit(1);
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (!name.endsWith('.gz') && !name.endsWith('.d.ts')) yield path;
  }
}
