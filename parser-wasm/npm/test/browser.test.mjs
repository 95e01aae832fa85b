// The package in headless Chromium: parseFile in its Worker with real Files (from disk, as a
// file input gives them), progress, cancellation, encodings decoded by the browser, hostile
// inputs with bounded memory, a refused file's details, a workbook (the spreadsheet module
// fetched for it alone), chunking invariance and readRows on the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serve, chromium, makeWorkbook } from './support.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const schema = {
  version: 1,
  columns: [
    { key: 'id', type: 'integer', required: true, unique: true },
    { key: 'name', type: 'text', required: true },
    { key: 'email', type: 'email' },
    { key: 'amount', type: 'number' },
  ],
};

const page = `<!doctype html><meta charset="utf-8"><title>sluice parser test</title>
<input type="file" id="file">
<script type="module">
  import * as sluice from '/src/browser.js';
  window.sluice = sluice;
  window.fileInput = () => document.getElementById('file').files[0];
  window.parse = async (options) => {
    const progress = [];
    const job = sluice.parseFile(window.fileInput(), { ...options, onProgress: (p) => progress.push(p) });
    let rows = 0, batches = 0;
    for await (const batch of job) { rows += batch.rowCount; batches += 1; }
    return { rows, batches, progress: progress.length, last: progress.at(-1), summary: await job.summary };
  };
  window.ready = true;
</script>`;

let server;
let browser;
let tab;
let dir;

before(async () => {
  server = await serve(root, { '/test.html': page });
  browser = await chromium();
  tab = await browser.context.newPage();
  tab.on('pageerror', (error) => console.error('page error:', error));
  await tab.goto(`${server.url}/test.html`);
  await tab.waitForFunction(() => window.ready === true);
  dir = await mkdtemp(join(tmpdir(), 'sluice-browser-'));
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true });
});

async function pick(name, bytes) {
  const path = join(dir, name);
  await writeFile(path, bytes);
  await tab.setInputFiles('#file', path);
}

function bigCsv(rows) {
  const lines = ['id,name,email,amount'];
  for (let i = 1; i <= rows; i += 1) lines.push(`${i},"Doe, ${i}",u${i}@example.com,${i % 10 === 0 ? 'x' : `${i}.5`}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

test('parseFile reads a real File in a Worker with progress, batches and a summary', async () => {
  await pick('contacts.csv', bigCsv(30000));
  const workers = [];
  tab.on('worker', (worker) => workers.push(worker.url()));
  const result = await tab.evaluate((schema) => window.parse({ schema, chunkSize: 256 << 10 }), schema);
  assert.equal(result.rows, 27000);
  assert.deepEqual([result.summary.report.validRows, result.summary.report.invalidRows], [27000, 3000]);
  assert.ok(result.progress >= 2, `${result.progress} progress events`);
  assert.equal(result.last.bytes, result.last.totalBytes);
  assert.ok(
    workers.some((url) => url.endsWith('/src/worker.js')),
    `workers: ${workers}`,
  );
});

test('parseFile stops when cancelled', async () => {
  await pick('many.csv', bigCsv(200000));
  const outcome = await tab.evaluate(async (schema) => {
    const job = window.sluice.parseFile(window.fileInput(), { schema, chunkSize: 64 << 10 });
    const first = await job[Symbol.asyncIterator]().next();
    job.cancel('user left');
    const error = await job.summary.catch((e) => e);
    return { first: first.value.rowCount > 0, name: error.name, message: error.message };
  }, schema);
  assert.deepEqual(outcome, { first: true, name: 'AbortError', message: 'user left' });
});

test('the browser decodes UTF-16 and Windows-1252 and flags invalid UTF-8, with exact positions', async () => {
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,name,email,amount\r\n1,Zoë,z@example.org,x\r\n', 'utf16le')]);
  await pick('utf16.csv', utf16);
  const a = (await tab.evaluate((schema) => window.parse({ schema }), schema)).summary;
  assert.equal(a.layout.encoding.encoding, 'UTF-16LE');
  const error = a.report.errors[0];
  assert.deepEqual([error.row, error.column, error.code, error.byte], [1, 'amount', 'not_a_number', 2 + (22 + 20) * 2]);
  await pick('latin.csv', Buffer.from('id;name;email;amount\n1;Fran\xe7ois;f@example.fr;1,5\n', 'latin1'));
  const b = await tab.evaluate(async (schema) => {
    const { summary } = await window.parse({ schema });
    const rows = await window.sluice.readRows(window.fileInput(), { summary, schema, from: 1, to: 2 });
    return { encoding: summary.layout.encoding, fields: rows[0].fields };
  }, schema);
  assert.equal(b.encoding.encoding, 'windows-1252');
  assert.deepEqual(b.fields, ['1', 'François', 'f@example.fr', '1,5']);
  const late = Buffer.concat([Buffer.from(`id,name,email,amount\n1,${'a'.repeat(70000)},,\n2,Fran`), Buffer.from([0xe7]), Buffer.from('ois,,\n')]);
  await pick('late.csv', late);
  const c = (await tab.evaluate((schema) => window.parse({ schema }), schema)).summary;
  assert.equal(c.layout.encoding.encoding, 'UTF-8');
  const bad = c.report.errors.find((e) => e.code === 'invalid_encoding');
  assert.deepEqual([bad.row, bad.line, bad.column, bad.byte], [2, 3, 'name', 21 + 2 + 70000 + 3 + 2]);
});

test('a 100 MB field and an unterminated quote end in positioned errors, memory bounded', async () => {
  await pick('hostile.csv', Buffer.concat([Buffer.from('id,name\n1,"'), Buffer.alloc(100 << 20, 0x78), Buffer.from('"\n2,ok\n3,"open\n')]));
  const summary = await tab.evaluate(async () => {
    const schema = {
      version: 1,
      columns: [
        { key: 'id', type: 'integer' },
        { key: 'name', type: 'text' },
      ],
    };
    const job = window.sluice.parseFile(window.fileInput(), { schema, batches: false, measureMemory: true });
    return job.summary;
  });
  const codes = summary.report.errors.map((e) => [e.row, e.line, e.byte, e.column, e.code]);
  assert.deepEqual(codes, [
    [1, 2, 10, 'name', 'field_too_large'],
    [3, 4, (100 << 20) + 20, 'name', 'unterminated_quote'],
  ]);
  assert.ok(summary.workerMemory.peakBytes < 64 << 20, `worker peak ${summary.workerMemory.peakBytes} bytes`);
});

/** The paths of the spreadsheet module's files requested while `action` runs (page or worker). */
async function sheetRequests(action) {
  const seen = [];
  const watch = (request) => request.url().includes('sluice_parser_sheets') && seen.push(new URL(request.url()).pathname);
  browser.context.on('request', watch);
  try {
    return { result: await action(), seen };
  } finally {
    browser.context.off('request', watch);
  }
}

test('a workbook is read in the Worker, which fetches the spreadsheet module for it and for nothing else', async () => {
  await pick('contacts.csv', bigCsv(100));
  const csv = await sheetRequests(() => tab.evaluate((schema) => window.parse({ schema }), schema));
  assert.equal(csv.result.rows, 90);
  assert.deepEqual(csv.seen, [], 'a CSV file never fetches the spreadsheet module');

  const path = join(dir, 'customers.xlsx');
  makeWorkbook(path);
  await tab.setInputFiles('#file', path);
  const reader = { sheet: 'Customers' };
  const mapping = { columns: { id: 'Customer ID', name: 'First Name', email: 'E-mail Address' } };
  const book = await sheetRequests(() => tab.evaluate((options) => window.parse(options), { schema, reader, mapping }));
  assert.deepEqual(book.seen, ['/wasm/sluice_parser_sheets.js', '/wasm/sluice_parser_sheets_simd_bg.wasm']);
  assert.equal(book.result.rows, 2);
  assert.equal(book.result.summary.layout.format, 'xlsx');
  assert.deepEqual(
    book.result.summary.report.errors.map((e) => [e.row, e.cell, e.code]),
    [[2, 'Customers!D6', 'formula_error']],
  );
  const page = await tab.evaluate(
    async ({ schema, reader, mapping, summary }) => {
      const file = window.fileInput();
      const sheets = await window.sluice.listSheets(file);
      const rows = await window.sluice.readRows(file, {
        summary,
        schema,
        from: 1,
        to: 4,
        reader,
        mapping,
        patches: { set: { 2: { email: 'bob@example.com' } } },
      });
      return { sheets: sheets.map((s) => `${s.name}:${s.kind}:${s.rows ?? '-'}`), rows: rows.map((r) => [r.line, r.valid, r.values[2]]) };
    },
    { schema, reader, mapping, summary: book.result.summary },
  );
  assert.deepEqual(page.sheets, ['Notes:worksheet:2', 'Chart:chart:-', 'Customers:worksheet:6']);
  assert.deepEqual(page.rows, [
    [5, true, 'ann@example.com'],
    [6, true, 'bob@example.com'],
    [7, true, 'cy@example.com'],
  ]);
});

test('a damaged workbook is refused in the Worker with its code', async () => {
  await pick(
    'contacts.xlsx',
    Buffer.concat([
      Buffer.from('PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0[Content_Types].xml', 'latin1'),
      Buffer.alloc(200, 0x9c),
      Buffer.from('PK\x03\x04xl/workbook.xml'),
    ]),
  );
  const error = await tab.evaluate(async (schema) => {
    const job = window.sluice.parseFile(window.fileInput(), { schema });
    const e = await job.summary.catch((e) => e);
    return { name: e.name, code: e.code, message: e.message };
  }, schema);
  assert.deepEqual({ ...error, message: undefined }, { name: 'Error', code: 'unreadable_workbook', message: undefined });
  assert.match(error.message, /looks like a spreadsheet \(xlsx\) but cannot be read/);
});

test('the page API gives identical results however the input is cut', async () => {
  const same = await tab.evaluate(async (schema) => {
    await window.sluice.ready();
    const bytes = new TextEncoder().encode('id,name,email,amount\r\n1,"a, ""b""\nc",x@y.io,1.5\r\n2,é,,\r\n3,"open');
    const parse = (cuts) => {
      const parser = new window.sluice.Parser({ schema });
      let from = 0;
      for (const cut of [...cuts, bytes.length]) {
        parser.feed(bytes.subarray(from, cut));
        from = cut;
      }
      const summary = parser.finish();
      const batches = [];
      for (let b = parser.nextBatch(); b; b = parser.nextBatch()) batches.push(Array.from(b.bytes));
      parser.free();
      return JSON.stringify({ summary, batches });
    };
    const whole = parse([]);
    const results = [parse(Array.from({ length: bytes.length - 1 }, (_, i) => i + 1))];
    for (let step = 2; step < 12; step += 1) results.push(parse(Array.from({ length: Math.floor(bytes.length / step) }, (_, i) => (i + 1) * step)));
    return results.every((r) => r === whole) && JSON.parse(whole).summary.report.errorCount;
  }, schema);
  assert.equal(same, 2);
});
