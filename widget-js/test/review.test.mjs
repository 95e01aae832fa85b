// The review step and the frame in Debian Chromium (issue 14): error messages on screen, the
// errors panel and Next/Previous error across a virtual grid, header and body columns that line
// up, unmapped columns left out unless the importer keeps them, the size hint, Tab round to Close.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, csv, openImporter, shot, stack, toReview } from './support.mjs';

let browser;

before(async () => {
  browser = await chromium();
});

after(async () => {
  await browser?.close();
});

/** The example CSV of `rows` rows with `changes` ({ row: { column index: value } }) applied. */
function csvWith(rows, changes) {
  const lines = csv(rows).toString().trimEnd().split('\n');
  for (const [row, cells] of Object.entries(changes)) {
    const fields = lines[Number(row)].split(',');
    for (const [col, value] of Object.entries(cells)) fields[Number(col)] = value;
    lines[Number(row)] = fields.join(',');
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** The focused cell in the frame: its data row and column key (null: the row number cell). */
function focused(app) {
  return app.evaluate(() => {
    const cell = document.activeElement;
    const key = cell?.dataset?.key ?? null;
    return { row: Number(cell?.closest('.grid-row')?.dataset.row ?? 0), key };
  });
}

function appFrame(page) {
  return page.frames().find((f) => f.url().includes('/embed/'));
}

/** Rows 3 (email and plan), 300 (email) and 590 (date of birth) have errors. */
const ERRORS = { 3: { 3: 'not-an-email', 6: 'platinum' }, 300: { 3: 'nope' }, 590: { 5: '1990-13-45' } };

test('an invalid cell hovered or focused shows its message on screen; the panel groups errors; Next error walks them in order', async () => {
  const sluice = await stack();
  try {
    const { page, frame, errors } = await openImporter(browser, sluice.page);
    await toReview(frame, 'errors.csv', csvWith(600, ERRORS));
    await frame.locator('.cell.invalid').first().waitFor({ timeout: 20000 });
    const app = appFrame(page);

    const groups = frame.locator('[data-action=error-group]');
    assert.deepEqual(
      await groups.evaluateAll((all) => all.map((g) => [g.dataset.column, g.querySelector('.badge').textContent])),
      [
        ['email', '2'],
        ['plan', '1'],
        ['birth_date', '1'],
      ],
      'by column and code, with counts, in file order',
    );
    assert.match(await groups.nth(0).textContent(), /Email address: /);
    assert.match(await frame.locator('[data-field=errors-summary]').textContent(), /Errors: 4/);

    const message = frame.locator('[data-field=cell-message]');
    assert.equal(await message.textContent(), '', 'nothing to say before a cell is pointed at');
    await frame.locator('[data-row="3"] [data-key=email]').hover();
    await message.filter({ hasText: /^Row 3, Email address: .+/ }).waitFor();
    const box = await message.boundingBox();
    assert.ok(box && box.width > 100 && box.height > 10, 'a visible box, not a tooltip');
    assert.equal(await message.getAttribute('aria-live'), 'polite');
    await shot(page, 'review-message-hover');
    await page.mouse.move(5, 5);
    await message.filter({ hasText: /^$/ }).waitFor();
    await frame.locator('[data-row="3"] [data-key=plan]').focus();
    await message.filter({ hasText: /^Row 3, Plan: .+/ }).waitFor();

    const next = frame.locator('[data-action=next-error]');
    const previous = frame.locator('[data-action=previous-error]');
    const walk = [
      { row: 300, key: 'email' },
      { row: 590, key: 'birth_date' },
    ];
    for (const expected of walk) {
      await next.click();
      await app.waitForFunction(
        ({ row, key }) => document.activeElement?.dataset?.key === key && document.activeElement.closest('.grid-row')?.dataset.row === String(row),
        expected,
        { timeout: 10000 },
      );
      assert.deepEqual(await focused(app), expected);
      await message.filter({ hasText: new RegExp(`^Row ${expected.row}, `) }).waitFor();
    }
    await shot(page, 'review-next-error');
    await next.click();
    await frame.locator('.error-nav-status', { hasText: 'No error after this cell.' }).waitFor();
    const active = await app.evaluate(() => {
      const cell = document.querySelector('.cell[tabindex="0"]');
      return { row: Number(cell.closest('.grid-row').dataset.row), key: cell.dataset.key };
    });
    assert.deepEqual(active, { row: 590, key: 'birth_date' }, 'the grid stays on the last error');
    await previous.click();
    await app.waitForFunction(() => document.activeElement?.closest('.grid-row')?.dataset.row === '300');
    await page.keyboard.press('Shift+F8');
    await app.waitForFunction(() => document.activeElement?.closest('.grid-row')?.dataset.row === '3' && document.activeElement.dataset.key === 'plan');
    await page.keyboard.press('Shift+F8');
    await app.waitForFunction(() => document.activeElement?.dataset?.key === 'email' && document.activeElement.closest('.grid-row')?.dataset.row === '3');
    await page.keyboard.press('F8');
    await page.keyboard.press('F8');
    await app.waitForFunction(() => document.activeElement?.closest('.grid-row')?.dataset.row === '300');

    await groups.nth(2).click();
    await app.waitForFunction(
      () => document.activeElement?.dataset?.key === 'birth_date' && document.activeElement.closest('.grid-row')?.dataset.row === '590',
    );
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});

test('a fresh Next error goes to the first invalid cell of the file', async () => {
  const sluice = await stack();
  try {
    const { page, frame } = await openImporter(browser, sluice.page);
    await toReview(frame, 'errors.csv', csvWith(600, ERRORS));
    await frame.locator('.cell.invalid').first().waitFor({ timeout: 20000 });
    await frame.locator('[data-action=next-error]').click();
    await appFrame(page).waitForFunction(
      () => document.activeElement?.dataset?.key === 'email' && document.activeElement.closest('.grid-row')?.dataset.row === '3',
    );
    await page.close();
  } finally {
    await sluice.close();
  }
});

test('past the errors the check lists in full, the panel says so and Previous error still finds the last invalid row', async () => {
  const sluice = await stack();
  try {
    const { page, frame } = await openImporter(browser, sluice.page);
    const bad = Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [i + 1, { 3: `nobody${i + 1}` }]));
    await toReview(frame, 'many-errors.csv', csvWith(1500, bad));
    await frame.locator('.cell.invalid').first().waitFor({ timeout: 20000 });
    assert.match(await frame.locator('.errors-panel .note').textContent(), /the first 1,000 of 1,200 errors/);
    const app = appFrame(page);
    await frame.locator('[data-action=previous-error]').click();
    await app.waitForFunction(
      () => document.activeElement?.dataset?.key === 'email' && document.activeElement.closest('.grid-row')?.dataset.row === '1200',
      null,
      { timeout: 10000 },
    );
    await page.keyboard.press('Shift+F8');
    await app.waitForFunction(() => document.activeElement?.closest('.grid-row')?.dataset.row === '1199', null, { timeout: 10000 });
    await page.close();
  } finally {
    await sluice.close();
  }
});

/** A CSV of the example columns and `extra` more, `rows` valid rows. */
function wide(rows, extra) {
  const base = csv(rows).toString().trimEnd().split('\n');
  const names = Array.from({ length: extra }, (_, i) => `Extra ${i + 1}`);
  return Buffer.from(`${base.map((line, n) => [line, ...names.map((name) => (n === 0 ? name : `${name} r${n}`))].join(',')).join('\n')}\n`);
}

/** For every column, the header cell's and the first row's boxes (left, width). */
function boxes(app) {
  return app.evaluate(() => {
    const rect = (e) => {
      const r = e.getBoundingClientRect();
      return [Math.round(r.left * 10) / 10, Math.round(r.width * 10) / 10];
    };
    const head = [...document.querySelectorAll('.grid-head .cell')].map(rect);
    const body = [...document.querySelector('.grid-body .grid-row').querySelectorAll(':scope > .cell')].map(rect);
    return { head, body };
  });
}

test('40 columns: every header cell lines up with its column, scrolled or not; the header and row numbers stay put; kept columns are delivered when the importer keeps them', async () => {
  const sluice = await stack({ importer: 'unmapped_columns = "keep"' });
  try {
    const { page, frame, errors } = await openImporter(browser, sluice.page);
    await toReview(frame, 'wide.csv', wide(60, 32));
    const app = appFrame(page);
    await app.waitForFunction(() => document.querySelector('.grid-body .grid-row') && !document.querySelector('.cell.loading'));
    assert.equal(await frame.locator('.grid-head .cell').count(), 41, 'row numbers and 40 columns');
    const check = async (when) => {
      const { head, body } = await boxes(app);
      assert.equal(body.length, head.length);
      head.forEach(([left, width], i) => {
        assert.ok(
          Math.abs(left - body[i][0]) <= 1 && Math.abs(width - body[i][1]) <= 1,
          `${when}: column ${i}: header ${left}+${width}, body ${body[i][0]}+${body[i][1]}`,
        );
      });
    };
    await check('at rest');
    await app.evaluate(() => {
      document.querySelector('.grid-viewport').scrollLeft = 2500;
    });
    await app.waitForFunction(() => document.querySelector('.grid-viewport').scrollLeft > 0);
    await check('scrolled sideways');
    const sticky = await app.evaluate(() => {
      const viewport = document.querySelector('.grid-viewport').getBoundingClientRect();
      const rowhead = document.querySelector('.grid-body .cell.rowhead').getBoundingClientRect();
      return { viewport: viewport.left, rowhead: rowhead.left };
    });
    assert.ok(
      Math.abs(sticky.rowhead - sticky.viewport - 1) <= 2 || Math.abs(sticky.rowhead - sticky.viewport) <= 2,
      `row numbers stick to the left: ${JSON.stringify(sticky)}`,
    );
    await app.evaluate(() => {
      document.querySelector('.grid-viewport').scrollTop = 900;
    });
    await app.waitForFunction(() => !document.querySelector('.cell.loading'));
    await page.waitForTimeout(100);
    await check('scrolled down and sideways');
    const headTop = await app.evaluate(
      () => document.querySelector('.grid-head').getBoundingClientRect().top - document.querySelector('.grid-viewport').getBoundingClientRect().top,
    );
    assert.ok(Math.abs(headTop) <= 2, `the header stays on top (${headTop})`);
    await shot(page, 'review-40-columns');

    await frame.locator('[data-action=next]:not([disabled])').click();
    await frame.locator('[data-field=result]').waitFor({ timeout: 30000 });
    const result = JSON.parse(await page.locator('#result').textContent());
    assert.equal(result.keptColumns.length, 32);
    const rows = sluice.server.export(result.importId);
    assert.equal(rows[0].kept['Extra 1'], 'Extra 1 r1', 'kept beside the fields');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});

const WITH_NOTES = () => Buffer.from(csv(3).toString().replace('Newsletter\n', 'Newsletter,Notes\n').replace(/yes\n/g, 'yes,call back\n'));

test("by default the file's unmapped columns are left out: no choice to keep them, and the rows delivered hold none", async () => {
  const sluice = await stack();
  try {
    const { page, frame, errors } = await openImporter(browser, sluice.page);
    await frame.locator('input[type=file]').setInputFiles({ name: 'notes.csv', mimeType: 'text/csv', buffer: WITH_NOTES() });
    await frame.locator('[data-field=encoding]').waitFor({ timeout: 20000 });
    await frame.locator('[data-action=next]').click();
    await frame.locator('.map-table').waitFor();
    assert.match(await frame.locator('.unmapped').textContent(), /Notes.*left out/s);
    assert.equal(await frame.locator('.unmapped input[type=radio]').count(), 0, 'no keep option');
    await frame.locator('[data-action=next]').click();
    assert.equal(await frame.locator('.grid-head .cell', { hasText: 'Notes' }).count(), 0, 'not in the grid either');
    await frame.locator('[data-action=next]:not([disabled])').click({ timeout: 20000 });
    await frame.locator('[data-field=result]').waitFor({ timeout: 30000 });
    const result = JSON.parse(await page.locator('#result').textContent());
    assert.deepEqual(result.keptColumns, []);
    const rows = sluice.server.export(result.importId);
    assert.equal(rows.length, 3);
    for (const row of rows) assert.deepEqual(row.kept ?? {}, {}, 'no extras stored or delivered');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});

test('an importer that asks lets the user choose, with "leave out" preselected', async () => {
  const sluice = await stack({ importer: 'unmapped_columns = "ask"' });
  try {
    const { page, frame } = await openImporter(browser, sluice.page);
    await frame.locator('input[type=file]').setInputFiles({ name: 'notes.csv', mimeType: 'text/csv', buffer: WITH_NOTES() });
    await frame.locator('[data-field=encoding]').waitFor({ timeout: 20000 });
    await frame.locator('[data-action=next]').click();
    await frame.locator('.map-table').waitFor();
    assert.equal(await frame.locator('.unmapped input[type=radio]').count(), 2);
    assert.equal(await frame.locator('.unmapped input[value=ignore]').isChecked(), true);
    await frame.locator('.unmapped input[value=keep]').check();
    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-action=next]:not([disabled])').click({ timeout: 20000 });
    await frame.locator('[data-field=result]').waitFor({ timeout: 30000 });
    const result = JSON.parse(await page.locator('#result').textContent());
    assert.deepEqual(result.keptColumns, ['Notes']);
    assert.equal(sluice.server.export(result.importId)[0].kept.Notes, 'call back');
    await page.close();
  } finally {
    await sluice.close();
  }
});

test('the upload hint says "up to 1 GB"; forward Tab from the last control reaches Close, and Shift+Tab goes back round', async () => {
  const sluice = await stack();
  try {
    const { page, frame } = await openImporter(browser, sluice.page);
    assert.match(await frame.locator('.hint', { hasText: 'Up to' }).textContent(), /^Up to 1 GB\./);
    await frame.locator('input[type=file]').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: csv(2) });
    await frame.locator('[data-field=encoding]').waitFor({ timeout: 20000 });
    const app = appFrame(page);
    await frame.locator('[data-action=next]').focus();
    await page.keyboard.press('Tab');
    await app.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Close', null, { timeout: 5000 });
    await page.keyboard.press('Shift+Tab');
    await app.waitForFunction(() => document.activeElement?.dataset?.action === 'next', null, { timeout: 5000 });
    await page.close();
  } finally {
    await sluice.close();
  }
});
