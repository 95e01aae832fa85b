/**
 * Signs Sluice start tokens on the host app's own server, for an importer configured with
 * `[importers.start] secret = "…"` (docs/protocol.md, §4.8). This module owns the signing only:
 * no dependencies beyond node:crypto, so an app can copy it as it is. Sign for the user your
 * app has signed in, never for a user the browser names:
 *
 *   app.get('/sluice/start-token', (request, response) => {
 *     const user = { user_id: request.session.userId };
 *     response.type('text/plain').send(signStartToken(process.env.SLUICE_START_SECRET, { importer: 'contacts', user }));
 *   });
 *
 * and give the widget a function that fetches a fresh token for each start:
 * `Sluice.importer({ importer: 'contacts', user, startToken: () => fetch('/sluice/start-token').then((r) => r.text()) })`.
 *
 * From a shell: SLUICE_START_SECRET=… node examples/start-token.mjs --importer demo --user '{"user_id":"u_42"}'
 */
import { createHmac, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const PREFIX = 'sst1.';
/** The longest a token may live: the server refuses one that expires later than this from now. */
export const MAX_TTL_SECONDS = 3600;

/** Thrown for a call that cannot make a valid token; `message` never repeats the secret. */
export class StartTokenError extends Error {
  constructor(message) {
    super(`start token: ${message}`);
    this.name = 'StartTokenError';
  }
}

/** The token for an exact payload (a JSON text): `sst1.` ‖ base64url(payload) ‖ `.` ‖ base64url(HMAC-SHA256). */
export function signPayload(secret, payload) {
  if (typeof secret !== 'string' || secret.length < 32) throw new StartTokenError('the secret must be at least 32 characters');
  const signed = PREFIX + Buffer.from(payload, 'utf8').toString('base64url');
  return `${signed}.${createHmac('sha256', Buffer.from(secret, 'utf8')).update(signed).digest('base64url')}`;
}

/** Whether `value` is a plain object (what `user` and `attributes` must be). */
function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A token for one start of `importer` by `user` with `attributes` (the same objects the widget
 * is given: the server compares them as JSON values), valid for `ttlSeconds` (1 to 3600,
 * default 300), with a fresh random nonce, so that each token is different and used once.
 */
export function signStartToken(
  secret,
  { importer, user = {}, attributes = {}, ttlSeconds = 300, now = Date.now() / 1000, nonce = randomBytes(16).toString('base64url') } = {},
) {
  if (typeof importer !== 'string' || importer === '') throw new StartTokenError("importer must be the importer's key");
  if (!isObject(user) || !isObject(attributes)) throw new StartTokenError('user and attributes must be objects');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
    throw new StartTokenError(`ttlSeconds must be a whole number from 1 to ${MAX_TTL_SECONDS}`);
  }
  if (typeof nonce !== 'string' || nonce.length < 16 || nonce.length > 128) throw new StartTokenError('the nonce must be 16 to 128 characters');
  const exp = Math.floor(now) + ttlSeconds;
  return signPayload(secret, JSON.stringify({ importer, exp, nonce, user, attributes }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      importer: { type: 'string' },
      user: { type: 'string', default: '{}' },
      attributes: { type: 'string', default: '{}' },
      ttl: { type: 'string', default: '300' },
    },
  });
  try {
    const token = signStartToken(process.env.SLUICE_START_SECRET, {
      importer: values.importer,
      user: JSON.parse(values.user),
      attributes: JSON.parse(values.attributes),
      ttlSeconds: Number(values.ttl),
    });
    process.stdout.write(`${token}\n`);
  } catch (error) {
    process.stderr.write(`${error.message} (give --importer KEY, --user JSON, --attributes JSON, --ttl SECONDS and SLUICE_START_SECRET)\n`);
    process.exitCode = 2;
  }
}
