/**
 * Tests of the example webhook verifier (webhook-verify.mjs) and receiver
 * (webhook-receiver.mjs): `node --test examples/test/`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signWebhook, verifyWebhook, WebhookVerificationError } from '../webhook-verify.mjs';
import { startReceiver } from '../webhook-receiver.mjs';

// The Standard Webhooks known-answer vector.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = '1614265330';
const BODY = '{"test": 2432232314}';
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const NOW = { now: 1614265330 };

const headersOf = (signature = SIGNATURE, id = ID, timestamp = TIMESTAMP) => ({
  'webhook-id': id,
  'webhook-timestamp': timestamp,
  'webhook-signature': signature,
});

/** Asserts that verification throws WebhookVerificationError with a reason matching `reason`. */
function refused(reason, secret, headers, body = BODY, options = NOW) {
  assert.throws(
    () => verifyWebhook(secret, headers, body, options),
    (error) => {
      assert.ok(error instanceof WebhookVerificationError);
      assert.match(error.reason, reason);
      return true;
    },
  );
}

test('the known-answer vector verifies', () => {
  assert.deepEqual(verifyWebhook(SECRET, headersOf(), BODY, NOW), { test: 2432232314 });
  assert.deepEqual(verifyWebhook(SECRET, headersOf(), Buffer.from(BODY), NOW), { test: 2432232314 });
});

test('signWebhook reproduces the known signature', () => {
  assert.equal(signWebhook(SECRET, ID, TIMESTAMP, BODY), SIGNATURE);
  assert.equal(signWebhook(SECRET, ID, Number(TIMESTAMP), Buffer.from(BODY)), SIGNATURE);
});

test('bad secrets are refused', () => {
  refused(/no secret/, '', headersOf());
  refused(/no secret/, undefined, headersOf());
  refused(/whsec_/, 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', headersOf());
  refused(/base64/, 'whsec_', headersOf());
  refused(/base64/, 'whsec_not*base64!', headersOf());
  refused(/base64/, 'whsec_A', headersOf());
});

test('a URL-safe secret is the same key as its standard spelling; mixed alphabets are refused', () => {
  const raw = Buffer.from(Array.from({ length: 30 }, (_, i) => 0xf8 + (i % 8)));
  const standard = `whsec_${raw.toString('base64')}`;
  const urlSafe = `whsec_${raw.toString('base64url')}`;
  assert.match(standard, /[+/]/);
  assert.notEqual(standard, urlSafe);
  const signature = signWebhook(standard, ID, TIMESTAMP, BODY);
  assert.deepEqual(verifyWebhook(urlSafe, headersOf(signature), BODY, NOW), JSON.parse(BODY));
  refused(/base64/, `whsec_${'A'.repeat(36)}+A-A`, headersOf(signature));
});

test('empty signatures never match', () => {
  refused(/no matching signature/, SECRET, headersOf('v1,'));
  refused(/no matching signature/, SECRET, headersOf('v1, '));
  refused(/no matching signature/, SECRET, headersOf('v1, v1,'));
});

test('only other versions of signature are refused', () => {
  refused(/no v1 signature/, SECRET, headersOf(`v2,${SIGNATURE.slice(3)}`));
  refused(/no v1 signature/, SECRET, headersOf(`v1a,${SIGNATURE.slice(3)}`));
});

test('wrong signatures, tampered bodies and ids are refused', () => {
  refused(/no matching signature/, SECRET, headersOf('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA='));
  refused(/no matching signature/, SECRET, headersOf(SIGNATURE.slice(0, -1)));
  refused(/no matching signature/, SECRET, headersOf(`${SIGNATURE}=`));
  refused(/no matching signature/, SECRET, headersOf(), '{"test": 2432232315}');
  refused(/no matching signature/, SECRET, headersOf(), `${BODY} `);
  refused(/no matching signature/, SECRET, headersOf(SIGNATURE, 'msg_p5jXN8AQM9LWM0D4loKWxJeK'));
  refused(/no matching signature/, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx', headersOf());
});

test('timestamps outside the tolerance are refused both ways', () => {
  refused(/too old/, SECRET, headersOf(), BODY, { now: 1614265330 + 301 });
  refused(/in the future/, SECRET, headersOf(), BODY, { now: 1614265330 - 301 });
  assert.ok(verifyWebhook(SECRET, headersOf(), BODY, { now: 1614265330 + 300 }));
  assert.ok(verifyWebhook(SECRET, headersOf(), BODY, { now: 1614265330 - 300 }));
  refused(/too old/, SECRET, headersOf(), BODY, { now: 1614265330 + 11, toleranceSeconds: 10 });
  refused(/too old/, SECRET, headersOf(), BODY, {}); // now defaults to the clock
});

test('timestamps that are not plain integers are refused', () => {
  for (const timestamp of ['1614265330.0', '1.61426533e9', '-1614265330', '+1614265330', '0x603803F2', 'soon']) {
    const signature = signWebhook(SECRET, ID, timestamp, BODY);
    refused(/not an integer/, SECRET, headersOf(signature, ID, timestamp));
  }
});

test('missing headers are refused', () => {
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const headers = headersOf();
    delete headers[name];
    refused(new RegExp(`missing ${name}`), SECRET, headers);
    refused(new RegExp(`missing ${name}`), SECRET, { ...headersOf(), [name]: '' });
  }
  refused(/missing webhook-id/, SECRET, undefined);
});

test('a body that is not raw bytes is refused', () => {
  refused(/raw bytes/, SECRET, headersOf(), JSON.parse(BODY));
});

test('any one matching v1 signature among several is accepted', () => {
  const header = `v2,abc v1,${'A'.repeat(43)}= v1, ${SIGNATURE}`;
  assert.deepEqual(verifyWebhook(SECRET, headersOf(header), BODY, NOW), { test: 2432232314 });
});

test('header names may be in any case, or a Headers object', () => {
  const mixed = { 'Webhook-Id': ID, 'WEBHOOK-TIMESTAMP': TIMESTAMP, 'webhook-Signature': SIGNATURE };
  assert.deepEqual(verifyWebhook(SECRET, mixed, BODY, NOW), { test: 2432232314 });
  assert.deepEqual(verifyWebhook(SECRET, new Headers(mixed), BODY, NOW), { test: 2432232314 });
});

// ---- the receiver ----

const RECEIVER_SECRET = 'whsec_' + Buffer.from('receiver test key, 32 bytes long').toString('base64');
const CELL = 'ada.secret@example.org';
const NOTE = 'a private note';

const rowsMessage = (index, firstRow) => ({
  type: 'import.rows',
  timestamp: '2025-01-02T03:04:05Z',
  data: {
    importId: 'imp_test1',
    importer: 'demo',
    chunk: { index, count: 2 },
    firstRow,
    lastRow: firstRow + 1,
    totalRows: 4,
    file: { name: 'secret-contacts.csv', size: 123, type: 'text/csv' },
    user: { id: 'user-secret-42' },
    attributes: { team: 'team-secret' },
    rows: [
      { row: firstRow, invalid: false, data: { email: CELL, name: 'Ada' }, kept: { Notes: NOTE } },
      { row: firstRow + 1, invalid: false, data: { email: `b${firstRow}@example.org`, name: 'Bob' } },
    ],
  },
});
const completedMessage = {
  type: 'import.completed',
  timestamp: '2025-01-02T03:04:06Z',
  data: {
    importId: 'imp_test1',
    importer: 'demo',
    status: 'complete',
    rows: 4,
    invalidRows: 0,
    batches: 1,
    chunks: 2,
    startedAt: '2025-01-02T03:04:00Z',
    completedAt: '2025-01-02T03:04:06Z',
    file: { name: 'secret-contacts.csv', size: 123, type: 'text/csv' },
    user: { id: 'user-secret-42' },
    attributes: { team: 'team-secret' },
    mapping: { email: 'E-mail', name: 'Name' },
  },
};

/** POSTs `message` to the receiver signed as Sluice would, with `secret` and webhook-id `id`. */
function post(url, id, message, secret = RECEIVER_SECRET) {
  const body = JSON.stringify(message);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signWebhook(secret, id, timestamp, body),
  };
  return fetch(url, { method: 'POST', headers, body });
}

/** Starts a receiver on port 0 writing to a temp folder; `t` closes and removes both. */
async function receiver(t, options = {}) {
  const out = await mkdtemp(join(tmpdir(), 'sluice-webhook-'));
  const logs = [];
  const started = await startReceiver({ port: 0, secret: RECEIVER_SECRET, out, log: (line) => logs.push(line), ...options });
  t.after(async () => {
    await started.close();
    await rm(out, { recursive: true, force: true });
  });
  return { ...started, out, logs };
}

test('the receiver stores rows, dedupes by id and logs no cell values', async (t) => {
  const { url, out, logs, messages } = await receiver(t);
  assert.equal((await post(url, 'msg_rows0', rowsMessage(0, 1))).status, 204);
  assert.equal((await post(url, 'msg_rows1', rowsMessage(1, 3))).status, 204);
  const again = await post(url, 'msg_rows0', rowsMessage(0, 1));
  assert.equal(again.status, 200);
  assert.equal((await post(url, 'msg_done', completedMessage)).status, 204);

  const lines = (await readFile(join(out, 'imp_test1.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.deepEqual(
    lines.map((row) => row.row),
    [1, 2, 3, 4],
  );
  assert.equal(lines[0].data.email, CELL);
  assert.equal(lines[0].kept.Notes, NOTE);
  assert.deepEqual(messages.get('msg_rows0'), { type: 'import.rows', count: 2, payload: rowsMessage(0, 1) });
  assert.equal(messages.get('msg_done').type, 'import.completed');

  assert.ok(logs.includes('import imp_test1: rows 1–2 (chunk 1 of 2)'), logs.join('\n'));
  assert.ok(logs.includes('import imp_test1: rows 3–4 (chunk 2 of 2)'), logs.join('\n'));
  assert.ok(logs.includes('import imp_test1 complete: 4 rows, 0 invalid'), logs.join('\n'));
  const all = logs.join('\n');
  for (const secret of [CELL, NOTE, 'Ada', 'Bob', 'example.org', 'secret-contacts', 'user-secret', 'team-secret', 'E-mail']) {
    assert.ok(!all.includes(secret), `log holds ${secret}`);
  }
});

test('the receiver refuses bad signatures with 401', async (t) => {
  const { url, logs, messages } = await receiver(t);
  const response = await post(url, 'msg_bad', rowsMessage(0, 1), 'whsec_' + Buffer.from('another key').toString('base64'));
  assert.equal(response.status, 401);
  assert.equal(await response.text(), 'no matching signature');
  assert.equal(messages.size, 0);
  assert.ok(!logs.join('\n').includes(CELL));
});

test('the receiver answers 503 to the first failFirst requests', async (t) => {
  const { url, messages } = await receiver(t, { failFirst: 2 });
  const statuses = [];
  for (let attempt = 0; attempt < 3; attempt += 1) statuses.push((await post(url, 'msg_retry', completedMessage)).status);
  assert.deepEqual(statuses, [503, 503, 204]);
  assert.equal(messages.get('msg_retry').count, 1);
});

test('the receiver answers 404, 405 and 413 where due', async (t) => {
  const { url } = await receiver(t);
  assert.equal((await fetch(new URL('/elsewhere', url), { method: 'POST', body: '{}' })).status, 404);
  const get = await fetch(url);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  // Announce a body over 64 MiB without sending it.
  const status = await new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', headers: { 'content-length': String(64 * 1024 * 1024 + 1) } }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    outgoing.on('error', reject);
    outgoing.write('{');
  });
  assert.equal(status, 413);
});
