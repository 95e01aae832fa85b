// Patches with column rules from JavaScript: the rules fix every row in order, an edit wins over
// them, the report counts each rule's cells, rows read again carry the fixed values, enum
// columns list their invalid values when asked, and a bad regex is refused saying where.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFile, readRows, decodeBatch } from '../src/node.js';

const schema = {
  version: 1,
  columns: [
    { key: 'email', type: 'email', required: true },
    { key: 'plan', type: 'enum', values: ['free', 'pro'] },
    { key: 'note', type: 'text' },
  ],
};
const csv = new TextEncoder().encode('email,plan,note\n a@x.con ,Premium,x\nb@x.con,oui,\nc@x.io,gold,\nd@x.io,Premium,  y  \n');
const rules = [
  { kind: 'trim' },
  { kind: 'replace', column: 'email', find: '\\.con$', with: '.com', regex: true },
  { kind: 'map', column: 'plan', values: { Premium: 'pro', oui: 'free' } },
  { kind: 'fillEmpty', column: 'note', value: 'none' },
];

test('rules fix every row in order, an edit wins, and the report counts each rule', async () => {
  const patches = { rules, set: { 2: { email: 'typed@x.io' } } };
  const job = parseFile(csv, { schema, patches, validate: { maxInvalidValues: 10 } });
  const rows = [];
  for await (const batch of job) rows.push(...decodeBatch(batch.bytes).rows);
  const summary = await job.summary;
  assert.deepEqual(
    rows.map((r) => [r.number, ...r.cells]),
    [
      [1, 'a@x.com', 'pro', 'x'],
      [2, 'typed@x.io', 'free', 'none'],
      [4, 'd@x.io', 'pro', 'y'],
    ],
  );
  assert.deepEqual(summary.report.ruleHits, [2, 1, 3, 2]);
  assert.deepEqual(summary.report.invalidValues, { plan: { gold: 1 } });
  assert.equal(summary.report.invalidRows, 1);
});

test("rows read again carry the rules' values", async () => {
  const summary = await parseFile(csv, { schema, batches: false, patches: { rules } }).summary;
  const rows = await readRows(csv, { summary, schema, from: 1, to: 5, patches: { rules } });
  assert.deepEqual(
    rows.map((r) => r.values),
    [
      ['a@x.com', 'pro', 'x'],
      ['b@x.com', 'free', 'none'],
      ['c@x.io', 'gold', 'none'],
      ['d@x.io', 'pro', 'y'],
    ],
  );
  assert.deepEqual(
    rows.map((r) => r.fields[0]),
    [' a@x.con ', 'b@x.con', 'c@x.io', 'd@x.io'],
  );
});

test('a bad regex is refused naming the rule and the character', async () => {
  const patches = { rules: [{ kind: 'replace', find: 'a(b', regex: true }] };
  await assert.rejects(parseFile(csv, { schema, patches, batches: false }).summary, /rule 1: the regular expression is invalid at character 2/);
  await assert.rejects(
    parseFile(csv, { schema, patches: { rules: [{ kind: 'trim', column: 'age' }] }, batches: false }).summary,
    /rule 1: "age" is not a column of the schema/,
  );
});
