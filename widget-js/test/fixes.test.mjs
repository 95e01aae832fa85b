// Bulk fixes on the review step in Debian Chromium, against the real server: delete every
// invalid row and undo it (button and Ctrl+Z); find and replace with a regex in one column of a
// 50,000-row file, off the main thread with progress; map an enum's invalid values, fill empty
// cells, trim; the enum cell editor's list; the left-out rows' CSV from the review and the
// result steps. What the server stored is checked each time: rules reach the rows sent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { chromium, openImporter, shot, stack, toReview } from './support.mjs';

const HEADER = 'Customer ID,First Name,Last Name,E-mail Address,Phone,DOB,Plan,Newsletter';
let browser;

before(async () => {
  browser = await chromium();
});

after(async () => {
  await browser?.close();
});

/** A CSV of the example schema: `row(n)` gives the fields of row n (defaults for the rest). */
function file(rows, row = () => ({})) {
  const lines = [HEADER];
  for (let n = 1; n <= rows; n += 1) {
    const r = {
      id: n,
      first: `First${n}`,
      last: `Last${n}`,
      email: `user${n}@example.com`,
      phone: '+44 20 7946 0000',
      dob: '1990-01-02',
      plan: 'pro',
      news: 'yes',
      ...row(n),
    };
    lines.push([r.id, r.first, r.last, r.email, r.phone, r.dob, r.plan, r.news].join(','));
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** Opens the importer with `buffer` as the file and goes to the review step. */
async function review(url, buffer, name = 'contacts.csv') {
  const { page, frame, errors } = await openImporter(browser, url);
  await toReview(frame, name, buffer);
  await frame.locator('[data-field=fixes] > summary').click();
  return { page, frame, errors };
}

/** Waits for the check after a change to end with `counts`. */
async function checked(frame, counts) {
  await frame.locator('[data-field=counts]', { hasText: counts }).waitFor({ timeout: 60000 });
}

/** Submits and returns the host page's result. */
async function submit(page, frame) {
  await frame.locator('[data-action=next]:not([disabled])').click();
  await frame.locator('[data-field=result]').waitFor({ timeout: 120000 });
  await page.waitForFunction(() => document.getElementById('result').textContent.includes('"event": "complete"'), null, { timeout: 60000 });
  return JSON.parse(await page.locator('#result').textContent());
}

/** Clicks `button` and returns the text of the file the page downloads. */
async function downloaded(page, button) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), button.click()]);
  return readFile(await download.path(), 'utf8');
}

test('delete all invalid rows: the count, undo by button and by Ctrl+Z (of single edits and deletions too), and the left-out rows as CSV on the review and result steps', async () => {
  const sluice = await stack();
  const bad = new Set([3, 7, 12]);
  try {
    const { page, frame, errors } = await review(
      sluice.page,
      file(20, (n) => (bad.has(n) ? { email: `bad-${n}` } : {})),
    );
    await checked(frame, '20 rows, 3 with errors');
    await frame.locator('[data-action=delete-invalid]').click();
    assert.equal(await frame.locator('[data-field=undo-status]').textContent(), '3 invalid rows deleted');
    await checked(frame, '17 rows, all valid');
    await shot(page, 'fixes-1-deleted-invalid');
    await frame.locator('[data-action=undo]').click();
    await checked(frame, '20 rows, 3 with errors');
    assert.equal(await frame.locator('.undo-bar').isHidden(), true, 'nothing left to undo');

    await frame.locator('[data-action=delete-invalid]').click();
    await checked(frame, '17 rows, all valid');
    await frame.locator('.grid [role=gridcell]').first().click();
    await frame.locator('.grid [role=gridcell]').first().press('Control+z');
    await checked(frame, '20 rows, 3 with errors');

    // Single edits and deletions are undone the same way.
    await frame.locator('[data-row="3"] [data-key=email]').dblclick();
    await frame.locator('.cell-input').fill('fixed@example.com');
    await frame.locator('.cell-input').press('Enter');
    await checked(frame, '20 rows, 2 with errors');
    assert.equal(await frame.locator('[data-field=undo-status]').textContent(), 'Row 3, Email address edited');
    await frame.locator('[data-action=undo]').click();
    await checked(frame, '20 rows, 3 with errors');
    await frame.locator('[data-row="3"] [data-key=email]', { hasText: 'bad-3' }).waitFor();
    await frame.locator('[data-row="1"] [data-action=delete-row]').click();
    await checked(frame, '19 rows, 3 with errors');
    assert.equal(await frame.locator('[data-field=undo-status]').textContent(), 'Row 1 deleted');
    await frame.locator('[data-row="2"] [data-key=email]').click();
    await frame.locator('[data-row="2"] [data-key=email]').press('Meta+z');
    await checked(frame, '20 rows, 3 with errors');

    // One row deleted by hand, with an edit that makes it valid; the three invalid ones by the button.
    await frame.locator('[data-row="5"] [data-action=delete-row]').click();
    await frame.locator('[data-action=delete-invalid]').click();
    await checked(frame, '16 rows, all valid');
    const expected = [
      `\uFEFF${HEADER},errors`,
      '3,First3,Last3,bad-3,+44 20 7946 0000,1990-01-02,pro,yes,"email: must be an email address with an @, such as name@example.com"',
      '5,First5,Last5,user5@example.com,+44 20 7946 0000,1990-01-02,pro,yes,deleted in the importer',
      '7,First7,Last7,bad-7,+44 20 7946 0000,1990-01-02,pro,yes,"email: must be an email address with an @, such as name@example.com"',
      '12,First12,Last12,bad-12,+44 20 7946 0000,1990-01-02,pro,yes,"email: must be an email address with an @, such as name@example.com"',
    ];
    const onReview = await downloaded(page, frame.locator('[data-action=download-left-out]'));
    assert.deepEqual(onReview.split('\r\n').filter(Boolean), expected);

    const result = await submit(page, frame);
    assert.deepEqual([result.rows, result.deletedRows], [16, 4]);
    await shot(page, 'fixes-2-result-left-out');
    const onResult = await downloaded(page, frame.locator('[data-field=result] [data-action=download-left-out]'));
    assert.equal(onResult, onReview);
    const rows = sluice.server.export(result.importId);
    assert.deepEqual(
      rows.map((r) => r.row),
      [1, 2, 4, 6, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20],
    );
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});

test('find and replace with a regex in one column of 50,000 rows: a bad regex says where, a count first, then the fix with progress', async () => {
  const sluice = await stack();
  try {
    const rows = 50000;
    const { page, frame, errors } = await review(
      sluice.page,
      file(rows, (n) => ({ email: `user${n}(at)example.com`, last: `(at)${n}` })),
    );
    await checked(frame, `50,000 rows, 50,000 with errors`);
    await frame.locator('[data-field=find]').fill('(at');
    await frame.locator('[data-field=replace]').fill('@');
    await frame.locator('[data-field=find-column]').selectOption('email');
    await frame.locator('[data-field=find-regex]').check();
    await frame.locator('[data-action=count-matches]').click();
    assert.match(await frame.locator('[data-field=find-status]').textContent(), /Cannot search for this: the regular expression is invalid at character 1: /);

    await frame.locator('[data-field=find]').fill('\\((at)\\)');
    await frame.locator('[data-field=replace]').fill('@');
    // The progress bars' values as they change, recorded in the frame.
    await frame.locator('.review').evaluate((review) => {
      window.seen = [];
      new MutationObserver(() => review.querySelectorAll('progress:not([hidden])').forEach((p) => window.seen.push(p.value))).observe(review, {
        attributes: true,
        subtree: true,
        attributeFilter: ['value', 'hidden'],
      });
    });
    await frame.locator('[data-action=count-matches]').click();
    await frame.locator('[data-field=find-status]', { hasText: '50,000 cells match' }).waitFor({ timeout: 60000 });
    await frame.locator('[data-action=replace-all]').click();
    await checked(frame, '50,000 rows, all valid');
    await frame.locator('[data-field=rules] li', { hasText: '50,000 cells changed' }).waitFor();
    const seen = await frame.locator('.review').evaluate(() => window.seen);
    assert.ok(
      seen.some((v) => v > 0 && v < 1),
      `progress shown part way: ${seen.slice(0, 10)}`,
    );
    await frame.locator('[data-row="1"] [data-key=email]', { hasText: 'user1@example.com' }).waitFor();
    assert.equal(await frame.locator('[data-row="1"] [data-key=last_name]').textContent(), '(at)1', 'other columns untouched');
    await shot(page, 'fixes-3-find-replace');

    const result = await submit(page, frame);
    assert.equal(result.rows, rows);
    const stored_ = sluice.server.export(result.importId);
    assert.equal(stored_.length, rows);
    assert.ok(stored_.every((r) => r.cells.email === `user${r.row}@example.com` && r.cells.last_name === `(at)${r.row}`));
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});

test("map an enum's invalid values, fill empty cells, trim, and pick a value from the enum cell editor's list", async () => {
  const sluice = await stack();
  try {
    const plans = { 1: 'Premium', 2: 'Gold', 3: 'Premium', 4: 'free', 5: 'pro', 6: 'gold ' };
    const buffer = file(6, (n) => ({ plan: plans[n], last: n % 2 ? '' : `Last${n}`, first: n === 6 ? 'N/A ' : `First${n}` }));
    const { page, frame, errors } = await review(sluice.page, buffer);
    await checked(frame, '6 rows, 5 with errors');
    const map = frame.locator('[data-map-column=plan]');
    assert.deepEqual(await map.locator('li').allTextContents(), [
      'Gold (1) → Leave as isFreeProEnterprise',
      'Premium (2) → Leave as isFreeProEnterprise',
      'gold (1) → Leave as isFreeProEnterprise',
    ]);
    await map.locator('select[data-value=Premium]').selectOption('pro');
    await map.locator('select[data-value=Gold]').selectOption('enterprise');
    await map.locator('[data-action=map-values]').click();
    await frame.locator('[data-field=tool-column]').selectOption('last_name');
    await frame.locator('[data-field=fill-value]').fill('Unknown');
    await frame.locator('[data-action=fill-empty]').click();
    await checked(frame, '6 rows, 1 with errors');

    // Trim, then a whole-cell replace that only matches once the spaces are gone.
    await frame.locator('[data-field=tool-column]').selectOption('');
    await frame.locator('[data-action=trim]').click();
    await frame.locator('[data-field=find]').fill('N/A');
    await frame.locator('[data-field=replace]').fill('Nobody');
    await frame.locator('[data-field=find-whole]').check();
    await frame.locator('[data-action=replace-all]').click();
    await frame.locator('[data-field=rules] li', { hasText: 'Replace “N/A” with “Nobody” in All columns: 1 cell changed' }).waitFor({ timeout: 60000 });
    assert.deepEqual(await frame.locator('[data-field=rules] li').allTextContents(), [
      '2 values of Plan mapped: 3 cells changed',
      'Fill empty cells of Last name with “Unknown”: 3 cells changed',
      'Trim spaces in All columns: 2 cells changed',
      'Replace “N/A” with “Nobody” in All columns: 1 cell changed',
    ]);

    // Row 6 ("gold "): the cell editor offers the allowed values.
    await frame.locator('[data-row="6"] [data-key=plan]').dblclick();
    const list = frame.locator('[data-field=cell-values]');
    assert.deepEqual(await list.locator('option').allTextContents(), ['gold', 'Free', 'Pro', 'Enterprise']);
    await list.selectOption('free');
    await list.press('Enter');
    await checked(frame, '6 rows, all valid');
    await shot(page, 'fixes-4-map-fill-trim');

    const result = await submit(page, frame);
    const rows = sluice.server.export(result.importId);
    assert.deepEqual(
      rows.map((r) => r.cells.plan),
      ['pro', 'enterprise', 'pro', 'free', 'pro', 'free'],
    );
    assert.deepEqual(
      rows.map((r) => r.cells.last_name),
      ['Unknown', 'Last2', 'Unknown', 'Last4', 'Unknown', 'Last6'],
    );
    assert.equal(rows[5].cells.first_name, 'Nobody');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});
