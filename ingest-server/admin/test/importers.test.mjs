// Importers made in the dashboard, in Debian Chromium against the real server: the file's importer
// shown read-only; a new importer made with the form (two columns, a PostgreSQL table given its
// password, an S3 bucket given its access key, a webhook whose secret is shown once); an import
// through it (the Rust upload example, as the widget would send it) arriving in the table, the
// bucket and the receiver, signed; a field refused by name; each destination tested; the
// webhook's secret rotated; the importer deleted with its data. PostgreSQL and the S3 server (moto) are started by the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, root, shot, startSluice } from '../../../widget-js/test/support.mjs';
import { startPostgres, startS3 } from './services.mjs';

const TOKEN = 'importers-test-token-0123456789abcdef';
const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME ?? '', '.cache/sluice/target');
const UPLOAD = join(target, 'debug/examples/upload');
const FILE = ['email,name', 'ada@example.com,Ada', 'alan@example.org,Alan', 'grace@example.com,Grace'].join('\n');

let browser;
let server;
let postgres;
let s3;
let receiver;
let dir;

/** A webhook receiver on 127.0.0.1 that keeps each request's id, timestamp, signature and body. */
async function startReceiver() {
  const received = [];
  const http = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const header = (name) => request.headers[name] ?? '';
      received.push({
        id: header('webhook-id'),
        timestamp: header('webhook-timestamp'),
        signature: header('webhook-signature'),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.end('ok');
    });
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${http.address().port}/hooks`, received, close: () => new Promise((resolve) => http.close(resolve)) };
}

/** Whether one of `message`'s signatures is the one `secret` makes (Standard Webhooks). */
function signedWith(message, secret) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = `v1,${createHmac('sha256', key).update(`${message.id}.${message.timestamp}.${message.body}`).digest('base64')}`;
  return message.signature.split(' ').includes(expected);
}

/** Waits until `check` returns something truthy (a minute at most). */
async function until(what, check) {
  for (let tries = 0; tries < 600; tries += 1) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

before(async () => {
  [postgres, s3, receiver] = await Promise.all([startPostgres(), startS3(), startReceiver()]);
  postgres.psql('CREATE TABLE crm_contacts (import_id text NOT NULL, row_number bigint NOT NULL, email text, name text, PRIMARY KEY (import_id, row_number))');
  await s3.createBucket('imports');
  server = await startSluice({
    importer: `key = "demo"\nname = "Contacts"\nallowed_origins = ["http://127.0.0.1:1"]\nschema = "${join(root, 'examples/schema.toml')}"`,
    env: { SLUICE_ADMIN_TOKEN: TOKEN },
  });
  dir = await mkdtemp(join(tmpdir(), 'sluice-importers-'));
  await writeFile(join(dir, 'contacts.csv'), FILE);
  browser = await chromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await Promise.all([postgres?.close(), s3?.close(), receiver?.close()]);
  await rm(dir, { recursive: true, force: true });
});

async function signedIn() {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 1000 });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // The refused save below makes the browser log its 422; anything else logged is an error.
  page.on('console', (message) => message.type() === 'error' && !/status of 422/.test(message.text()) && errors.push(message.text()));
  await page.goto(`${server.url}/admin`);
  await page.fill('#token', TOKEN);
  await page.click('#sign-in [type=submit]');
  await page.locator('#new-importer').waitFor();
  return { page, errors };
}

/** Fills the last destination's field labelled `label`. */
async function fillLast(page, label, value) {
  await page.locator('fieldset.destination').last().getByLabel(label, { exact: true }).fill(value);
}

async function checkLast(page, label) {
  await page.locator('fieldset.destination').last().getByLabel(label, { exact: true }).check();
}

test('make an importer with a table, a bucket and a webhook; import through it; rotate its secret; delete it', async () => {
  const { page, errors } = await signedIn();
  const demo = page.locator('section', { hasText: 'Contacts' });
  assert.match(await demo.textContent(), /configuration file, read-only/);
  assert.equal(await demo.getByRole('link', { name: 'Edit' }).count(), 0, 'the file importer has no Edit');

  await page.click('#new-importer');
  await page.getByLabel('Key', { exact: true }).fill('crm');
  await page.getByLabel('Name shown to users').fill('CRM leads');
  await page.getByLabel('Allowed origins, one per line').fill('https://crm.example.com');
  await page.click('#add-column');
  await page.locator('tr.column').last().getByLabel('Column key').fill('name');

  await page.click('#add-destination');
  await page.locator('fieldset.destination').last().getByLabel('Kind').selectOption('postgres');
  await fillLast(page, 'URL without password, such as postgres://sluice@db.example.com:5432/crm', `postgres://sluice@127.0.0.1:${postgres.port}/postgres`);
  await fillLast(page, 'Password', postgres.password);
  await fillLast(page, 'Table, such as public.contacts', 'crm_contacts');
  await page.locator('fieldset.destination').last().getByLabel('TLS').selectOption('disable');
  await checkLast(page, 'Allow this machine or a private network');

  await page.click('#add-destination');
  await page.locator('fieldset.destination').last().getByLabel('Kind').selectOption('s3');
  await fillLast(page, 'Endpoint, such as https://s3.eu-west-1.amazonaws.com', s3.endpoint);
  await fillLast(page, 'Bucket', 'imports');
  await fillLast(page, 'Key prefix, such as sluice/', 'sluice/');
  await checkLast(page, 'Path-style URLs (MinIO and most self-hosted services)');
  await fillLast(page, 'Access key id', 'testing');
  await fillLast(page, 'Secret access key', 'testing-secret');
  await checkLast(page, 'Allow this machine or a private network');

  await page.click('#add-destination');
  await fillLast(page, 'URL', receiver.url);

  // A webhook on this machine without allow_private_network: refused, by field, nothing saved.
  await page.click('#save-importer');
  const problems = page.locator('#importer-errors');
  await problems.waitFor();
  assert.match(await problems.textContent(), /destinations\[2\]\.url: leads to this machine or a private network/);
  assert.equal(await page.locator('fieldset.destination').last().getByLabel('URL', { exact: true }).getAttribute('aria-invalid'), 'true');
  await shot(page, 'dashboard-importer-refused');

  // The TOML view shows the settings without the password or keys typed in the form.
  await page.click('#mode-toml');
  const toml = await page.locator('#importer-text').inputValue();
  assert.match(toml, /key = "crm"/);
  assert.ok(!toml.includes(postgres.password) && !toml.includes('testing-secret'), 'no secret in the text view');
  await page.click('#mode-form');
  assert.equal(await page.getByLabel('Key', { exact: true }).inputValue(), 'crm');
  // Back from TOML, the password and keys are typed again (they are never sent back).
  const destinations = page.locator('fieldset.destination');
  await destinations.nth(0).getByLabel('Password', { exact: true }).fill(postgres.password);
  await destinations.nth(1).getByLabel('Access key id', { exact: true }).fill('testing');
  await destinations.nth(1).getByLabel('Secret access key', { exact: true }).fill('testing-secret');
  await destinations.nth(2).getByLabel('Allow this machine or a private network', { exact: true }).check();
  await page.click('#save-importer');

  const secretField = page.locator('input.secret');
  await secretField.waitFor();
  const secret = await secretField.inputValue();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  await shot(page, 'dashboard-importer-secret');
  await page.click('#secrets-done');
  const crm = page.locator('section', { hasText: 'CRM leads' });
  await crm.waitFor();
  assert.match(await crm.textContent(), /made in the dashboard/);
  assert.ok(!(await page.content()).includes(secret), 'the secret is shown once');

  // Test each destination: the table checked, an object put and deleted, a signed sluice.test.
  const tests = crm.locator('button.test');
  for (let index = 0; index < 3; index += 1) {
    await tests.nth(index).click();
    await crm
      .locator('output.test-result')
      .nth(index)
      .filter({ hasText: /Delivered|Failed/ })
      .waitFor();
    assert.match(await crm.locator('output.test-result').nth(index).textContent(), /^Delivered/);
  }
  const probe = await until('the sluice.test message', () => receiver.received.find((m) => JSON.parse(m.body).type === 'sluice.test'));
  assert.ok(signedWith(probe, secret), 'the test message is signed');
  assert.deepEqual(await s3.keys('imports', 'sluice/crm/'), [], 'the test object was deleted');
  await shot(page, 'dashboard-importer-made');

  const upload = spawnSync(UPLOAD, [server.url, 'crm', join(dir, 'contacts.csv')], { encoding: 'utf8' });
  assert.equal(upload.status, 0, upload.stderr);
  const importId = upload.stdout.match(/import (imp_[a-z0-9]+) started/)[1];
  const rows = await until('the rows in PostgreSQL', () => {
    const out = postgres.psql(`SELECT email || ' ' || name FROM crm_contacts WHERE import_id = '${importId}' ORDER BY row_number`);
    return out.split('\n').length === 3 && out;
  });
  assert.equal(rows, 'ada@example.com Ada\nalan@example.org Alan\ngrace@example.com Grace');
  const keys = await until('the object and its manifest in the bucket', async () => {
    const found = await s3.keys('imports', 'sluice/crm/');
    return found.length === 2 && found;
  });
  assert.deepEqual(keys.sort(), [`sluice/crm/${importId}.jsonl`, `sluice/crm/${importId}.manifest.json`]);
  const lines = (await s3.object('imports', `sluice/crm/${importId}.jsonl`))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.data.name),
    ['Ada', 'Alan', 'Grace'],
  );
  await until('the webhook messages', () => receiver.received.length >= 3);
  assert.ok(
    receiver.received.every((m) => signedWith(m, secret)),
    'signed with the secret shown once',
  );

  // Rotate the webhook's secret: shown once; the old one signs beside it for the overlap.
  await crm.getByRole('button', { name: 'Rotate secret…' }).click();
  await page.selectOption('#rotate-overlap', '3600');
  await page.click('#confirm');
  await secretField.waitFor();
  const rotated = await secretField.inputValue();
  assert.ok(rotated.startsWith('whsec_') && rotated !== secret);
  assert.match(await page.locator('main').textContent(), /The old secret signs beside the new one until/);
  await page.click('#secrets-done');
  await crm.waitFor();
  const again = spawnSync(UPLOAD, [server.url, 'crm', join(dir, 'contacts.csv')], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  const second = again.stdout.match(/import (imp_[a-z0-9]+) started/)[1];
  const during = await until('the messages after the rotation', () => {
    const mine = receiver.received.filter((m) => JSON.parse(m.body).data.importId === second);
    return mine.length >= 2 && mine;
  });
  assert.ok(
    during.every((m) => signedWith(m, rotated) && signedWith(m, secret)),
    'both secrets verify during the overlap',
  );

  // Delete it: disabled, its data deleted, then the importer.
  await crm.getByRole('button', { name: 'Delete importer…' }).click();
  await page.fill('#confirm-text', 'crm');
  await page.click('#confirm');
  await until('the importer to go', async () => (await page.locator('section', { hasText: 'CRM leads' }).count()) === 0);
  assert.equal((await fetch(`${server.url}/v1/importers/crm`)).status, 404);

  await page.click('a[href="#/audit"]');
  const audit = page.locator('#audit-table');
  await audit.waitFor();
  const text = await audit.textContent();
  for (const action of ['importer_created', 'importer_secret_rotated', 'importer_disabled', 'importer_deleted']) assert.ok(text.includes(action), action);
  for (const hidden of [secret, rotated, postgres.password, 'testing-secret']) assert.ok(!text.includes(hidden), 'no secret in the audit log');
  await shot(page, 'dashboard-importer-audit');
  assert.deepEqual(errors, []);
  await page.close();
});
