// The npm packages' types as a user gets them: @sluice/widget, @sluice/react, @sluice/vue and
// @sluice/parser packed (`npm pack`), installed from the tarballs (React and Vue from npm's
// cache) into a fresh project, and a program using each API type-checked by tsc under the
// module resolutions apps use: bundler, node16 and nodenext. Each program holds a wrong call
// marked `@ts-expect-error`, so types that resolved to `any` fail the check too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { root } from './support.mjs';

const run = promisify(execFile);
const PACKAGES = ['widget-js', 'widget-js/react', 'widget-js/vue', 'parser-wasm/npm'];
const RESOLUTIONS = { bundler: 'esnext', node16: 'node16', nodenext: 'nodenext' };
let project;

const PROGRAMS = {
  'widget.ts': `
import { CSVBoxImporter, importer, type ImporterConfig, type ImportResult } from '@sluice/widget';
const config: ImporterConfig = { importer: 'contacts', server: 'https://sluice.example.com', preload: 'idle', onComplete: (result: ImportResult) => console.log(result.rows) };
importer(config).preload().open().close();
// @ts-expect-error the importer key is required
importer({ server: 'https://sluice.example.com' });
// @ts-expect-error a result's rows are a number (a type from another declaration file: \`any\` if that import failed)
export const rows: ImportResult['rows'] = 'many';
// @ts-expect-error preload is 'none' or 'idle'
importer({ importer: 'contacts', preload: 'eager' });
new CSVBoxImporter('contacts', {}, (ok: boolean) => ok).setDynamicColumns([{ column_name: 'team', type: 'dropdown', validators: { values: ['red'] } }]);
`,
  'react.ts': `
import { createElement, type ReactNode } from 'react';
import { SluiceImporter, useSluiceImporter, type SluiceImporterHandle } from '@sluice/react';
export function App(): ReactNode {
  const handle: SluiceImporterHandle = useSluiceImporter({ importer: 'contacts', onClose: () => undefined });
  const open: boolean = handle.isOpen;
  // @ts-expect-error the hook needs the importer key
  useSluiceImporter({ server: 'https://sluice.example.com' });
  return createElement(SluiceImporter, { importer: 'contacts', disabled: open, onComplete: (result) => console.log(result.rows) });
}
`,
  'vue.ts': `
import { h } from 'vue';
import { SluiceImporter, type ImportResult } from '@sluice/vue';
export const node = h(SluiceImporter, { importer: 'contacts', onComplete: (result: ImportResult) => console.log(result.rows) });
// @ts-expect-error the importer key is a string
export const wrong = h(SluiceImporter, { importer: 42 });
`,
  'parser.ts': `
import { parseFile, type Schema, type Summary } from '@sluice/parser';
const schema: Schema = { version: 1, columns: [{ key: 'email', type: 'email', required: true }] };
export async function rows(file: Blob): Promise<number> {
  const summary: Summary = await parseFile(file, { schema }).summary;
  return summary.report.validRows;
}
// @ts-expect-error the schema format is version 1
export const wrong: Schema = { version: 2, columns: [] };
`,
};

before(async () => {
  project = await mkdtemp(join(tmpdir(), 'sluice-types-'));
  const tarballs = [];
  for (const dir of PACKAGES) {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project], { cwd: join(root, dir) });
    const [{ filename, files }] = JSON.parse(stdout);
    assert.ok(
      files.some((f) => f.path === 'LICENSE'),
      `${dir}'s tarball carries the LICENSE`,
    );
    tarballs.push(join(project, filename));
  }
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')).packages;
  const pinned = ['react', '@types/react', 'vue'].map((name) => `${name}@${lock[`node_modules/${name}`].version}`);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, ...pinned], { cwd: project });
  for (const [name, code] of Object.entries(PROGRAMS)) await writeFile(join(project, name), code);
});

after(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

for (const [resolution, module] of Object.entries(RESOLUTIONS)) {
  test(`the packages' types check under moduleResolution ${resolution}, and a wrong call is an error`, async () => {
    const tsconfig = join(project, `tsconfig.${resolution}.json`);
    await writeFile(
      tsconfig,
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module,
          moduleResolution: resolution,
          target: 'es2022',
          lib: ['es2022', 'dom'],
          types: [],
          skipLibCheck: false,
        },
        files: Object.keys(PROGRAMS),
      }),
    );
    const tsc = join(root, 'node_modules/.bin/tsc');
    const result = await run(tsc, ['-p', tsconfig], { cwd: project }).catch((error) => error);
    assert.equal(result.code ?? 0, 0, `tsc (${resolution}):\n${result.stdout}`);
  });
}
