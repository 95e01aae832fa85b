// The operator dashboard in Debian Chromium against the real server: sign in, download an
// importer's template, see an import the Rust client made, read its rows, download CSV (formula
// cells neutralised) and JSON, delete it and see its data gone and its record kept; every admin
// route refuses a missing or wrong token; no route of the server sends a cookie.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, root, shot, startSluice } from '../../../widget-js/test/support.mjs';

const TOKEN = 'dashboard-test-token-0123456789abcdef';
const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME ?? '', '.cache/sluice/target');
const UPLOAD = join(target, 'debug/examples/upload');

// Cells a spreadsheet would run: a formula, a plus (every phone number), a minus, an at sign.
const FILE = [
  'Customer ID,First Name,Last Name,E-mail Address,Phone,DOB,Plan,Newsletter',
  '1,=HYPERLINK("http://x.test"),Lovelace,ada@example.com,+44 20 7946 0018,1815-12-10,pro,yes',
  '2,Alan,-Turing,alan@example.org,+44 161 496 0000,1912-06-23,free,no',
  '3,Grace,@Hopper,grace@example.com,+1 202 555 0100,1906-12-09,enterprise,yes',
].join('\n');

let browser;
let server;
let dir;
let importId;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-dashboard-'));
  server = await startSluice({
    importer: `key = "demo"\nname = "Contacts"\nallowed_origins = ["http://127.0.0.1:1"]\nschema = "${join(root, 'examples/schema.toml')}"`,
    env: { SLUICE_ADMIN_TOKEN: TOKEN },
  });
  await writeFile(join(dir, 'contacts.csv'), FILE);
  const upload = spawnSync(UPLOAD, [server.url, 'demo', join(dir, 'contacts.csv')], { encoding: 'utf8' });
  assert.equal(upload.status, 0, upload.stderr);
  importId = upload.stdout.match(/import (imp_[a-z0-9]+) started/)[1];
  browser = await chromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function signedIn() {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // The wrong token below makes the browser log its 401; anything else logged is an error.
  const expected = /status of 401/;
  page.on('console', (message) => message.type() === 'error' && !expected.test(message.text()) && errors.push(message.text()));
  await page.goto(`${server.url}/admin`);
  await page.fill('#token', 'not-the-token-not-the-token-not-the-token');
  await page.click('#sign-in button[type=submit], #sign-in [type=submit]');
  await page.locator('[role="alert"]', { hasText: 'not valid' }).waitFor();
  await page.fill('#token', TOKEN);
  await page.click('#sign-in [type=submit]');
  await page.locator('a[href="#/imports"]').waitFor();
  return { page, errors };
}

test('sign in, find the import, read its rows, download CSV and JSON, delete it', async () => {
  const { page, errors } = await signedIn();
  await shot(page, 'dashboard-importers');
  assert.ok(await page.getByText('Contacts').first().isVisible());
  const [template] = await Promise.all([page.waitForEvent('download'), page.click('a[data-template="demo"]')]);
  assert.equal(template.suggestedFilename(), 'Contacts-template.csv');
  const templateLines = (await readFile(await template.path(), 'utf8')).split('\r\n');
  assert.equal(templateLines[0], 'Customer ID,First name,Last name,Email address,Phone,Date of birth,Plan,Newsletter');
  assert.equal(templateLines[1], '42,Example,Example,name@example.com,,2024-12-31,free,yes');

  await page.click('a[href="#/imports"]');
  const row = page.locator(`#imports-table [data-import-id="${importId}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /contacts\.csv/);
  await shot(page, 'dashboard-imports');
  await row.locator('a').first().click();

  const rows = page.locator('#rows-table');
  await rows.waitFor();
  const text = await rows.textContent();
  assert.ok(text.includes('=HYPERLINK("http://x.test")') && text.includes('grace@example.com'), 'the rows, as stored');
  assert.match(await page.locator('#data-state').textContent(), /kept/);
  await shot(page, 'dashboard-import');

  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
  const lines = (await readFile(await csv.path(), 'utf8')).trim().split('\r\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^id,first_name,last_name,email,phone/);
  assert.ok(lines[1].startsWith(`1,"'=HYPERLINK(""http://x.test"")",Lovelace,ada@example.com,'+44 20 7946 0018`), lines[1]);
  assert.ok(lines[2].includes(",'-Turing,") && lines[3].includes(",'@Hopper,"), 'minus and at sign neutralised');

  await page.uncheck('#neutralize');
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
  const parsed = JSON.parse(await readFile(await json.path(), 'utf8'));
  assert.equal(parsed.length, 3);
  assert.equal(parsed[0].data.first_name, '=HYPERLINK("http://x.test")', 'as stored when neutralising is off');
  assert.equal(parsed[1].data.last_name, '-Turing');

  await page.click('#delete-import');
  await page.click('#confirm');
  await page.locator('#data-state', { hasText: 'deleted' }).waitFor();
  assert.equal(await page.locator('#rows-table').count(), 0, 'no rows once deleted');
  assert.match(await page.locator('#events-table').textContent(), /data_deleted/);
  await shot(page, 'dashboard-deleted');

  const record = await api('GET', `/v1/admin/imports/${importId}`);
  assert.equal(record.status, 200);
  assert.equal(record.body.rows, 3, 'the record keeps its counts');
  assert.equal(record.body.deletedReason, 'operator');
  assert.equal((await api('GET', `/v1/admin/imports/${importId}/rows`)).status, 410);
  assert.equal(record.body.file, null, 'the file name went with the data');
  // The audit log is written without holding up the answer: wait for it.
  const wanted = ['sign_in', 'sign_in_failed', 'list_imports', 'view_rows', 'download', 'delete_import'];
  let audit;
  for (let tries = 0; tries < 50; tries += 1) {
    audit = await api('GET', '/v1/admin/audit');
    const actions = audit.body.entries.map((e) => e.action);
    if (wanted.every((action) => actions.includes(action))) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const actions = audit.body.entries.map((e) => e.action);
  for (const action of wanted) assert.ok(actions.includes(action), action);
  assert.ok(!JSON.stringify(audit.body).includes('Lovelace'), 'no cell value in the audit log');
  assert.deepEqual(errors, []);
  await page.close();
});

async function api(method, path, token = TOKEN) {
  const headers = token === null ? {} : { authorization: `Bearer ${token}` };
  const response = await fetch(`${server.url}${path}`, { method, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

test('every admin route answers 401 without a valid token', async () => {
  const routes = [
    ['POST', '/v1/admin/session'],
    ['GET', '/v1/admin/importers'],
    ['GET', '/v1/admin/imports'],
    ['GET', `/v1/admin/imports/${importId}`],
    ['GET', `/v1/admin/imports/${importId}/rows`],
    ['GET', `/v1/admin/imports/${importId}/download?format=csv`],
    ['GET', '/v1/admin/deliveries/dead'],
    ['GET', '/v1/admin/audit'],
    ['DELETE', `/v1/admin/imports/${importId}`],
    ['DELETE', '/v1/admin/importers/demo/data'],
    ['DELETE', '/v1/admin/data?confirm=delete-all-data'],
    ['POST', `/v1/admin/deliveries/${importId}/retry`],
    ['POST', '/v1/admin/importers'],
    ['POST', '/v1/admin/importers/check'],
    ['PUT', '/v1/admin/importers/demo'],
    ['DELETE', '/v1/admin/importers/demo'],
    ['POST', '/v1/admin/importers/demo/disable'],
    ['POST', '/v1/admin/importers/demo/enable'],
    ['POST', '/v1/admin/importers/demo/destinations/0/rotate'],
    ['POST', '/v1/admin/importers/demo/destinations/0/test'],
  ];
  // A wrong token counts towards the limit of ten a minute (see the last test): eight here.
  for (const [index, [method, path]] of routes.entries()) {
    for (const token of index < 8 ? [null, '', 'wrong'] : [null, '']) {
      const answer = await api(method, path, token);
      assert.equal(answer.status, 401, `${method} ${path} with ${JSON.stringify(token)}`);
      assert.equal(answer.body.code, 'unauthorized');
      assert.equal(answer.headers.get('set-cookie'), null);
    }
  }
});

test('no route of the server sends a cookie', async () => {
  const paths = [
    '/',
    '/health',
    '/sluice.js',
    '/widget/app.js',
    '/embed/demo?origin=http://127.0.0.1:1',
    '/admin',
    '/admin/admin.js',
    '/admin/admin.css',
    '/v1/importers/demo',
    '/nowhere',
    '/v1/admin/importers',
  ];
  for (const path of paths) {
    for (const token of [null, TOKEN]) {
      const answer = await fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      assert.equal(answer.headers.get('set-cookie'), null, path);
      await answer.arrayBuffer();
    }
  }
  const page = await fetch(`${server.url}/admin`);
  assert.match(page.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'/);
});

test('ten wrong tokens in a minute and the address gets 429 for wrong ones; the right one still works', async () => {
  let answer;
  for (let attempt = 0; attempt < 10; attempt += 1) {
    answer = await api('POST', '/v1/admin/session', `wrong-${attempt}`);
    if (answer.status === 429) break;
    assert.equal(answer.status, 401);
  }
  assert.equal(answer.status, 429);
  assert.equal(answer.body.code, 'too_many_failures');
  assert.ok(Number(answer.headers.get('retry-after')) > 0);
  assert.equal((await api('GET', '/v1/admin/importers', 'wrong-again')).status, 429, 'for the rest of the minute');
  assert.equal((await api('GET', '/v1/admin/importers')).status, 200, 'nobody can lock the operator out');
});
