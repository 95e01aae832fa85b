/**
 * An example app receiving Sluice's webhooks: it owns the HTTP side (routing, reading the raw
 * body, answering) and what is done with each message (dedupe by `webhook-id`, append the rows
 * of `import.rows` to `<out>/<importId>.jsonl`, log one line per message). The signature check
 * is in webhook-verify.mjs. The log never holds cell values, file names or user attributes.
 *
 *   node examples/webhook-receiver.mjs [--port 8090] [--host 127.0.0.1] [--path /hooks/sluice]
 *     --secret whsec_… (or env SLUICE_WEBHOOK_SECRET) [--out DIR] [--fail-first N]
 */
import { createServer } from 'node:http';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { verifyWebhook, WebhookVerificationError } from './webhook-verify.mjs';

const MAX_BODY = 64 * 1024 * 1024;
const IMPORT_ID = /^[A-Za-z0-9_-]{1,200}$/;

/** Reads the raw request body, or resolves null once it passes `limit` bytes. */
function readBody(request, limit) {
  if (Number(request.headers['content-length']) > limit) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        resolve(null);
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Sends a short plain-text answer (or none for 204). */
function answer(response, status, text = '', extra = {}) {
  const headers = text ? { 'content-type': 'text/plain; charset=utf-8', ...extra } : extra;
  response.writeHead(status, headers).end(text);
}

/** Appends the rows of an `import.rows` message to `<out>/<importId>.jsonl`, one JSON line each. */
async function saveRows(out, data) {
  if (!IMPORT_ID.test(String(data.importId))) throw new Error('importId is not a plain identifier');
  await mkdir(out, { recursive: true });
  const lines = data.rows.map((row) => `${JSON.stringify(row)}\n`).join('');
  await appendFile(join(out, `${data.importId}.jsonl`), lines);
}

/** Handles one verified, first-seen message and logs a line about it (counts and ids only). */
async function handle(payload, { out, log }) {
  const data = payload.data ?? {};
  if (payload.type === 'import.rows') {
    if (out) await saveRows(out, data);
    const chunk = data.chunk ?? {};
    log(`import ${data.importId}: rows ${data.firstRow}–${data.lastRow} (chunk ${chunk.index + 1} of ${chunk.count})`);
  } else if (payload.type === 'import.completed') {
    log(`import ${data.importId} ${data.status}: ${data.rows} rows, ${data.invalidRows} invalid`);
  } else {
    log(`ignored a message of an unknown type`);
  }
}

/**
 * Starts the receiver; resolves to `{ url, port, close(), messages }`, where `messages` maps
 * each webhook-id to `{ type, count, payload }`. `failFirst` answers 503 to the first N
 * requests, to show Sluice's retries.
 */
export function startReceiver({ port = 8090, host = '127.0.0.1', path = '/hooks/sluice', secret, out, log = console.log, failFirst = 0 }) {
  const messages = new Map();
  let failed = 0;

  async function receive(request, response) {
    if (new URL(request.url ?? '/', 'http://x').pathname !== path) return answer(response, 404, 'not found');
    if (request.method !== 'POST') return answer(response, 405, 'method not allowed', { allow: 'POST' });
    const body = await readBody(request, MAX_BODY);
    if (body === null) return answer(response, 413, 'payload too large', { connection: 'close' });
    if (failed < failFirst) {
      failed += 1;
      log(`answering 503 on purpose (${failed} of ${failFirst})`);
      return answer(response, 503, 'try again later', { 'retry-after': '1' });
    }
    let payload;
    try {
      payload = verifyWebhook(secret, request.headers, body);
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      log(`refused a webhook: ${error.reason}`);
      return answer(response, 401, error.reason);
    }
    const id = request.headers['webhook-id'];
    const seen = messages.get(id);
    if (seen) {
      seen.count += 1;
      log(`message ${id} already received (${seen.count} times); not processed again`);
      return answer(response, 200, 'already received');
    }
    messages.set(id, { type: payload.type, count: 1, payload });
    try {
      await handle(payload, { out, log });
    } catch (error) {
      messages.delete(id); // let Sluice's retry process it
      log(`message ${id} failed: ${error.message}`);
      return answer(response, 500, 'could not process the message');
    }
    answer(response, 204);
  }

  const server = createServer((request, response) => {
    receive(request, response).catch((error) => {
      log(`receiver error: ${error.message}`);
      if (!response.headersSent) answer(response, 500, 'internal error');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${actual}${path}`,
        port: actual,
        messages,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Runs the receiver from the command line until SIGINT/SIGTERM. */
async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8090' },
      host: { type: 'string', default: '127.0.0.1' },
      path: { type: 'string', default: '/hooks/sluice' },
      secret: { type: 'string', default: process.env.SLUICE_WEBHOOK_SECRET },
      out: { type: 'string' },
      'fail-first': { type: 'string', default: '0' },
    },
  });
  if (!values.secret) {
    console.error('webhook receiver: give --secret whsec_… or set SLUICE_WEBHOOK_SECRET');
    process.exit(2);
  }
  const receiver = await startReceiver({
    port: Number(values.port),
    host: values.host,
    path: values.path,
    secret: values.secret,
    out: values.out,
    failFirst: Number(values['fail-first']),
  });
  console.log(`webhook receiver listening on ${receiver.url}`);
  const stop = () => receiver.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
