/**
 * Tests of the example start-token signer (start-token.mjs): `node --test examples/test/`.
 * The known-answer vector is the one of docs/protocol.md §4.8, which the server's own tests and
 * ingest-server/examples/start_token.rs check too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MAX_TTL_SECONDS, StartTokenError, signPayload, signStartToken } from '../start-token.mjs';

const SECRET = 'sluice-start-token-test-vector-secret-0001';
const PAYLOAD = '{"importer":"demo","exp":1767225600,"nonce":"4b1c2d7e9f30a6b8","user":{"user_id":"u_42"},"attributes":{"team":"sales"}}';
const TOKEN =
  'sst1.eyJpbXBvcnRlciI6ImRlbW8iLCJleHAiOjE3NjcyMjU2MDAsIm5vbmNlIjoiNGIxYzJkN2U5ZjMwYTZiOCIsInVzZXIiOnsidXNlcl9pZCI6InVfNDIifSwiYXR0cmlidXRlcyI6eyJ0ZWFtIjoic2FsZXMifX0._RLhQ9elUqteg2ucNR-6aR-kViz9M2NeBB0hLiq75UI';

/** The payload of a token, parsed, after checking its signature as the server does. */
function open(token, secret = SECRET) {
  const [prefix, payload64, signature] = token.split('.');
  assert.equal(prefix, 'sst1');
  const expected = createHmac('sha256', secret).update(`sst1.${payload64}`).digest('base64url');
  assert.equal(signature, expected);
  return JSON.parse(Buffer.from(payload64, 'base64url').toString('utf8'));
}

test('the known-answer vector signs to the documented token', () => {
  assert.equal(signPayload(SECRET, PAYLOAD), TOKEN);
  const { user, attributes, exp, nonce } = JSON.parse(PAYLOAD);
  assert.equal(signStartToken(SECRET, { importer: 'demo', user, attributes, nonce, now: exp - 300 }), TOKEN);
});

test('a token names the importer, the user and attributes, expires soon and is different each time', () => {
  const now = 1_800_000_000;
  const first = open(signStartToken(SECRET, { importer: 'contacts', user: { user_id: 'u_7' }, now }));
  assert.deepEqual(Object.keys(first), ['importer', 'exp', 'nonce', 'user', 'attributes']);
  assert.equal(first.importer, 'contacts');
  assert.deepEqual(first.user, { user_id: 'u_7' });
  assert.deepEqual(first.attributes, {});
  assert.equal(first.exp, now + 300);
  assert.ok(first.nonce.length >= 16);
  const second = open(signStartToken(SECRET, { importer: 'contacts', user: { user_id: 'u_7' }, now }));
  assert.notEqual(first.nonce, second.nonce);
  assert.equal(open(signStartToken(SECRET, { importer: 'x_1', ttlSeconds: MAX_TTL_SECONDS, now })).exp, now + 3600);
});

test('what cannot make a valid token is refused without repeating the secret', () => {
  const refused = (call, pattern) =>
    assert.throws(call, (error) => error instanceof StartTokenError && pattern.test(error.message) && !error.message.includes('short'));
  refused(() => signStartToken('short', { importer: 'demo' }), /at least 32/);
  refused(() => signStartToken(undefined, { importer: 'demo' }), /at least 32/);
  refused(() => signStartToken(SECRET, {}), /importer/);
  refused(() => signStartToken(SECRET, { importer: 'demo', user: 'u_42' }), /objects/);
  refused(() => signStartToken(SECRET, { importer: 'demo', attributes: [] }), /objects/);
  refused(() => signStartToken(SECRET, { importer: 'demo', ttlSeconds: 3601 }), /1 to 3600/);
  refused(() => signStartToken(SECRET, { importer: 'demo', ttlSeconds: 0 }), /1 to 3600/);
  refused(() => signStartToken(SECRET, { importer: 'demo', nonce: 'abc' }), /nonce/);
});

test('the command line prints a token for the secret in the environment', () => {
  const script = fileURLToPath(new URL('../start-token.mjs', import.meta.url));
  const run = (env) =>
    spawnSync(process.execPath, [script, '--importer', 'demo', '--user', '{"user_id":"u_42"}'], { encoding: 'utf8', env: { ...process.env, ...env } });
  const ok = run({ SLUICE_START_SECRET: SECRET });
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(open(ok.stdout.trim()).user, { user_id: 'u_42' });
  const missing = run({ SLUICE_START_SECRET: '' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /SLUICE_START_SECRET/);
});
