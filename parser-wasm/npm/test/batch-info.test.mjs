// A batch's header as the package reads it: through the module's batch reader (batchInfo, and
// the header every batch from nextBatch and parseFile carries), never through byte offsets of
// its own; bytes that are not a batch, or a batch cut short, throw naming the byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Parser, parseFile, checkSchema, decodeBatch, batchInfo } from '../src/node.js';

const schema = {
  version: 1,
  columns: [
    { key: 'id', type: 'integer', required: true },
    { key: 'name', type: 'text' },
  ],
};
const csv = (rows) => new TextEncoder().encode(`id,name,notes\n${Array.from({ length: rows }, (_, i) => `${i + 1},n${i},x`).join('\n')}\n`);

function batchesOf(bytes, options = {}) {
  const parser = new Parser({ schema, batches: { maxRows: 3 }, ...options });
  parser.feed(bytes);
  parser.finish();
  const out = [];
  for (let batch = parser.nextBatch(); batch; batch = parser.nextBatch()) out.push(batch);
  parser.free();
  return out;
}

test('every batch carries its header, as the module reads it and as decodeBatch sees it', () => {
  const batches = batchesOf(csv(7), { mapping: { unmapped: 'keep' } });
  const digest = checkSchema(schema).digest;
  assert.deepEqual(
    batches.map((b) => [b.sequence, b.firstRow, b.rowCount]),
    [
      [0, 1, 3],
      [1, 4, 3],
      [2, 7, 1],
    ],
  );
  for (const batch of batches) {
    const decoded = decodeBatch(batch.bytes);
    assert.equal(batch.schemaDigest, digest);
    assert.deepEqual(batch.columns, [
      { kind: 'schema', name: 'id' },
      { kind: 'schema', name: 'name' },
      { kind: 'kept', name: 'notes' },
    ]);
    assert.deepEqual([decoded.sequence, decoded.firstRow, decoded.rowCount, decoded.columns], [batch.sequence, batch.firstRow, batch.rowCount, batch.columns]);
    assert.deepEqual(batchInfo(batch.bytes), batch);
  }
});

test('batchInfo reads a batch wherever it sits in a larger buffer', () => {
  const [batch] = batchesOf(csv(2));
  const room = new Uint8Array(batch.bytes.length + 16).fill(0xff);
  room.set(batch.bytes, 5);
  const moved = room.subarray(5, 5 + batch.bytes.length);
  const { bytes, ...info } = batchInfo(moved);
  assert.equal(bytes, moved);
  assert.deepEqual([info.sequence, info.firstRow, info.rowCount, info.schemaDigest], [0, 1, 2, batch.schemaDigest]);
  assert.ok(info.headerLength > 58 && info.headerLength < batch.bytes.length);
});

test('bytes that are not a batch, or a batch cut short, are refused naming the byte', () => {
  const [batch] = batchesOf(csv(3));
  assert.throws(() => batchInfo(new TextEncoder().encode('id,name\n1,a\n')), { message: 'batch byte 0: does not start with "SLCB"' });
  assert.throws(() => batchInfo(batch.bytes.subarray(0, 40)), { message: 'batch byte 38: the batch ends too early' });
  const { headerLength } = batchInfo(batch.bytes);
  const cut = batch.bytes.subarray(0, headerLength + 2);
  assert.throws(() => batchInfo(cut), { message: `batch byte ${headerLength + 2}: the batch ends before its rows do` });
  const version = batch.bytes.slice();
  version[4] = 2;
  assert.throws(() => batchInfo(version), { message: 'batch byte 4: the format version is not 1' });
});

test("parseFile's batches carry the same header", async () => {
  const job = parseFile(csv(5), { schema, batches: { maxRows: 2 } });
  const seen = [];
  for await (const batch of job) {
    seen.push([batch.sequence, batch.firstRow, batch.rowCount, batch.columns.length, batch.schemaDigest.length]);
    batch.release?.();
  }
  assert.deepEqual(seen, [
    [0, 1, 2, 2, 64],
    [1, 3, 2, 2, 64],
    [2, 5, 1, 2, 64],
  ]);
});
