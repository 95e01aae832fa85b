// The widget end to end in Debian Chromium: the example host page opens the importer from the
// real server; files go through every step; the server then holds exactly the rows expected.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, csv, openFrameOf, openImporter, pasteAndSubmit, root, shot, stack } from './support.mjs';
import { makeWorkbook } from '../../parser-wasm/npm/test/support.mjs';
import { signStartToken } from '../../examples/start-token.mjs';

const FRENCH = join(root, 'examples/contacts-excel-fr.csv');
let browser;

before(async () => {
  browser = await chromium();
});

after(async () => {
  await browser?.close();
});

/** Progress marks on the console when WIDGET_TRACE is set, to see where a slow run spends its time. */
const T0 = Date.now();
const mark = (what) => process.env.WIDGET_TRACE && console.log(`${((Date.now() - T0) / 1000).toFixed(1)}s ${what}`);

/** The paths of the spreadsheet module's files the page or its workers request from now on;
 * `stop()` ends the watch. */
function watchSheetRequests() {
  const seen = [];
  const watch = (request) => request.url().includes('sluice_parser_sheets') && seen.push(new URL(request.url()).pathname);
  browser.context.on('request', watch);
  return { seen, stop: () => browser.context.off('request', watch) };
}

/** What the host page's onComplete (or onError) reported. */
async function hostResult(page, event = 'complete') {
  await page.waitForFunction((wanted) => document.getElementById('result').textContent.includes(`"event": "${wanted}"`), event, { timeout: 60000 });
  return JSON.parse(await page.locator('#result').textContent());
}

test('a Windows-1252 file with semicolons and 3 invalid cells: fix two, delete a row, submit', async () => {
  const sluice = await stack();
  const sheetRequests = watchSheetRequests();
  try {
    const { page, frame, errors } = await openImporter(browser, sluice.page);
    mark('upload');
    await shot(page, '1-upload');
    await frame.locator('input[type=file]').setInputFiles(FRENCH);
    await frame.locator('[data-field=encoding]').waitFor();
    assert.equal(await frame.locator('[data-field=encoding]').inputValue(), 'windows-1252');
    assert.equal(await frame.locator('[data-field=delimiter]').inputValue(), ';');
    assert.match(await frame.locator('.preview').textContent(), /Élodie.*François.*Zoë/s, 'accents decoded');
    mark('settings');
    await shot(page, '2-file-settings');
    await frame.locator('[data-action=next]').click();
    await frame.locator('.map-table').waitFor();
    assert.equal(await frame.locator('[data-column=email]').inputValue(), 'Courriel');
    assert.equal(await frame.locator('[data-column=birth_date]').inputValue(), 'Date de naissance');
    mark('map');
    await shot(page, '3-map-columns');
    await frame.locator('[data-action=next]').click();
    await frame.locator('.cell.invalid').first().waitFor({ timeout: 20000 });
    assert.equal(await frame.locator('.cell.invalid').count(), 3);
    assert.match(await frame.locator('.gate').textContent(), /2 rows with errors/);
    assert.equal(await frame.locator('[data-action=next]').isDisabled(), true, 'invalid rows block submitting');
    mark('review');
    await shot(page, '4-review-errors');

    await frame.locator('[data-row="4"] [data-key=email]').dblclick();
    await frame.locator('.cell-input').fill('renee.celik@example.fr');
    await frame.locator('.cell-input').press('Enter');
    await frame.locator('[data-row="4"] [data-key=birth_date]').dblclick();
    await frame.locator('.cell-input').fill('28/02/1991');
    await frame.locator('.cell-input').press('Enter');
    await frame.locator('[data-row="5"] [data-action=delete-row]').click();
    await frame.locator('[data-field=counts]', { hasText: '4 rows' }).waitFor();
    await frame.locator('[data-action=next]:not([disabled])').waitFor();
    assert.equal(await frame.locator('.cell.invalid').count(), 0);
    mark('fixed');
    await shot(page, '5-review-fixed');
    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-field=result]').waitFor({ timeout: 30000 });
    mark('result');
    await shot(page, '6-result');
    const result = await hostResult(page);
    assert.deepEqual([result.rows, result.invalidRows, result.deletedRows, result.totalRows, result.skippedRows], [4, 0, 1, 5, 0]);
    assert.equal(result.mapping.email, 'Courriel');
    assert.equal(result.file.name, 'contacts-excel-fr.csv');
    assert.deepEqual(result.user, { user_id: 'user-42' });

    mark('host result');
    const rows = sluice.server.export(result.importId);
    assert.deepEqual(
      rows.map((r) => r.row),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      rows.map((r) => r.cells.first_name),
      ['Élodie', 'François', 'Zoë', 'Renée'],
    );
    assert.equal(rows[3].cells.email, 'renee.celik@example.fr');
    assert.equal(rows[3].cells.birth_date, '1991-02-28');
    assert.equal(rows[2].cells.birth_date, '1990-12-31');
    mark('exported');
    await frame.locator('[data-action=done]').click();
    await page.locator('iframe[src*="/embed/"]').waitFor({ state: 'hidden' });
    mark('closed');
    assert.deepEqual(errors, []);
    assert.deepEqual(sheetRequests.seen, [], 'a CSV import never fetches the spreadsheet module, on the page or in its workers');
    await page.close();
    mark('page closed');
  } finally {
    sheetRequests.stop();
    await sluice.close();
  }
});

test('a workbook dropped on the importer: pick the sheet, click the header row under the title block, fix the #N/A cell, submit', async () => {
  const sluice = await stack();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-workbook-'));
  const sheetRequests = watchSheetRequests();
  try {
    makeWorkbook(join(dir, 'customers.xlsx'));
    const workbook = await readFile(join(dir, 'customers.xlsx'));
    const { page, frame, errors } = await openImporter(browser, sluice.page);
    const accept = await frame.locator('input[type=file]').getAttribute('accept');
    for (const extension of ['.csv', '.tsv', '.txt', '.xlsx', '.xlsm', '.xlsb', '.xls', '.ods']) assert.ok(accept.split(',').includes(extension), extension);
    assert.match(await frame.locator('[data-field=formats]').textContent(), /CSV, TSV and TXT .*XLSX, XLSM, XLSB and XLS .*ODS/);
    const app = page.frames().find((f) => f.url().includes('/embed/'));
    const dropped = await app.evaluateHandle(
      (bytes) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], 'customers.xlsx', { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }));
        return transfer;
      },
      [...workbook],
    );
    await frame.locator('.dropzone').dispatchEvent('drop', { dataTransfer: dropped });

    const sheet = frame.locator('[data-field=sheet]');
    await sheet.waitFor({ timeout: 20000 });
    assert.equal(await frame.locator('[data-field=encoding]').count(), 0, 'no encoding or delimiter for a workbook');
    assert.equal(await sheet.inputValue(), 'Notes', 'the first visible sheet with rows');
    assert.deepEqual(await sheet.locator('option').allTextContents(), ['Notes (2 rows)', 'Chart (chart, no rows)', 'Customers (6 rows)']);
    assert.equal(await sheet.locator('option[value=Chart]').isDisabled(), true);
    await sheet.selectOption('Customers');
    const pressed = frame.locator('[data-header-row][aria-pressed=true]');
    await frame.locator('[data-header-row="4"][aria-pressed=true]').waitFor();
    assert.deepEqual(await frame.locator('[data-header-row]').allTextContents(), ['1', '2', '4', '5', '6', '7'], 'rows numbered as in the sheet');
    assert.equal(await frame.locator('tr.skipped').count(), 2, 'the title block above the detected header');
    await shot(page, 'workbook-settings');
    await frame.locator('tr[data-line="1"] td').first().click();
    await frame.locator('[data-header-row="1"][aria-pressed=true]').waitFor();
    assert.equal(await frame.locator('tr.skipped').count(), 0);
    await frame.locator('[data-header-row="2"]').focus();
    await page.keyboard.press('Enter');
    await frame.locator('[data-header-row="2"][aria-pressed=true]').waitFor();
    assert.equal(await pressed.count(), 1);
    await frame.locator('tr[data-line="4"] td').nth(2).click();
    await frame.locator('[data-header-row="4"][aria-pressed=true]').waitFor();
    assert.equal(await frame.locator('tr.skipped').count(), 2);

    await frame.locator('[data-action=next]').click();
    await frame.locator('.map-table').waitFor();
    assert.equal(await frame.locator('[data-column=email]').inputValue(), 'E-mail Address');
    assert.equal(await frame.locator('[data-column=birth_date]').inputValue(), 'DOB');
    await frame.locator('[data-action=next]').click();
    const invalid = frame.locator('.cell.invalid');
    await invalid.first().waitFor({ timeout: 20000 });
    assert.equal(await invalid.count(), 1);
    assert.equal(await invalid.getAttribute('data-key'), 'email');
    assert.match(await invalid.getAttribute('title'), /^Customers!D6: the cell shows the error #N\/A/);
    await shot(page, 'workbook-review');
    await frame.locator('[data-row="2"] [data-key=email]').dblclick();
    await frame.locator('.cell-input').fill('bob@example.com');
    await frame.locator('.cell-input').press('Enter');
    await frame.locator('[data-action=next]:not([disabled])', { hasText: '3' }).waitFor({ timeout: 20000 });
    await frame.locator('[data-action=next]').click();
    const result = await hostResult(page);
    assert.deepEqual([result.rows, result.invalidRows, result.totalRows], [3, 0, 3]);
    assert.equal(result.file.name, 'customers.xlsx');
    const rows = sluice.server.export(result.importId);
    assert.deepEqual(
      rows.map((r) => r.cells.email),
      ['ann@example.com', 'bob@example.com', 'cy@example.com'],
    );
    assert.deepEqual(
      rows.map((r) => r.cells.phone),
      ['0044 20 7946 0001', '+44 20 7946 0002', '020 7946 0003'],
      'leading zeros kept',
    );
    assert.deepEqual(
      rows.map((r) => r.cells.birth_date),
      ['1990-01-02', '1985-12-31', '1970-06-15'],
      'date cells',
    );
    assert.deepEqual(
      rows.map((r) => r.cells.plan),
      ['pro', 'free', 'enterprise'],
    );
    assert.ok(
      sheetRequests.seen.some((path) => /^\/widget\/wasm\/sluice_parser_sheets_simd_bg\.[0-9a-f]{16}\.wasm$/.test(path)),
      'the spreadsheet module (its simd128 build, content-hashed name), fetched for the workbook',
    );
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    sheetRequests.stop();
    await rm(dir, { recursive: true, force: true });
    await sluice.close();
  }
});

test('the network cut during submit, then restored: every row stored once', async () => {
  const sluice = await stack({ importer: '[importers.limits]\nbatch_rows = 100' });
  try {
    const { page, frame } = await openImporter(browser, sluice.page);
    let puts = 0;
    let lostAnswer = false;
    // One batch reaches the server but its answer is lost: the widget must send it again.
    await page.route('**/batches/**', async (route) => {
      puts += 1;
      if (puts === 8 && !lostAnswer) {
        lostAnswer = true;
        await route.fetch();
        await route.abort('connectionreset');
        return;
      }
      await route.continue();
    });
    await frame.locator('input[type=file]').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: csv(3000) });
    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-action=next]:not([disabled])', { hasText: '3,000' }).waitFor({ timeout: 20000 });
    await frame.locator('[data-action=next]').click();
    await page.waitForFunction(() => true);
    while (puts < 12) await page.waitForTimeout(20);
    await page.context().setOffline(true);
    await frame.locator('.notice', { hasText: 'Connection lost' }).waitFor({ timeout: 20000 });
    await shot(page, 'network-cut');
    await page.waitForTimeout(1500);
    await page.context().setOffline(false);
    const result = await hostResult(page);
    assert.equal(lostAnswer, true);
    assert.equal(result.rows, 3000);
    assert.equal(result.batches, 30);
    const rows = sluice.server.export(result.importId);
    assert.equal(rows.length, 3000);
    assert.deepEqual(
      rows.map((r) => r.row),
      Array.from({ length: 3000 }, (_, i) => i + 1),
      'each row once, in order',
    );
    await page.close();
  } finally {
    await sluice.close();
  }
});

test('every step by keyboard alone', async () => {
  const sluice = await stack();
  try {
    const page = await browser.context.newPage();
    // Listening from the start turns on Playwright's file chooser interception well before the
    // key press that opens one.
    let chosen;
    const chooser = new Promise((resolve) => (chosen = resolve));
    page.on('filechooser', (c) => chosen(c));
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(sluice.page);
    await page.waitForSelector('[data-importer-ready]', { timeout: 20000 });
    await tabTo(page, page, '#open');
    mark('kb: open');
    await page.keyboard.press('Enter');
    const frame = page.frames().find((f) => f.url().includes('/embed/'));
    await frame.locator('[data-action=choose]').waitFor();
    await frame.waitForFunction(() => document.hasFocus() && document.activeElement?.dataset.action === 'choose', null, { timeout: 5000 });
    await page.keyboard.press('Enter');
    await (await chooser).setFiles(FRENCH);
    mark('kb: file');
    await frame.locator('[data-field=encoding]').waitFor();
    await tabTo(page, frame, '[data-action=next]');
    await page.keyboard.press('Enter');
    await frame.locator('.map-table').waitFor();
    await tabTo(page, frame, '[data-action=next]');
    await page.keyboard.press('Enter');
    await frame.locator('.cell.invalid').first().waitFor({ timeout: 20000 });
    mark('kb: review');
    await frame.waitForFunction(() => !document.querySelector('.cell.loading'));
    await tabTo(page, frame, '.cell[role=gridcell]');
    for (const key of ['ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowRight', 'ArrowRight', 'ArrowRight']) await page.keyboard.press(key);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('renee@example.fr');
    await page.keyboard.press('Enter');
    for (const key of ['ArrowRight', 'ArrowRight']) await page.keyboard.press(key);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('1991-02-28');
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Control+Delete');
    mark('kb: edited');
    await frame.locator('[data-action=next]:not([disabled])').waitFor({ timeout: 20000 });
    await tabTo(page, frame, '[data-action=next]');
    await page.keyboard.press('Enter');
    await frame.locator('[data-action=done]').waitFor({ timeout: 30000 });
    mark('kb: done');
    await tabTo(page, frame, '[data-action=done]');
    await page.keyboard.press('Enter');
    const result = await hostResult(page);
    assert.deepEqual([result.rows, result.deletedRows], [4, 1]);
    await page.waitForFunction(() => document.activeElement?.id === 'open', null, { timeout: 5000 });
    await page.close();
  } finally {
    await sluice.close();
  }
});

test('a page on an origin the importer does not allow cannot open it', async () => {
  const sluice = await stack();
  try {
    const page = await browser.context.newPage();
    await page.goto(sluice.otherPage);
    await page.click('#open');
    await page.waitForTimeout(2500);
    assert.equal(await page.locator('[data-importer-ready]').count(), 0, 'the importer never said it was ready');
    const frame = page.frames().find((f) => f.url().includes('/embed/'));
    const app = frame
      ? await frame
          .locator('#sluice')
          .count()
          .catch(() => 0)
      : 0;
    assert.equal(app, 0, 'no importer app in the frame');
    await shot(page, 'origin-refused');
    await page.close();
  } finally {
    await sluice.close();
  }
});

/** Presses Tab until the focused element in `where` (the page or a frame) matches `selector`. */
async function tabTo(page, where, selector) {
  for (let i = 0; i < 60; i += 1) {
    if (await where.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

test('csvbox users keep their code: CSVBoxImporter with dynamic columns, pasted data, French, dark, the (ok, data) callback', async () => {
  const sluice = await stack();
  try {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(sluice.page);
    await page.evaluate(() => {
      window.csvboxResult = null;
      const importer = new window.CSVBoxImporter('demo', { user_id: 'csvbox-user' }, (ok, data) => {
        window.csvboxResult = { ok, data };
      });
      importer.setDynamicColumns([{ column_name: 'team', display_label: 'Team', type: 'enum', values: ['red', 'blue'] }]);
      importer.setOptions({ language: 'fr', theme: 'dark' });
      importer.listen('onReady', () => importer.openModal());
    });
    const frame = openFrameOf(page);
    await frame.locator('.drop-title', { hasText: 'Déposez un fichier CSV ou Excel ici' }).waitFor({ timeout: 20000 });
    assert.equal(await frame.locator('html').getAttribute('lang'), 'fr');
    assert.equal(await frame.locator('html').getAttribute('data-theme'), 'dark');
    await shot(page, 'csvbox-french-dark');
    const pasted = csv(3).toString().replace('Newsletter\n', 'Newsletter,Team\n').replace(/yes\n/g, 'yes,blue\n');
    await frame.locator('[data-field=paste]').fill(pasted);
    await frame.locator('[data-action=use-paste]').click();
    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-column=team]').waitFor();
    assert.equal(await frame.locator('[data-column=team]').inputValue(), 'Team', 'the added column is matched like the others');
    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-action=next]:not([disabled])').waitFor({ timeout: 20000 });
    await frame.locator('[data-action=next]').click();
    await page.waitForFunction(() => window.csvboxResult !== null, null, { timeout: 30000 });
    const { ok, data } = await page.evaluate(() => window.csvboxResult);
    assert.equal(ok, true);
    assert.equal(data.row_success, 3);
    assert.equal(data.import_status, 'success');
    assert.deepEqual(data.user, { user_id: 'csvbox-user' });
    const rows = sluice.server.export(data.import_id);
    assert.deepEqual(
      rows.map((r) => r.cells.team),
      ['blue', 'blue', 'blue'],
    );
    await page.close();
  } finally {
    await sluice.close();
  }
});

test("the upload step saves a template in the user's language, the host page's columns included, which maps back and imports", async () => {
  const sluice = await stack();
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(sluice.page);
    await page.evaluate(() => {
      const team = { key: 'team', label: { en: 'Team', de: 'Mannschaft' }, type: 'enum', values: ['red', 'blue'], required: true };
      window.templateResult = null;
      const onComplete = (result) => (window.templateResult = result);
      window.Sluice.importer({ importer: 'demo', options: { language: 'de' }, dynamicColumns: [team], onComplete }).open();
    });
    const frame = openFrameOf(page);
    const link = frame.locator('[data-action=template]');
    await link.waitFor({ timeout: 20000 });
    assert.equal(await link.textContent(), 'Vorlage herunterladen');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), 'Contacts-template.csv');
    const saved = await readFile(await download.path(), 'utf8');
    const lines = saved.split('\r\n');
    assert.equal(lines[0], 'Customer ID,First name,Last name,Email address,Phone,Date of birth,Plan,Newsletter,Mannschaft');
    assert.equal(lines[1], '42,Example,Example,name@example.com,,2024-12-31,free,yes,red');
    assert.equal(lines[2], '', 'one example row, and a line end after it');
    const served = await fetch(`${sluice.server.url}/v1/importers/demo/template.csv?language=de`).then((r) => r.text());
    const withoutTeam = lines.slice(0, 2).map((line) => line.replace(/,(Mannschaft|red)$/, ''));
    assert.equal(served, `${withoutTeam.join('\r\n')}\r\n`, "the server's, without the page's column");

    await frame.locator('input[type=file]').setInputFiles({ name: 'Contacts-template.csv', mimeType: 'text/csv', buffer: Buffer.from(saved) });
    await frame.locator('[data-field=encoding]').waitFor({ timeout: 20000 });
    await frame.locator('[data-action=next]').click();
    await frame.locator('.map-table').waitFor();
    assert.equal(await frame.locator('[data-column=team]').inputValue(), 'Mannschaft', 'the header maps back to its column');
    assert.equal(await frame.locator('[data-column=birth_date]').inputValue(), 'Date of birth');
    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-field=counts]', { hasText: 'alle gültig' }).waitFor({ timeout: 30000 });
    await frame.locator('[data-action=next]:not([disabled])').click();
    await page.waitForFunction(() => window.templateResult !== null, null, { timeout: 60000 });
    const { importId, rows } = await page.evaluate(() => window.templateResult);
    assert.equal(rows, 1);
    const [stored] = sluice.server.export(importId);
    assert.deepEqual(stored.cells, {
      id: '42',
      first_name: 'Example',
      last_name: 'Example',
      email: 'name@example.com',
      phone: null,
      birth_date: '2024-12-31',
      plan: 'free',
      newsletter: 'true',
      team: 'red',
    });
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});

test('the host page sets the fewest and most rows; the importer enforces them before sending', async () => {
  const sluice = await stack();
  try {
    const page = await browser.context.newPage();
    await page.goto(sluice.page);
    await page.evaluate(() => {
      window.limited = window.Sluice.importer({ importer: 'demo', options: { minRows: 5, maxRows: 8 } });
      window.limited.open();
    });
    const frame = openFrameOf(page);
    const run = async (rows) => {
      await frame.locator('[data-field=paste]').fill(csv(rows).toString());
      await frame.locator('[data-action=use-paste]').click();
      await frame.locator('[data-action=next]').click();
      await frame.locator('[data-action=next]').click();
      await frame.locator('[data-field=counts]', { hasText: `${rows} rows` }).waitFor({ timeout: 20000 });
    };
    await frame.locator('[data-field=paste]').waitFor({ timeout: 20000 });
    await run(3);
    assert.match(await frame.locator('.gate').textContent(), /at least 5 rows; the file has 3/);
    assert.equal(await frame.locator('[data-action=next]').isDisabled(), true);
    for (let i = 0; i < 3; i += 1) await frame.locator('button', { hasText: 'Back' }).click();
    await run(9);
    assert.match(await frame.locator('.gate').textContent(), /at most 8 rows; the file has 9/);
    assert.equal(await frame.locator('[data-action=next]').isDisabled(), true);
    await frame.locator('[data-row="9"] [data-action=delete-row]').click();
    await frame.locator('[data-action=next]:not([disabled])', { hasText: '8' }).waitFor({ timeout: 20000 });
    await page.close();
  } finally {
    await sluice.close();
  }
});

test('an importer that requires signed starts takes a token from the host page for each start, and refuses one for another user', async () => {
  const SECRET = 'widget-test-start-secret-Zq7vR2mK9xT4wL8nB3cF';
  const sluice = await stack({ importer: `[importers.start]\nsecret = "${SECRET}"` });
  try {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(sluice.page);
    let signed = 0;
    // The host app's server, signing for the user it has signed in (here: always signed-user).
    await page.exposeFunction('fetchStartToken', () => {
      signed += 1;
      return signStartToken(SECRET, { importer: 'demo', user: { user_id: 'signed-user' }, attributes: { team: 'sales' } });
    });
    await page.evaluate(() => {
      window.signedResult = null;
      window.Sluice.importer({
        importer: 'demo',
        user: { user_id: 'signed-user' },
        attributes: { team: 'sales' },
        startToken: () => window.fetchStartToken(),
        onComplete: (result) => {
          window.signedResult = result;
        },
      }).open();
    });
    await pasteAndSubmit(openFrameOf(page), 3);
    await page.waitForFunction(() => window.signedResult !== null, null, { timeout: 30000 });
    const result = await page.evaluate(() => window.signedResult);
    assert.equal(result.rows, 3);
    assert.equal(signed, 1, 'one token for one start');
    assert.equal(sluice.server.export(result.importId).length, 3);
    await page.close();

    const other = await browser.context.newPage();
    await other.goto(sluice.page);
    await other.exposeFunction('fetchStartToken', () => signStartToken(SECRET, { importer: 'demo', user: { user_id: 'signed-user' } }));
    await other.evaluate(() => {
      window.csvboxResult = null;
      const importer = new window.CSVBoxImporter(
        'demo',
        { user_id: 'someone-else' },
        (ok, data) => {
          window.csvboxResult = { ok, data };
        },
        { startToken: () => window.fetchStartToken() },
      );
      importer.listen('onReady', () => importer.openModal());
    });
    const frame = openFrameOf(other);
    await pasteAndSubmit(frame, 2);
    await other.waitForFunction(() => window.csvboxResult !== null, null, { timeout: 30000 });
    const { ok, data } = await other.evaluate(() => window.csvboxResult);
    assert.equal(ok, false);
    assert.match(data.error, /start_token_mismatch/);
    assert.match(await frame.locator('.notice[role=alert]').textContent(), /start_token_mismatch/);
    await other.close();
  } finally {
    await sluice.close();
  }
});

/** The start of an .xlsx workbook (a ZIP archive with an `xl/` part, cut short), and of a PNG image. */
const WORKBOOK = Buffer.concat([
  Buffer.from('PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0[Content_Types].xml', 'latin1'),
  Buffer.alloc(300, 0x9c),
  Buffer.from('PK\x03\x04xl/workbook.xml'),
]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.from('IHDR'), Buffer.alloc(64, 7)]);

test('an empty file, a header without rows and a damaged workbook are refused on the upload step, saying what to do', async () => {
  const sluice = await stack();
  try {
    const { page, frame, errors } = await openImporter(browser, sluice.page);
    const refusal = frame.locator('.upload .error');
    const pick = (name, buffer) => frame.locator('input[type=file]').setInputFiles({ name, mimeType: 'text/csv', buffer });
    await pick('contacts.csv', WORKBOOK);
    await refusal.filter({ hasText: 'looks like a spreadsheet' }).waitFor({ timeout: 20000 });
    assert.equal(
      await refusal.textContent(),
      'This file looks like a spreadsheet but cannot be read: it is damaged or incomplete. Open it in your spreadsheet program, save it again, then choose that file.',
    );
    await shot(page, 'upload-refused-workbook');
    await pick('photo.csv', PNG);
    await refusal.filter({ hasText: 'This is an image, not a CSV file' }).waitFor();
    await pick('empty.csv', Buffer.alloc(0));
    await refusal.filter({ hasText: 'This file is empty' }).waitFor();
    await pick('bom.csv', Buffer.from('\uFEFF\r\n'));
    await refusal.filter({ hasText: 'This file is empty' }).waitFor();
    await frame.locator('[data-field=paste]').fill(csv(0).toString().trim());
    await frame.locator('[data-action=use-paste]').click();
    await refusal.filter({ hasText: 'header row (line 1) but no data rows' }).waitFor();
    assert.equal(await frame.locator('[data-field=encoding]').count(), 0, 'still on the upload step');
    assert.equal(await frame.locator('[data-action=next]').count(), 0);
    await pick('people.csv', csv(2));
    await frame.locator('[data-field=encoding]').waitFor();
    assert.equal(await frame.locator('[data-field=read-error]').textContent(), '');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});

test('an importer with min_rows = 0 takes a header without rows as an empty import', async () => {
  const sluice = await stack({ importer: '[importers.limits]\nmin_rows = 0' });
  try {
    const { page, frame, errors } = await openImporter(browser, sluice.page);
    await frame.locator('input[type=file]').setInputFiles({ name: 'none-yet.csv', mimeType: 'text/csv', buffer: csv(0) });
    await frame.locator('[data-field=encoding]').waitFor({ timeout: 20000 });
    await frame.locator('[data-action=next]').click();
    await frame.locator('.map-table').waitFor();
    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-field=counts]', { hasText: '0 rows' }).waitFor({ timeout: 20000 });
    await frame.locator('[data-action=next]:not([disabled])').click();
    const result = await hostResult(page);
    assert.deepEqual([result.rows, result.batches], [0, 0]);
    assert.deepEqual(sluice.server.export(result.importId), []);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});
