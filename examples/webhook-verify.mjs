/**
 * Verifies (and signs) Sluice's webhooks, which follow the Standard Webhooks scheme
 * (https://www.standardwebhooks.com/). This module owns the signature check only: no
 * dependencies beyond node:crypto, so a receiving app can copy it as it is.
 *
 *   const payload = verifyWebhook(process.env.SLUICE_WEBHOOK_SECRET, request.headers, rawBody);
 *
 * Messages are delivered at least once: dedupe them by the `webhook-id` header.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** Thrown when a webhook must be refused; `reason` says what is wrong (never the body). */
export class WebhookVerificationError extends Error {
  constructor(reason) {
    super(`webhook refused: ${reason}`);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

/** The HMAC key of a `whsec_…` secret, or throws if the secret is missing or malformed. */
function secretKey(secret) {
  if (typeof secret !== 'string' || secret === '') throw new WebhookVerificationError('no secret configured');
  if (!secret.startsWith(PREFIX)) throw new WebhookVerificationError('secret does not start with whsec_');
  const encoded = secret.slice(PREFIX.length);
  // Standard or URL-safe base64 (one alphabet, as the server accepts), padded or not.
  const alphabet = BASE64.test(encoded) ? 'base64' : BASE64URL.test(encoded) ? 'base64url' : null;
  if (!alphabet) throw new WebhookVerificationError('secret is not valid base64 after whsec_');
  const key = Buffer.from(encoded, alphabet);
  // Buffer's decoder is lenient: re-encode to catch a bad length, padding or trailing bits.
  if (key.length === 0 || key.toString(alphabet).replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw new WebhookVerificationError('secret is not valid base64 after whsec_');
  }
  return key;
}

/** One header's value from a plain object (any case of names), `Headers`, or Node's `request.headers`. */
function header(headers, name) {
  let value;
  if (headers && typeof headers.get === 'function') value = headers.get(name);
  else if (headers && typeof headers === 'object') {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  if (Array.isArray(value)) value = value.join(' ');
  if (typeof value !== 'string' || value.trim() === '') throw new WebhookVerificationError(`missing ${name} header`);
  return value.trim();
}

/** The base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`. */
function digest(key, id, timestamp, body) {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

/** Signs a message: returns the `v1,…` value for the `webhook-signature` header. */
export function signWebhook(secret, id, timestamp, body) {
  return `v1,${digest(secretKey(secret), id, timestamp, body)}`;
}

/** Refuses a timestamp that is not a plain integer or is further than `tolerance` seconds from `now`. */
function checkTimestamp(timestamp, now, tolerance) {
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not an integer');
  const seconds = Number(timestamp);
  if (seconds < now - tolerance) throw new WebhookVerificationError('webhook-timestamp is too old');
  if (seconds > now + tolerance) throw new WebhookVerificationError('webhook-timestamp is in the future');
}

/** Whether any `v1,` entry of the signature header equals `expected` (compared in constant time). */
function anySignatureMatches(signatureHeader, expected) {
  const wanted = Buffer.from(expected);
  const v1 = signatureHeader.split(' ').filter((entry) => entry.startsWith('v1,'));
  if (v1.length === 0) throw new WebhookVerificationError('no v1 signature in webhook-signature');
  return v1.some((entry) => {
    const given = Buffer.from(entry.slice(3));
    // An empty signature or one of the wrong length never matches.
    return given.length === wanted.length && given.length > 0 && timingSafeEqual(given, wanted);
  });
}

/**
 * Checks a webhook and returns its parsed JSON payload, or throws WebhookVerificationError.
 * `body` must be the raw request body exactly as received (a Buffer or string): never
 * JSON.stringify a parsed object, since re-serialising changes the bytes that were signed.
 */
export function verifyWebhook(secret, headers, body, { toleranceSeconds = 300, now = Date.now() / 1000 } = {}) {
  const key = secretKey(secret);
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) {
    throw new WebhookVerificationError('body must be the raw bytes (Buffer or string)');
  }
  checkTimestamp(timestamp, now, toleranceSeconds);
  if (!anySignatureMatches(signatures, digest(key, id, timestamp, body))) {
    throw new WebhookVerificationError('no matching signature');
  }
  try {
    return JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : body);
  } catch {
    throw new WebhookVerificationError('body is not valid JSON');
  }
}
