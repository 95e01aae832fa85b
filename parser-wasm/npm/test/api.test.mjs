// The package in Node: the low-level API, chunking invariance from JavaScript, misuse,
// hostile inputs, files refused (empty, binary, too wide), parseFile over paths and streams
// with progress, backpressure and cancellation, and reading rows again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import {
  Parser,
  parseFile,
  readRows,
  sniff,
  matchColumns,
  checkSchema,
  templateCsv,
  decodeBatch,
  batchRowsJson,
  batchRowDigests,
  rowHasErrors,
  wasmMemory,
  version,
} from '../src/node.js';
import { parseInCuts } from './support.mjs';

const schema = {
  version: 1,
  columns: [
    { key: 'id', type: 'integer', required: true, unique: true },
    { key: 'name', type: 'text', required: true },
    { key: 'email', type: 'email' },
    { key: 'amount', type: 'number' },
  ],
};
const utf8 = (text) => new TextEncoder().encode(text);
const utf16le = (text) => {
  const out = new Uint8Array(2 + text.length * 2);
  out.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i += 1) new DataView(out.buffer).setUint16(2 + i * 2, text.charCodeAt(i), true);
  return out;
};
const latin1 = (text) => Uint8Array.from(text, (c) => c.charCodeAt(0));

const fixtures = {
  quoted: utf8('id,name,email,amount\r\n1,"Doe, Jane",jane@example.com,1.5\r\n2,"say ""hi""\nthere",x@y,2\r\n3,Bo,,\r\n'),
  bom: utf8('\uFEFFid;name;email;amount\n1;Zoë;z@example.org;3\n2;Ann;bad;4,5\n'),
  utf16: utf16le('id,name,email,amount\r\n1,Zoë,z@example.org,1\r\n2,Malmö,m@example.se,2\r\n'),
  windows1252: latin1('id;name;email;amount\n1;François;f@example.fr;1\n2;Müller;m@example.de;x\n'),
  unterminated: utf8('id,name\n1,ok\n2,"never closed\n3,lost\n'),
  ragged: utf8('id,name,email\n1,Ann\n2,Bob,b@example.com,extra\n'),
};

function parseWhole(bytes, cuts, options = { schema }) {
  return parseInCuts(Parser, bytes, cuts, options);
}

function randomCuts(length, seed) {
  const cuts = [];
  let x = seed;
  for (let at = 0; ; ) {
    x = (x * 1103515245 + 12345) % 2147483648;
    at += 1 + (x % 9);
    if (at >= length) return cuts;
    cuts.push(at);
  }
}

test('results are identical whole, byte by byte and in random splits', () => {
  for (const [name, bytes] of Object.entries(fixtures)) {
    const whole = parseWhole(bytes, []);
    const bytewise = parseWhole(
      bytes,
      Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
    );
    assert.equal(bytewise, whole, `${name} byte by byte`);
    for (let seed = 1; seed <= 10; seed += 1) assert.equal(parseWhole(bytes, randomCuts(bytes.length, seed)), whole, `${name} seed ${seed}`);
  }
});

test('encodings are detected and positions are in the original bytes', () => {
  const parse = (bytes) => JSON.parse(parseWhole(bytes, [])).summary;
  const utf16 = parse(fixtures.utf16);
  assert.equal(utf16.layout.encoding.encoding, 'UTF-16LE');
  assert.equal(utf16.rowIndex.starts[0].byte, 2 + 22 * 2);
  const latin = parse(fixtures.windows1252);
  assert.equal(latin.layout.encoding.encoding, 'windows-1252');
  assert.equal(latin.layout.dialect.delimiter, ';');
  const bad = latin.report.errors.find((e) => e.column === 'amount');
  assert.deepEqual([bad.row, bad.line, bad.byte, bad.code], [2, 3, 21 + 26 + 22, 'not_a_number']);
});

test('an unterminated quote is an error naming where it opened', () => {
  const summary = JSON.parse(parseWhole(fixtures.unterminated, [])).summary;
  const error = summary.report.errors.find((e) => e.code === 'unterminated_quote');
  assert.deepEqual([error.row, error.line, error.byte, error.column], [2, 3, 15, 'name']);
  assert.match(error.message, /quote opened at line 3, byte 15 is never closed/);
});

test('a 100 MB field ends in a positioned error with memory bounded by the limit', () => {
  const head = utf8('id,name\n1,"');
  const tail = utf8('"\n2,ok\n');
  const parser = new Parser({
    schema: {
      version: 1,
      columns: [
        { key: 'id', type: 'integer' },
        { key: 'name', type: 'text' },
      ],
    },
  });
  parser.feed(head);
  const chunk = new Uint8Array(1 << 20).fill(0x78);
  for (let i = 0; i < 100; i += 1) parser.feed(chunk);
  parser.feed(tail);
  const summary = parser.finish();
  const error = summary.report.errors[0];
  assert.deepEqual([error.row, error.column, error.code, error.byte], [1, 'name', 'field_too_large', 10]);
  assert.equal(summary.report.validRows, 1);
  assert.ok(wasmMemory() < 48 << 20, `WebAssembly memory ${wasmMemory()} bytes`);
  parser.free();
});

test('invalid UTF-8 after the detection window is a positioned invalid_encoding error', () => {
  const bytes = new Uint8Array([...utf8('id,name\n'), ...utf8(`1,${'a'.repeat(70000)}\n2,Fran`), 0xe7, ...utf8('ois\n')]);
  const summary = JSON.parse(parseWhole(bytes, [])).summary;
  assert.equal(summary.layout.encoding.encoding, 'UTF-8');
  const error = summary.report.errors.find((e) => e.code === 'invalid_encoding');
  assert.deepEqual([error.row, error.line, error.column], [2, 3, 'name']);
});

test('each error carries the params of its English message, never the value', () => {
  const parser = new Parser({
    schema: {
      version: 1,
      columns: [
        { key: 'age', type: 'integer', min: 0 },
        { key: 'plan', type: 'enum', values: ['free', { value: 'pro', label: 'Pro' }] },
        { key: 'born', type: 'date', formats: ['%d/%m/%Y'] },
      ],
    },
  });
  parser.feed(utf8('age,plan,born\n-3,gold,1991-02-29\n'));
  const errors = parser.finish().report.errors;
  parser.free();
  assert.deepEqual(
    errors.map((e) => [e.code, e.params]),
    [
      ['below_minimum', { min: '0' }],
      ['not_allowed', { allowed: ['free', 'Pro'] }],
      ['invalid_date', { formats: ['DD/MM/YYYY'] }],
    ],
  );
  assert.match(errors[1].message, /free or Pro/);
});

test('misuse throws an Error with a sentence', () => {
  const parser = new Parser({ schema });
  parser.feed(fixtures.quoted);
  parser.finish();
  assert.throws(() => parser.feed(utf8('x')), { message: /already finished/ });
  assert.throws(() => parser.finish(), { message: /already finished/ });
  parser.free();
  assert.throws(() => parser.feed(utf8('x')), { message: /freed/ });
  assert.throws(() => new Parser({ schema }).feed('text'), TypeError);
  assert.throws(() => new Parser({}), { message: /options.schema is missing/ });
  assert.throws(() => new Parser({ schema, reader: { delimiter: '"' } }), { message: /quote and the delimiter must differ/ });
  assert.throws(() => new Parser({ schema, reader: { bogus: 1 } }), { message: /invalid options: unknown field `bogus`/ });
  const bad = { version: 1, columns: [{ key: 'age', type: 'integer', min: 5, max: 1 }] };
  assert.throws(() => checkSchema(bad), { message: 'schema column "age", field "min": 5 is greater than max 1' });
});

test('sample values weigh the suggestions: a column of codes is flagged for a whole-number field', () => {
  const customers = {
    version: 1,
    columns: [
      { key: 'id', type: 'integer', label: 'Customer ID', required: true },
      { key: 'email', type: 'email', label: 'Email' },
    ],
  };
  const headers = ['Index', 'Customer Id', 'Email'];
  const samples = [
    ['1', 'DD37Cf93aecA6Dc', 'zunigavanessa@smith.info'],
    ['2', '0yJn77tfsE', 'vmata@colon.com'],
    ['3', '', 'beckycarr@hogan.com'],
  ];
  const matched = matchColumns(headers, customers, samples);
  const id = matched.suggestions.find((s) => s.columnKey === 'id');
  assert.equal(id.header, 'Customer Id');
  assert.ok(id.confidence <= 0.5, `confidence ${id.confidence}`);
  assert.deepEqual(id.fit, { sampled: 2, accepted: 0, failure: 'not_an_integer' });
  assert.deepEqual(id.problem, {
    message: "most values of 'Customer Id' are not whole numbers",
    alternative: { headerIndex: 0, header: 'Index', fit: { sampled: 3, accepted: 3 } },
  });
  const email = matched.suggestions.find((s) => s.columnKey === 'email');
  assert.deepEqual([email.confidence, email.fit, email.problem], [1, { sampled: 3, accepted: 3 }, undefined]);
  assert.throws(() => matchColumns(headers, customers, [[1, 2]]), { message: /samples must be an array of rows of strings/ });
});

test('a TOML schema is refused with a sentence saying JSON is expected', () => {
  const toml = 'version = 1\n\n[[columns]]\nkey = "email"\ntype = "email"\n';
  const expected =
    /^schema \(JSON\) at line 1, column 1: this looks like TOML, but a JSON schema is expected here \(a JSON string or an object, as @sluice\/parser takes it\); TOML schemas are read by the Sluice server$/;
  assert.throws(() => checkSchema(toml), { message: expected });
  assert.throws(() => new Parser({ schema: toml }), { message: expected });
  assert.throws(() => matchColumns(['Email'], toml), { message: expected });
  assert.throws(
    () => checkSchema('{"version": 1,'),
    (e) => !/TOML/.test(e.message),
  );
});

test('helpers sniff, match, check and decode', () => {
  assert.match(version(), /^\d+\.\d+\.\d+$/);
  const preview = sniff(fixtures.bom, { previewRows: 1 });
  assert.equal(preview.layout.dialect.delimiter, ';');
  assert.deepEqual(preview.rows[0].fields, ['1', 'Zoë', 'z@example.org', '3']);
  const matched = matchColumns(['E-mail', 'ID', 'Full name'], schema);
  assert.deepEqual(matched.suggestions.map((s) => [s.header, s.columnKey]).sort(), [
    ['E-mail', 'email'],
    ['ID', 'id'],
  ]);
  assert.deepEqual(matched.missingRequired, ['name']);
  assert.equal(matched.suggestions[0].fit, undefined, 'no samples, no fit');
  assert.equal(checkSchema(JSON.stringify(schema)).digest.length, 64);
  const parser = new Parser({ schema });
  parser.feed(fixtures.quoted);
  parser.finish();
  const batch = parser.nextBatch();
  const decoded = decodeBatch(batch.bytes);
  assert.deepEqual([batch.sequence, batch.firstRow, batch.rowCount], [0, 1, 2]);
  assert.deepEqual(
    decoded.rows.map((r) => r.number),
    [1, 3],
  );
  assert.deepEqual(decoded.rows[0].cells, ['1', 'Doe, Jane', 'jane@example.com', '1.5']);
  assert.throws(() => decodeBatch(new Uint8Array([1, 2, 3])), { message: 'batch byte 0: does not start with "SLCB"' });
  const rows = JSON.parse(batchRowsJson(batch.bytes));
  assert.deepEqual(rows[0], { row: 1, invalid: false, data: { id: '1', name: 'Doe, Jane', email: 'jane@example.com', amount: '1.5' }, kept: {} });
  assert.deepEqual(
    rows.map((r) => r.row),
    [1, 3],
  );
  const digests = batchRowDigests(batch.bytes);
  assert.deepEqual([digests.length, digests[0], digests[2]], [4, 1, 3]);
  assert.notEqual(digests[1], digests[3]);
  assert.throws(() => batchRowsJson(new Uint8Array([1, 2, 3])), { message: 'batch byte 0: does not start with "SLCB"' });
});

test('transforms rewrite cells before the check, and a bad one is refused naming its place', () => {
  const transformed = {
    version: 1,
    columns: [
      { key: 'name', type: 'text', transform: ['collapse', 'title'] },
      { key: 'phone', type: 'regex', pattern: '[0-9]{10}', transform: ['digits'] },
      { key: 'born', type: 'text', transform: [{ date: '%d.%m.%Y', from: ['%d/%m/%Y'] }] },
    ],
  };
  const parser = new Parser({ schema: transformed, includeInvalid: true });
  parser.feed(utf8('name,phone,born\n"  jean   DUPONT ",(555) 010-9999,31/12/1999\nann,555,soon\n'));
  const summary = parser.finish();
  const decoded = decodeBatch(parser.nextBatch().bytes);
  assert.deepEqual(decoded.rows[0].cells, ['Jean Dupont', '5550109999', '31.12.1999']);
  assert.deepEqual(decoded.rows[1].cells, ['Ann', '555', 'soon']);
  assert.deepEqual(
    summary.report.errors.map((e) => [e.column, e.code, e.message]),
    [
      ['phone', 'pattern_mismatch', 'does not have the expected format'],
      ['born', 'invalid_date', 'must be a date written as DD.MM.YYYY, DD/MM/YYYY or YYYY-MM-DD'],
    ],
  );
  assert.deepEqual(summary.report.errors[1].params, { formats: ['DD.MM.YYYY', 'DD/MM/YYYY', 'YYYY-MM-DD'] });
  assert.deepEqual(checkSchema(transformed).schema.columns[2].transform, [{ date: '%d.%m.%Y', from: ['%d/%m/%Y'] }]);
  const bad = { version: 1, columns: [{ key: 'n', type: 'integer', transform: ['digits'] }] };
  assert.throws(() => checkSchema(bad), { message: /^schema column "n", field "transform\[0\]": "digits" does not apply/ });
  const misspelt = { version: 1, columns: [{ key: 'n', type: 'text', transform: ['uppercase'] }] };
  assert.throws(() => checkSchema(misspelt), { message: /field columns\[0\]\.transform\[0\] \(column "n"\): unknown transform "uppercase"/ });
});

test('a template has the labels in the language asked for, maps back, and its example row passes', () => {
  const labelled = {
    version: 1,
    columns: [
      { key: 'email', type: 'email', required: true, label: { en: 'Email', de: 'E-Mail' } },
      { key: 'joined', type: 'date', formats: ['%d/%m/%Y'], label: { en: 'Joined, on', de: 'Beigetreten' } },
      { key: 'plan', type: 'enum', values: ['free', 'pro'] },
      { key: 'ref', type: 'regex', pattern: '[A-Z]{2}', example: 'AB' },
    ],
  };
  assert.equal(templateCsv(labelled), 'Email,"Joined, on",plan,ref\r\nname@example.com,31/12/2024,free,AB\r\n');
  const german = templateCsv(labelled, { language: 'de-CH', bom: true });
  assert.equal(german, '\uFEFFE-Mail,Beigetreten,plan,ref\r\nname@example.com,31/12/2024,free,AB\r\n');
  const headers = german.slice(1).split('\r\n')[0].split(',');
  assert.deepEqual(
    matchColumns(headers, labelled)
      .suggestions.map((s) => [s.header, s.columnKey])
      .sort(),
    [
      ['Beigetreten', 'joined'],
      ['E-Mail', 'email'],
      ['plan', 'plan'],
      ['ref', 'ref'],
    ],
  );
  const parser = new Parser({ schema: labelled });
  parser.feed(utf8(german));
  const summary = parser.finish();
  assert.deepEqual([summary.report.validRows, summary.report.invalidRows], [1, 0]);
  assert.throws(() => templateCsv(labelled, { lang: 'de' }), { message: /invalid options: unknown field `lang`/ });
  assert.throws(() => templateCsv({ version: 1, columns: [] }), { message: 'schema field "columns": must list at least one column' });
});

test('a one-line file is sniffed like any other: its last record counts without a line ending', () => {
  const preview = sniff(utf8('a;b;c'), { header: 'none' });
  assert.deepEqual([preview.layout.dialect.delimiter, preview.layout.sniffed.fieldCount], [';', 3]);
  assert.ok(preview.layout.sniffed.confidence.delimiter > 0);
  assert.deepEqual(preview.rows[0].fields, ['a', 'b', 'c']);
});

test('a header wider than 1,024 columns stays the header and maps', async () => {
  const names = Array.from({ length: 1100 }, (_, i) => `c${i + 1}`);
  const row = names.map((_, i) => String(i + 1));
  const bytes = utf8(`${names.join(',')}\n${row.join(',')}\n${row.join(',')}\n`);
  const wide = { version: 1, columns: [{ key: 'c1100', type: 'integer', required: true }] };
  const summary = await parseFile(bytes, { schema: wide, batches: false }).summary;
  assert.deepEqual(summary.layout.header.names, names);
  assert.equal(summary.mapping.columns[0].header, 'c1100');
  assert.deepEqual([summary.report.rows, summary.report.validRows], [2, 2]);
});

test('a comment line in a CR-only file does not swallow the rows after it', async () => {
  const two = {
    version: 1,
    columns: [
      { key: 'id', type: 'integer' },
      { key: 'name', type: 'text' },
    ],
  };
  for (const text of ['id,name\r1,Ann\r#note\r2,Bob\r', 'id,name\r\n1,Ann\r\n#note\r\n2,Bob\r\n']) {
    const summary = await parseFile(utf8(text), { schema: two, reader: { comment: '#' }, batches: false }).summary;
    assert.deepEqual([summary.report.rows, summary.report.errorCount], [2, 0], JSON.stringify(text));
  }
});

test('a header of one name repeated 10,000 times is named v, v_2, … v_10000', async () => {
  const bytes = utf8(`${Array(10000).fill('v').join(',')}\n${Array(10000).fill('1').join(',')}\n`);
  const one = { version: 1, columns: [{ key: 'v_10000', type: 'integer', required: true }] };
  const summary = await parseFile(bytes, { schema: one, batches: false }).summary;
  const names = summary.layout.header.names;
  assert.deepEqual([names.length, names[0], names[1], names[9999], new Set(names).size], [10000, 'v', 'v_2', 'v_10000', 10000]);
  assert.equal(summary.mapping.columns[0].header, 'v_10000');
});

const workbook = new Uint8Array([...utf8('PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0[Content_Types].xml'), 0x9c, 0x01, ...utf8('PK\x03\x04xl/workbook.xml')]);
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, ...utf8('IHDR'), 0, 0, 1, 0]);

test('empty, header-only, binary files and a damaged workbook are refused with a code and a message saying what to do', async () => {
  const refusals = [
    [new Uint8Array(0), { code: 'empty_file', message: /the file is empty/ }],
    [utf8('\uFEFF\r\n'), { code: 'empty_file' }],
    [utf8('id,name\r\n'), { code: 'no_data_rows', line: 1, byte: 0, message: /header row \(line 1, byte 0\) but no data rows/ }],
    [workbook, { code: 'unreadable_workbook', message: /looks like a spreadsheet \(xlsx\) but cannot be read: it is damaged/ }],
    [png, { code: 'binary_file', kind: 'png', message: /a PNG image/ }],
    [utf8('id,name\n1,A\0\0n\n'), { code: 'binary_file', kind: 'unknown', line: 2, byte: 11 }],
  ];
  for (const [bytes, expected] of refusals) {
    await assert.rejects(parseFile(bytes, { schema }).summary, expected);
    assert.throws(() => sniff(bytes), expected);
    const parser = new Parser({ schema });
    assert.throws(() => {
      parser.feed(bytes);
      parser.finish();
    }, expected);
    assert.throws(() => parser.finish(), expected, 'the refusal is answered again');
    parser.free();
  }
  for (const bytes of [new Uint8Array(0), utf8('id,name\r\n')]) {
    const summary = await parseFile(bytes, { schema, reader: { allowEmpty: true } }).summary;
    assert.deepEqual([summary.report.rows, summary.batches], [0, 0]);
  }
});

test('a header past 10,000 columns is refused naming the limit and the line', async () => {
  const bytes = utf8(`# exported\n${Array.from({ length: 10001 }, (_, i) => `c${i}`).join(',')}\n1\n`);
  const expected = { code: 'too_many_columns', limit: 10000, line: 2, byte: 11, message: /header row \(line 2, byte 11\) has more than 10000 columns/ };
  await assert.rejects(parseFile(bytes, { schema, reader: { comment: '#' } }).summary, expected);
});

function bigCsv(rows) {
  const lines = ['id,name,email,amount'];
  for (let i = 1; i <= rows; i += 1) lines.push(`${i},Name ${i},u${i}@example.com,${i % 10 === 0 ? 'x' : `${i}.5`}`);
  return utf8(`${lines.join('\n')}\n`);
}

test('parseFile reads a path, a stream and bytes, with progress, batches and a summary', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-parser-'));
  try {
    const bytes = bigCsv(20000);
    const path = join(dir, 'big.csv');
    await writeFile(path, bytes);
    for (const source of [path, Readable.from([bytes.subarray(0, 12345), bytes.subarray(12345)]), bytes]) {
      const progress = [];
      const job = parseFile(source, { schema, chunkSize: 64 << 10, onProgress: (p) => progress.push(p) });
      let rows = 0;
      for await (const batch of job) rows += batch.rowCount;
      const summary = await job.summary;
      assert.equal(rows, 18000);
      assert.deepEqual([summary.report.validRows, summary.report.invalidRows], [18000, 2000]);
      assert.ok(progress.length >= 2 && progress.at(-1).bytes === bytes.length);
      assert.ok(rowHasErrors(summary, 10) && !rowHasErrors(summary, 11));
    }
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('parseFile waits for a slow consumer and can skip batches', async () => {
  const bytes = bigCsv(5000);
  const job = parseFile(bytes, { schema, batches: { maxRows: 100 }, maxQueuedBatches: 1, chunkSize: 4096 });
  let batches = 0;
  for await (const batch of job) {
    batches += 1;
    assert.equal(batch.sequence, batches - 1);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.equal(batches, 45);
  const quiet = parseFile(bytes, { schema, batches: false });
  const summary = await quiet.summary;
  assert.deepEqual([summary.batches, summary.report.rows], [0, 5000]);
});

test('released batch buffers are filled again instead of new ones', async () => {
  const job = parseFile(bigCsv(3000), { schema, batches: { maxRows: 100 }, chunkSize: 4096, maxQueuedBatches: 2 });
  const buffers = new Set();
  let batches = 0;
  for await (const batch of job) {
    batches += 1;
    buffers.add(batch.bytes.buffer);
    assert.equal(decodeBatch(batch.bytes).rowCount, batch.rowCount);
    batch.release();
  }
  assert.equal(batches, 27);
  assert.ok(buffers.size <= 4, `${buffers.size} buffers for ${batches} batches`);
});

test('parseFile stops on cancel and on an aborted signal', async () => {
  const bytes = bigCsv(50000);
  const job = parseFile(bytes, { schema, chunkSize: 4096 });
  const iterator = job[Symbol.asyncIterator]();
  await iterator.next();
  job.cancel();
  await assert.rejects(job.summary, { name: 'AbortError' });
  await assert.rejects(iterator.next(), { name: 'AbortError' });
  const controller = new AbortController();
  const aborted = parseFile(bytes, { schema, signal: controller.signal, chunkSize: 4096, batches: false });
  controller.abort();
  await assert.rejects(aborted.summary, { name: 'AbortError' });
});

test('readRows reads any rows again from the row index', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-parser-'));
  try {
    const bytes = bigCsv(3000);
    const path = join(dir, 'rows.csv');
    await writeFile(path, bytes);
    const summary = await parseFile(path, { schema, batches: false, rowIndexEvery: 64 }).summary;
    for (const source of [path, bytes]) {
      const rows = await readRows(source, { summary, schema, from: 1998, to: 2003 });
      assert.deepEqual(
        rows.map((r) => r.row),
        [1998, 1999, 2000, 2001, 2002],
      );
      assert.deepEqual(rows[0].fields, ['1998', 'Name 1998', 'u1998@example.com', '1998.5']);
      assert.deepEqual(
        rows[2].errors.map((e) => [e.row, e.column, e.code]),
        [[2000, 'amount', 'not_a_number']],
      );
      assert.equal(rows[2].valid, false);
    }
    const tail = await readRows(bytes, { summary, schema, from: 2999, to: 5000 });
    assert.deepEqual(
      tail.map((r) => r.row),
      [2999, 3000],
    );
  } finally {
    await rm(dir, { recursive: true });
  }
});
