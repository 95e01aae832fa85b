// The package as a user gets it: `npm pack`, installed from the tarball into a fresh project,
// where the README's examples run in Node (one on a generated workbook) and in Chromium, and
// TypeScript checks a program against the published types.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFile, mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { join, dirname, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serve, chromium, makeWorkbook } from './support.mjs';

const run = promisify(execFile);
const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const repoRoot = resolve(packageDir, '..', '..');
let project;
let examples;

const PEOPLE = 'Email;Name;Joined\nann@example.com;Ann;2024-01-02\nbob@example;Bob;31/12/2023\n;Cy;2024-13-01\n';

before(async () => {
  project = await mkdtemp(join(tmpdir(), 'sluice-user-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project], { cwd: packageDir });
  const [{ filename, files }] = JSON.parse(stdout);
  for (const path of ['wasm/sluice_parser_simd_bg.wasm', 'wasm/sluice_parser_bg.wasm']) {
    assert.ok(
      files.some((f) => f.path === path),
      `the tarball carries the WebAssembly, both builds (${path})`,
    );
  }
  for (const path of ['wasm/sluice_parser_sheets.js', 'wasm/sluice_parser_sheets_simd_bg.wasm', 'wasm/sluice_parser_sheets_bg.wasm']) {
    assert.ok(
      files.some((f) => f.path === path),
      `the tarball carries the spreadsheet module (${path})`,
    );
  }
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(project, filename)], { cwd: project });
  // The repository's own example file, as a user would try it: the README's example must read it right.
  await copyFile(join(repoRoot, 'examples', 'contacts.csv'), join(project, 'contacts.csv'));
  await writeFile(join(project, 'people.csv'), PEOPLE);
  makeWorkbook(join(project, 'customers.xlsx'));
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  examples = [...readme.matchAll(/```js\n\/\/ example: (node|browser)\n([\s\S]*?)```/g)].map(([, kind, code]) => ({ kind, code }));
});

after(async () => {
  if (project) await rm(project, { recursive: true });
});

test('the README has examples for Node and for browsers', () => {
  assert.deepEqual(
    examples.map((e) => e.kind),
    ['browser', 'node', 'node', 'node', 'node'],
  );
});

test("the README's Node examples run in a fresh project", async () => {
  const outputs = [];
  for (const [i, example] of examples.filter((e) => e.kind === 'node').entries()) {
    const file = join(project, `example-${i}.mjs`);
    await writeFile(file, example.code);
    const { stdout } = await run('node', [file], { cwd: project });
    outputs.push(stdout);
  }
  assert.match(outputs[0], /^email ← E-mail Address, born ← DOB$/m);
  assert.match(outputs[0], /^8 valid rows; 3 errors$/m);
  assert.match(outputs[0], /^row 3, line 4, email: must have a domain after the @, such as example\.com$/m);
  assert.match(outputs[0], /^row 9, line 11, born: is not a real date: that month has no such day/m);
  assert.match(outputs[0], /'1 \| Ada \| Lovelace \| ada@example\.com'/);
  assert.match(outputs[1], /'Notes: 2 rows', 'Chart: 0 rows', 'Customers: 6 rows'/);
  assert.match(outputs[1], /^xlsx 4$/m);
  assert.match(outputs[1], /^Customers!D6: formula_error$/m);
  assert.match(outputs[1], /^0044 20 7946 0001$/m);
  assert.match(outputs[2], /^;$/m);
  assert.match(outputs[2], /'2:email:email_invalid_domain', '2:score:not_an_integer'/);
  assert.match(outputs[2], /'ann@example\.com', '12'/);
  assert.match(outputs[3], /^2 \[ 1, 2 \]$/m);
});

test("the README's browser example runs in Chromium from the installed package", async () => {
  const example = examples.find((e) => e.kind === 'browser').code;
  const page = `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": { "@sluice/parser": "/node_modules/@sluice/parser/src/browser.js" } }</script>
<input type="file">
<script type="module">
  import { importFile } from '/example.js';
  window.importFile = importFile;
  window.ready = true;
</script>`;
  const server = await serve(project, { '/index.html': page, '/example.js': example });
  const browser = await chromium();
  try {
    const tab = await browser.context.newPage();
    await tab.goto(`${server.url}/index.html`);
    await tab.waitForFunction(() => window.ready === true);
    await tab.setInputFiles('input[type=file]', join(project, 'people.csv'));
    const result = await tab.evaluate(() => window.importFile(document.querySelector('input').files[0], () => {}));
    assert.equal(result.shipped, 1);
    assert.equal(result.invalid, 2);
    assert.deepEqual(
      result.errors.map((e) => [e.row, e.column, e.code]),
      [
        [2, 'email', 'email_invalid_domain'],
        [3, 'email', 'required'],
        [3, 'joined', 'date_does_not_exist'],
      ],
    );
  } finally {
    await browser.close();
    await server.close();
  }
});

test('a TypeScript program type-checks against the published types', async () => {
  await writeFile(
    join(project, 'check.ts'),
    `
import { listSheets, parseFile, Parser, readRows, type Schema, type SheetInfo, type Summary } from '@sluice/parser';
const schema: Schema = { version: 1, columns: [{ key: 'email', type: 'email', required: true }] };
export async function main(file: Blob): Promise<number> {
  const job = parseFile(file, { schema, onProgress: (p) => console.log(p.rows, p.totalBytes) });
  let rows = 0;
  for await (const batch of job) rows += batch.rowCount;
  const summary: Summary = await job.summary;
  const page = await readRows(file, { summary, schema, from: 1, to: 10 });
  const sheets: SheetInfo[] = await listSheets(file);
  const parser = new Parser({ schema, batches: false, reader: { sheet: sheets[0]?.name, header: 4 } });
  parser.feed(new Uint8Array(0));
  return rows + page.length + parser.finish().report.errorCount;
}
`,
  );
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'] },
      files: ['check.ts'],
    }),
  );
  await run(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', project], { cwd: project });
});
