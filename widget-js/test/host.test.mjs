// The host page's functions that take rows, in Debian Chromium against the real server:
// `onData` with backpressure, an importer that stores no rows (rows to the host page only), an
// importer that does not allow it, the csvbox shim's `data.rows`, and the review step's hooks:
// an async `validateRows` asking the app's own endpoint, and `transformRow`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { chromium, csv, openFrameOf, pasteAndSubmit, stack } from './support.mjs';

let browser;

before(async () => {
  browser = await chromium();
});

after(async () => {
  await browser?.close();
});

const HOST_PAGE_ONLY = 'host_page_rows = true\n[importers.retention]\nmode = "never_store"';

/**
 * The host page of `sluice` with an importer whose onData keeps every chunk on `window.chunks`,
 * takes `delayMs` per chunk (returning a promise), and counts chunks in progress at once.
 */
async function pageWithOnData(sluice, { delayMs = 0, failAt = -1 } = {}) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(sluice.page);
  await page.evaluate(
    ({ delayMs, failAt }) => {
      Object.assign(window, { chunks: [], busy: 0, mostBusy: 0, outcome: null, errors: [] });
      window.Sluice.importer({
        importer: 'demo',
        user: { user_id: 'u_7' },
        attributes: { team: 'ops' },
        options: { maxRows: 100000 },
        onData: async (rows, meta) => {
          window.busy += 1;
          window.mostBusy = Math.max(window.mostBusy, window.busy);
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          window.busy -= 1;
          if (meta.chunk.index === failAt) throw new Error('the CRM said no');
          window.chunks.push({ rows, meta });
        },
        onComplete: (result) => (window.outcome = { result }),
        onError: (error) => {
          window.errors.push(error);
          if (error.code !== 'host_page_rows_off') window.outcome ??= { error };
        },
      }).open();
    },
    { delayMs, failAt },
  );
  return page;
}

test('onData gets every checked row in order, chunk by chunk, one chunk at a time, and the server stores them too', async () => {
  const sluice = await stack({ importer: 'host_page_rows = true\n[importers.limits]\nbatch_rows = 40' });
  try {
    const page = await pageWithOnData(sluice, { delayMs: 30 });
    await pasteAndSubmit(openFrameOf(page), 150);
    await page.waitForFunction(() => window.outcome !== null, null, { timeout: 60000 });
    const { result, error } = await page.evaluate(() => window.outcome);
    assert.equal(error, undefined);
    const chunks = await page.evaluate(() => window.chunks);
    assert.equal(await page.evaluate(() => window.mostBusy), 1, 'the next chunk waits for the promise');
    assert.deepEqual(
      chunks.map((c) => [c.meta.chunk.index, c.meta.firstRow, c.meta.lastRow, c.rows.length]),
      [
        [0, 1, 40, 40],
        [1, 41, 80, 40],
        [2, 81, 120, 40],
        [3, 121, 150, 30],
      ],
    );
    const meta = chunks[0].meta;
    assert.equal(meta.importId, result.importId);
    assert.deepEqual([meta.importer, meta.totalRows, meta.user, meta.attributes], ['demo', 150, { user_id: 'u_7' }, { team: 'ops' }]);
    const first = chunks[0].rows[0];
    assert.equal(first.row, 1);
    assert.equal(first.invalid, false);
    assert.equal(first.data.email, 'user1@example.com');
    assert.deepEqual(first.kept, {});
    assert.deepEqual([result.rows, result.hostPageRows], [150, 150]);
    const stored = sluice.server.export(result.importId);
    assert.equal(stored.length, 150);
    assert.deepEqual(stored[0].cells, first.data, 'the host page gets what the server stores');
  } finally {
    await sluice.close();
  }
});

test('an importer that stores no rows hands them to the host page only, and the server logs the count', async () => {
  const sluice = await stack({ importer: `${HOST_PAGE_ONLY}\n[importers.limits]\nbatch_rows = 25` });
  try {
    const page = await pageWithOnData(sluice);
    const frame = openFrameOf(page);
    await pasteAndSubmit(frame, 60);
    await page.waitForFunction(() => window.outcome !== null, null, { timeout: 60000 });
    const { result } = await page.evaluate(() => window.outcome);
    // The counts are the server's answer to completion: it stored no batch.
    assert.deepEqual([result.rows, result.hostPageRows, result.batches], [0, 60, 0]);
    const rows = (await page.evaluate(() => window.chunks)).flatMap((c) => c.rows);
    assert.deepEqual(
      rows.map((r) => r.row),
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    assert.match(await frame.locator('[data-count=rows]').textContent(), /60/);
  } finally {
    await sluice.close();
  }
});

test('a failing onData stops the import and its message is shown; a page without onData cannot use an importer that stores no rows', async () => {
  const sluice = await stack({ importer: `${HOST_PAGE_ONLY}\n[importers.limits]\nbatch_rows = 10` });
  try {
    const page = await pageWithOnData(sluice, { failAt: 1 });
    const frame = openFrameOf(page);
    await pasteAndSubmit(frame, 30);
    await page.waitForFunction(() => window.outcome !== null, null, { timeout: 60000 });
    const { error } = await page.evaluate(() => window.outcome);
    assert.equal(error.code, 'host_page_failed');
    assert.match(await frame.locator('.notice[role=alert]').textContent(), /the CRM said no/);
    assert.equal((await page.evaluate(() => window.chunks)).length, 1, 'nothing after the failed chunk');
    await page.close();

    const bare = await browser.context.newPage();
    await bare.goto(sluice.page);
    await bare.evaluate(() => {
      window.outcome = null;
      window.Sluice.importer({ importer: 'demo', onError: (error) => (window.outcome = error) }).open();
    });
    const bareFrame = openFrameOf(bare);
    await pasteAndSubmit(bareFrame, 3);
    await bare.waitForFunction(() => window.outcome !== null, null, { timeout: 60000 });
    assert.equal(await bare.evaluate(() => window.outcome.code), 'no_on_data');
    assert.match(await bareFrame.locator('.notice[role=alert]').textContent(), /no onData/);
  } finally {
    await sluice.close();
  }
});

test('onData on an importer that does not allow it gets no row, and the host page is told why', async () => {
  const sluice = await stack();
  try {
    const page = await pageWithOnData(sluice);
    await pasteAndSubmit(openFrameOf(page), 5);
    await page.waitForFunction(() => window.outcome !== null, null, { timeout: 60000 });
    const { result } = await page.evaluate(() => window.outcome);
    assert.deepEqual([result.rows, result.hostPageRows], [5, undefined], 'stored, not handed over');
    const errors = await page.evaluate(() => window.errors);
    assert.deepEqual(
      errors.map((e) => e.code),
      ['host_page_rows_off'],
    );
    assert.match(errors[0].message, /host_page_rows = true/);
    assert.equal((await page.evaluate(() => window.chunks)).length, 0);
  } finally {
    await sluice.close();
  }
});

test("the csvbox shim with rows: true gives the callback csvbox's rows", async () => {
  const sluice = await stack({ importer: HOST_PAGE_ONLY });
  try {
    const page = await browser.context.newPage();
    await page.goto(sluice.page);
    await page.evaluate(() => {
      window.csvboxResult = null;
      const importer = new window.CSVBoxImporter('demo', { user_id: 'u_9' }, (ok, data) => (window.csvboxResult = { ok, data }), { rows: true });
      importer.listen('onReady', () => importer.openModal());
    });
    await pasteAndSubmit(openFrameOf(page), 4);
    await page.waitForFunction(() => window.csvboxResult !== null, null, { timeout: 60000 });
    const { ok, data } = await page.evaluate(() => window.csvboxResult);
    assert.equal(ok, true);
    assert.deepEqual([data.row_success, data.import_status, data.rows.length], [4, 'success', 4]);
    assert.deepEqual(Object.keys(data.rows[0]).sort(), ['custom_fields', 'import_id', 'row_data', 'row_number', 'total_rows']);
    assert.equal(data.rows[3].row_number, 4);
    assert.equal(data.rows[0].row_data.email, 'user1@example.com');
  } finally {
    await sluice.close();
  }
});

/**
 * The app's own API on 127.0.0.1: `POST /check` takes `{ rows: [{ row, email }] }` and answers
 * the rows whose email is already a customer's; `calls` records the rows of each request.
 */
async function appEndpoint(customers) {
  const calls = [];
  const server = createServer((request, response) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' };
    if (request.method === 'OPTIONS') return response.writeHead(204, cors).end();
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const { rows } = JSON.parse(body);
      calls.push(rows.map((r) => r.row));
      const taken = rows.filter((r) => customers.includes(r.email)).map((r) => r.row);
      response.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ taken }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/check`, calls, close: () => new Promise((done) => server.close(done)) };
}

async function checked(frame, counts) {
  await frame.locator('[data-field=counts]', { hasText: counts }).waitFor({ timeout: 60000 });
}

/** Pastes `text` and goes through the settings and mapping steps to the review's first check. */
async function pasteToReview(frame, text) {
  await frame.locator('[data-field=paste]').waitFor({ timeout: 20000 });
  await frame.locator('[data-field=paste]').fill(text);
  await frame.locator('[data-action=use-paste]').click();
  await frame.locator('[data-action=next]').click();
  await frame.locator('.map-table').waitFor();
  await frame.locator('[data-action=next]').click();
}

test("an async validateRows that asks the app's endpoint shows its errors in the grid, judges edited rows again, and blocks until they are fixed", async () => {
  const app = await appEndpoint(['user7@example.com', 'user17@example.com', 'user27@example.com']);
  const sluice = await stack({ importer: 'host_page_rows = true\n[importers.limits]\nbatch_rows = 10' });
  try {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(sluice.page);
    await page.evaluate((url) => {
      window.outcome = null;
      window.Sluice.importer({
        importer: 'demo',
        validateRows: async (rows) => {
          const body = JSON.stringify({ rows: rows.map((r) => ({ row: r.row, email: r.data.email })) });
          const { taken } = await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();
          return taken.map((row) => ({ row, column: 'email', message: 'is already a customer in your CRM' }));
        },
        onComplete: (result) => (window.outcome = result),
      }).open();
    }, app.url);
    const frame = openFrameOf(page);
    await pasteToReview(frame, csv(30).toString());
    await checked(frame, '30 rows, 3 with errors');
    assert.deepEqual(
      app.calls.flat().sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, i) => i + 1),
      'every row judged once',
    );
    assert.equal(app.calls.length, 3, 'a call per batch');
    const cell = frame.locator('[data-row="7"] [data-key=email]');
    assert.equal(await cell.getAttribute('data-message'), 'is already a customer in your CRM');
    assert.match(await frame.locator('[data-field=errors-panel]').textContent(), /3.*is already a customer in your CRM/s);
    assert.equal(await frame.locator('[data-action=next]').isDisabled(), true, 'the errors block the import');

    app.calls.length = 0;
    await cell.dblclick();
    await frame.locator('.cell-input').fill('new7@example.com');
    await frame.locator('.cell-input').press('Enter');
    await checked(frame, '30 rows, 2 with errors');
    assert.deepEqual(app.calls, [[7]], 'only the edited row is judged again');
    assert.equal(await cell.getAttribute('data-message'), null);

    // The host page's errors count as the check's own: the bulk fix deletes their rows.
    await frame.locator('[data-field=fixes] summary').click();
    await frame.locator('[data-action=delete-invalid]').click();
    await checked(frame, '28 rows, all valid');
    await frame.locator('[data-action=next]:not([disabled])').click();
    await page.waitForFunction(() => window.outcome !== null, null, { timeout: 60000 });
    const result = await page.evaluate(() => window.outcome);
    const stored = sluice.server.export(result.importId);
    assert.equal(stored.length, 28);
    assert.equal(stored.find((r) => r.row === 7).cells.email, 'new7@example.com');
  } finally {
    await sluice.close();
    await app.close();
  }
});

test('transformRow rewrites rows before they are checked, the user can still edit them, and the server stores what it wrote', async () => {
  const sluice = await stack({ importer: 'host_page_rows = true' });
  try {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(sluice.page);
    await page.evaluate(() => {
      window.outcome = null;
      window.seen = 0;
      window.Sluice.importer({
        importer: 'demo',
        transformRow: async (row) => {
          window.seen += 1;
          const plan = row.data.plan === 'Professional' ? 'pro' : row.data.plan;
          return { ...row.data, plan, last_name: row.data.last_name?.toUpperCase() ?? null };
        },
        onComplete: (result) => (window.outcome = result),
      }).open();
    });
    const frame = openFrameOf(page);
    const text = csv(6)
      .toString()
      .replace(/,pro,/g, (match, offset) => (offset % 2 ? ',Professional,' : match));
    assert.match(text, /Professional/);
    await pasteToReview(frame, text);
    await checked(frame, '6 rows, all valid');
    assert.equal(await page.evaluate(() => window.seen), 6);
    const last = frame.locator('[data-row="2"] [data-key=last_name]');
    await frame.locator('[data-row="2"] [data-key=last_name]', { hasText: 'LAST2' }).waitFor();
    await last.dblclick();
    await frame.locator('.cell-input').fill('Lovelace');
    await frame.locator('.cell-input').press('Enter');
    await checked(frame, '6 rows, all valid');
    assert.equal(await page.evaluate(() => window.seen), 6, 'an edit does not run the rewrite again');
    await frame.locator('[data-action=next]:not([disabled])').click();
    await page.waitForFunction(() => window.outcome !== null, null, { timeout: 60000 });
    const stored = sluice.server.export((await page.evaluate(() => window.outcome)).importId);
    assert.deepEqual(
      stored.map((r) => [r.cells.last_name, r.cells.plan]),
      [
        ['LAST1', 'pro'],
        ['Lovelace', 'pro'],
        ['LAST3', 'pro'],
        ['LAST4', 'pro'],
        ['LAST5', 'pro'],
        ['LAST6', 'pro'],
      ],
    );
  } finally {
    await sluice.close();
  }
});
