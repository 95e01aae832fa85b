// The two builds of each WebAssembly module, simd128 and scalar: the package loads the simd128
// one where the engine validates the SIMD probe, and each build, forced, gives the same batches
// and report on the same file, in Node (one child process per build: the choice is made when
// the package is imported) and in headless Chromium (parseFile's Worker, one per parse).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serve, chromium, makeWorkbook } from './support.mjs';
import { simdSupported, chooseSimd } from '../src/simd.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const schema = {
  version: 1,
  columns: [
    { key: 'id', type: 'integer', required: true, unique: true },
    { key: 'name', type: 'text', required: true },
    { key: 'email', type: 'email' },
    { key: 'amount', type: 'number' },
    { key: 'since', type: 'date' },
  ],
};

/** Quoted names with commas, escaped quotes and line breaks, errors every few rows, a duplicate id. */
function sample(rows) {
  const lines = ['id,name,email,amount,since'];
  for (let i = 1; i <= rows; i += 1) {
    const name = i % 7 === 0 ? `"Doe, ""J"" ${i}\nsecond line"` : `Name ${i}`;
    const email = i % 11 === 0 ? 'not-an-email' : `u${i}@example.com`;
    const amount = i % 13 === 0 ? 'x' : `${i}.25`;
    lines.push(`${i % 500 === 0 ? 1 : i},${name},${email},${amount},2024-0${1 + (i % 9)}-1${i % 10}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

let dir;
let csvPath;
let bookPath;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-simd-'));
  csvPath = join(dir, 'contacts.csv');
  await writeFile(csvPath, sample(20000));
  bookPath = join(dir, 'customers.xlsx');
  makeWorkbook(bookPath);
});

after(async () => {
  if (dir) await rm(dir, { recursive: true });
});

test('the probe finds SIMD in Node and Chromium, and a forced choice is kept', () => {
  assert.equal(simdSupported, true, 'Node ≥ 18 runs WebAssembly SIMD');
  assert.equal(chooseSimd(undefined), true);
  assert.equal(chooseSimd(false), false);
  assert.equal(chooseSimd(true), true);
});

/** Parses `path` in a fresh Node process with the package's choice (`env`); returns what it read. */
function parseInNode(path, options, env) {
  const script = `
    import { createHash } from 'node:crypto';
    import { parseFile, wasmSimd } from ${JSON.stringify(join(root, 'src/node.js'))};
    const job = parseFile(process.argv[1], JSON.parse(process.argv[2]));
    const hash = createHash('sha256');
    let rows = 0;
    for await (const batch of job) { hash.update(batch.bytes); rows += batch.rowCount; }
    const summary = await job.summary;
    console.log(JSON.stringify({ simd: wasmSimd(), rows, batches: hash.digest('hex'), report: summary.report, rowIndex: summary.rowIndex }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, path, JSON.stringify(options)], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

const workbookOptions = {
  schema,
  reader: { sheet: 'Customers' },
  mapping: { columns: { id: 'Customer ID', name: 'First Name', email: 'E-mail Address' } },
};

test('in Node, the simd128 and the scalar builds give identical batches and reports, for CSV and a workbook', () => {
  for (const [path, options] of [
    [csvPath, { schema }],
    [bookPath, workbookOptions],
  ]) {
    const simd = parseInNode(path, options, { SLUICE_PARSER_SIMD: '' });
    const scalar = parseInNode(path, options, { SLUICE_PARSER_SIMD: '0' });
    assert.equal(simd.simd, true, 'Node loads the simd128 build by default');
    assert.equal(scalar.simd, false, 'SLUICE_PARSER_SIMD=0 loads the scalar build');
    assert.ok(simd.rows > 0 && simd.report.invalidRows > 0, 'the file has valid and invalid rows');
    assert.deepEqual(scalar, { ...simd, simd: false });
  }
});

const page = `<!doctype html><meta charset="utf-8"><title>sluice simd test</title>
<input type="file" id="file">
<script type="module">
  import * as sluice from '/src/browser.js';
  window.parse = async (options) => {
    const job = sluice.parseFile(document.getElementById('file').files[0], options);
    const parts = [];
    let rows = 0;
    for await (const batch of job) { parts.push(batch.bytes.slice()); rows += batch.rowCount; }
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
    const summary = await job.summary;
    const batches = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    return { simd: summary.simd, rows, batches, report: summary.report, rowIndex: summary.rowIndex };
  };
  window.ready = true;
</script>`;

test('in Chromium, parseFile runs the simd128 build unless told otherwise, and both builds read files alike', async () => {
  const server = await serve(root, { '/test.html': page });
  const browser = await chromium();
  try {
    const tab = await browser.context.newPage();
    const fetched = [];
    tab.on('request', (request) => fetched.push(new URL(request.url()).pathname));
    await tab.goto(`${server.url}/test.html`);
    await tab.waitForFunction(() => window.ready === true);
    for (const [path, options] of [
      [csvPath, { schema }],
      [bookPath, workbookOptions],
    ]) {
      await tab.setInputFiles('#file', path);
      const detected = await tab.evaluate((o) => window.parse(o), options);
      const scalar = await tab.evaluate((o) => window.parse({ ...o, simd: false }), options);
      assert.equal(detected.simd, true, 'Chromium validates the SIMD probe');
      assert.equal(scalar.simd, false, 'simd: false loads the scalar build');
      assert.deepEqual(scalar, { ...detected, simd: false });
      assert.deepEqual(detected, parseInNode(path, options, { SLUICE_PARSER_SIMD: '' }), 'Chromium reads the file as Node does');
    }
    const wasm = fetched.filter((path) => path.endsWith('.wasm'));
    assert.deepEqual(wasm, [
      '/wasm/sluice_parser_simd_bg.wasm',
      '/wasm/sluice_parser_bg.wasm',
      '/wasm/sluice_parser_simd_bg.wasm',
      '/wasm/sluice_parser_sheets_simd_bg.wasm',
      '/wasm/sluice_parser_bg.wasm',
      '/wasm/sluice_parser_sheets_bg.wasm',
    ]);
  } finally {
    await browser.close();
    await server.close();
  }
});
