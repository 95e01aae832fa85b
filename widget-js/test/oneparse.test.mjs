// One parse per import (issue 15, docs/widget.md): the review's check keeps the batches it made
// and the submission sends them without reading the file again; an edit or a deletion made on
// the review step is in what is sent; a file past the budget of kept batches keeps none and is
// parsed again at submission. Each pass over the file is a `sluice:parse` User Timing mark in the
// frame, which these tests count; they set the budget on the app's root (`data-keep-bytes`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, csv, openImporter, stack, toReview } from './support.mjs';

let browser;

before(async () => {
  browser = await chromium();
});

after(async () => {
  await browser?.close();
});

/** Small batches, so that a few thousand rows make many of them. */
const SMALL_BATCHES = `[importers.limits]
batch_rows = 200`;

const ROWS = 2000;

function appFrame(page) {
  return page.frames().find((f) => f.url().includes('/embed/'));
}

/** The app's passes over the file so far. */
const parses = (page) => appFrame(page).evaluate(() => performance.getEntriesByName('sluice:parse').length);

/** Opens the importer; with `keepBytes`, the budget of kept batch bytes for this import. */
async function open(url, keepBytes) {
  const { page, frame, errors } = await openImporter(browser, url);
  if (keepBytes !== undefined) {
    await appFrame(page).evaluate((bytes) => {
      document.getElementById('sluice').dataset.keepBytes = String(bytes);
    }, keepBytes);
  }
  return { page, frame, errors };
}

/** Submits and returns the host page's result. */
async function submit(page, frame) {
  await frame.locator('[data-action=next]:not([disabled])').click();
  await frame.locator('[data-field=result]').waitFor({ timeout: 120000 });
  await page.waitForFunction(() => document.getElementById('result').textContent.includes('"event": "complete"'), null, { timeout: 60000 });
  return JSON.parse(await page.locator('#result').textContent());
}

/** Every stored row of `result`'s import, as `sluice export` writes it. */
const stored = (sluice, result) => sluice.server.export(result.importId);

/** Goes through the importer with `buffer` and submits; returns the result, the rows stored and the passes. */
async function importOnce(sluice, buffer, keepBytes) {
  const { page, frame, errors } = await open(sluice.page, keepBytes);
  await toReview(frame, 'contacts.csv', buffer);
  const reviewed = await parses(page);
  const kept = await appFrame(page).evaluate(() => performance.getEntriesByName('sluice:checked').at(-1).detail);
  const result = await submit(page, frame);
  const passes = { review: reviewed, total: await parses(page) };
  assert.deepEqual(errors, []);
  await page.close();
  return { result, rows: stored(sluice, result), passes, kept };
}

test('an import whose review kept every batch is sent without a second parse and stores the same rows as a parse at submission', async () => {
  const sluice = await stack({ importer: SMALL_BATCHES });
  try {
    const file = csv(ROWS);
    const once = await importOnce(sluice, file);
    assert.deepEqual(once.passes, { review: 1, total: 1 }, 'the review checked the file once and the submission did not read it');
    assert.equal(once.kept.complete, true);
    assert.equal(once.result.rows, ROWS);
    assert.equal(once.result.batches, ROWS / 200);

    // A budget of 0 keeps nothing: the submission parses the whole file, as before issue 15.
    const twice = await importOnce(sluice, file, 0);
    assert.deepEqual(twice.passes, { review: 1, total: 2 });
    assert.equal(twice.result.batches, once.result.batches);
    assert.deepEqual(once.rows, twice.rows, 'the same rows, numbers and canonical values');
    assert.deepEqual(
      once.rows.slice(0, 2).map((r) => [r.row, r.cells.email, r.cells.birth_date]),
      [
        [1, 'user1@example.com', '1990-01-02'],
        [2, 'user2@example.com', '1990-01-02'],
      ],
    );
  } finally {
    await sluice.close();
  }
});

test('a cell edited and a row deleted after the review are sent as edited and not at all, without a parse at submission', async () => {
  const sluice = await stack({ importer: SMALL_BATCHES });
  try {
    const { page, frame, errors } = await open(sluice.page);
    await toReview(frame, 'contacts.csv', csv(ROWS));
    await frame.locator('[data-row="2"] [data-key=first_name]').dblclick();
    await frame.locator('.cell-input').fill('Edited');
    await frame.locator('.cell-input').press('Enter');
    await frame.locator('[data-row="3"] [data-action=delete-row]').click();
    await frame.locator('[data-field=counts]', { hasText: `${(ROWS - 1).toLocaleString('en')} rows, all valid` }).waitFor({ timeout: 60000 });
    await frame.locator('[data-action=next]:not([disabled])').waitFor({ timeout: 60000 });
    const reviewed = await parses(page);
    assert.ok(reviewed >= 2, 'the edits were checked again');
    const result = await submit(page, frame);
    assert.equal(await parses(page), reviewed, 'the submission sent the batches of the last check');
    assert.deepEqual([result.rows, result.deletedRows, result.totalRows], [ROWS - 1, 1, ROWS]);
    const rows = stored(sluice, result);
    assert.equal(rows.length, ROWS - 1);
    assert.equal(rows.find((r) => r.row === 2)?.cells.first_name, 'Edited');
    assert.equal(
      rows.find((r) => r.row === 3),
      undefined,
      'the deleted row is not sent',
    );
    assert.equal(rows.find((r) => r.row === 4)?.cells.first_name, 'First4');
    assert.deepEqual(errors, []);
  } finally {
    await sluice.close();
  }
});

test('a file larger than the budget of kept batches keeps none: the submission parses it again and stores every row once', async () => {
  const sluice = await stack({ importer: SMALL_BATCHES });
  try {
    const file = csv(ROWS);
    const whole = await importOnce(sluice, file);
    const past = await importOnce(sluice, file, Math.round(file.length / 2));
    assert.deepEqual(past.kept, { keptBytes: 0, complete: false }, 'nothing held in the page');
    assert.deepEqual(past.passes, { review: 1, total: 2 }, 'the submission read the file again');
    assert.equal(past.result.rows, ROWS);
    assert.equal(past.result.batches, ROWS / 200, 'no batch sent twice');
    assert.deepEqual(
      past.rows.map((r) => r.row),
      Array.from({ length: ROWS }, (_, i) => i + 1),
      'every row once, in order',
    );
    assert.deepEqual(past.rows, whole.rows);
  } finally {
    await sluice.close();
  }
});
