// Workbooks in Node: a real .xlsx (made by parser-wasm/examples/make_workbook.rs) listed, sniffed,
// parsed whole and in any cuts with the same result, parsed from a path, read again for a grid
// with a fix applied, and refused with the spreadsheet codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Parser, decodeBatch, isWorkbook, listSheets, parseFile, readRows, sniff } from '../src/node.js';
import { makeWorkbook, parseInCuts } from './support.mjs';

const schema = {
  version: 1,
  columns: [
    { key: 'id', type: 'integer', required: true, unique: true },
    { key: 'first_name', type: 'text', required: true },
    { key: 'email', type: 'email', required: true },
    { key: 'phone', type: 'text' },
    { key: 'birth_date', type: 'date', formats: ['%d/%m/%Y'] },
    { key: 'newsletter', type: 'boolean' },
  ],
};
const mapping = {
  columns: { id: 'Customer ID', first_name: 'First Name', email: 'E-mail Address', phone: 'Phone', birth_date: 'DOB', newsletter: 'Newsletter' },
  unmapped: 'ignore',
};
const reader = { sheet: 'Customers' };

let dir;
let path;
let bytes;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-sheets-'));
  path = join(dir, 'customers.xlsx');
  makeWorkbook(path);
  bytes = new Uint8Array(await readFile(path));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true });
});

function parseCut(cuts) {
  return parseInCuts(Parser, bytes, cuts, { schema, reader, mapping });
}

test('a workbook is told by its first bytes', () => {
  assert.equal(isWorkbook(bytes), true);
  assert.equal(isWorkbook(new TextEncoder().encode('id,name\n1,Ann\n')), false);
  assert.equal(isWorkbook(Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0])), true);
});

test('listSheets gives every sheet with its rows, from a path, bytes or a Blob', async () => {
  const expected = [
    { name: 'Notes', kind: 'worksheet', visible: true, rows: 2, columns: 1 },
    { name: 'Chart', kind: 'chart', visible: true },
    { name: 'Customers', kind: 'worksheet', visible: true, rows: 6, columns: 8 },
  ];
  assert.deepEqual(await listSheets(path), expected);
  assert.deepEqual(await listSheets(bytes), expected);
  assert.deepEqual(await listSheets(new Blob([bytes])), expected);
});

test('sniff reads the whole workbook: the header under the title block, or every row raw', () => {
  const detected = sniff(bytes, reader);
  assert.equal(detected.layout.format, 'xlsx');
  assert.equal(detected.layout.workbook.sheet, 'Customers');
  assert.equal(detected.layout.header.record, 4);
  assert.equal(detected.layout.header.names[3], 'E-mail Address');
  assert.deepEqual(detected.rows[0].fields, ['1', 'Ann', 'Lee', 'ann@example.com', '0044 20 7946 0001', '1990-01-02', 'pro', 'true']);
  const raw = sniff(bytes, { ...reader, header: 'none' });
  assert.deepEqual(
    raw.rows.map((r) => [r.line, r.fields[0]]),
    [
      [1, 'Customer export'],
      [2, 'Exported for the sales team'],
      [4, 'Customer ID'],
      [5, '1'],
      [6, '2'],
      [7, '3'],
    ],
  );
  assert.equal(sniff(bytes).layout.workbook.sheet, 'Notes', 'unchosen, the first visible worksheet with a value');
});

test('a workbook parses the same whole, byte by byte and in random splits', () => {
  const whole = parseCut([]);
  assert.equal(parseCut(Array.from({ length: 40 }, (_, i) => i + 1)), whole, 'the first bytes one at a time');
  for (let seed = 1; seed <= 5; seed += 1) {
    const cuts = [];
    for (let at = seed * 7, x = seed; at < bytes.length; x = (x * 1103515245 + 12345) % 2147483648, at += 1 + (x % 4096)) cuts.push(at);
    assert.equal(parseCut(cuts), whole, `seed ${seed}`);
  }
  const { summary } = JSON.parse(whole);
  assert.deepEqual([summary.report.validRows, summary.report.invalidRows], [2, 1]);
  assert.deepEqual(
    summary.report.errors.map((e) => [e.row, e.line, e.cell, e.column, e.code]),
    [[2, 6, 'Customers!D6', 'email', 'formula_error']],
  );
});

test('parseFile reads a workbook from a path into batches of the values as the user saw them', async () => {
  const job = parseFile(path, { schema, reader, mapping });
  const rows = [];
  for await (const batch of job) {
    rows.push(...decodeBatch(batch.bytes).rows.map((r) => r.cells));
    batch.release();
  }
  const summary = await job.summary;
  assert.equal(summary.layout.format, 'xlsx');
  assert.deepEqual(rows, [
    ['1', 'Ann', 'ann@example.com', '0044 20 7946 0001', '1990-01-02', 'true'],
    ['3', 'Cy', 'cy@example.com', '020 7946 0003', '1970-06-15', 'true'],
  ]);
});

test('readRows reads a workbook whole for a grid, with the fixed cell', async () => {
  const summary = await parseFile(bytes, { schema, reader, mapping, batches: false }).summary;
  const patches = { set: { 2: { email: 'bob@example.com' } } };
  for (const source of [path, bytes, new Blob([bytes])]) {
    const rows = await readRows(source, { summary, schema, from: 2, to: 4, reader, mapping, patches });
    assert.deepEqual(
      rows.map((r) => [r.row, r.line, r.valid, r.values[2]]),
      [
        [2, 6, true, 'bob@example.com'],
        [3, 7, true, 'cy@example.com'],
      ],
    );
  }
  const unfixed = await readRows(path, { summary, schema, from: 2, to: 3, mapping });
  assert.deepEqual(
    unfixed[0].errors.map((e) => e.cell),
    ['Customers!D6'],
    'the sheet the summary read, when none is given',
  );
});

test('workbooks that cannot be read are refused with their codes', async () => {
  const refusal = (input, options) => {
    try {
      sniff(input, options);
    } catch (error) {
      return { code: error.code, limitName: error.limitName, message: error.message };
    }
    assert.fail('not refused');
  };
  assert.equal(refusal(bytes.subarray(0, 2000)).code, 'unreadable_workbook');
  assert.equal(refusal(bytes, { sheet: 'Missing' }).code, 'sheet_not_found');
  const limited = refusal(bytes, { limits: { sheets: { maxWorkbookBytes: 1000 } } });
  assert.deepEqual([limited.code, limited.limitName], ['workbook_limit', 'maxWorkbookBytes']);
  assert.match(limited.message, /limits\.sheets\.maxWorkbookBytes/);
  await assert.rejects(listSheets(bytes.subarray(0, 2000)), { code: 'unreadable_workbook' });
});
