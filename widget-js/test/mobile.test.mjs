// The importer on a phone (390×844, touch, device scale 3) in Debian Chromium: every step fits
// the screen (nothing wider than the frame), the stepper collapses to one line, the mapping is a
// list, the grid scrolls inside its own box with sticky row numbers, and the first invalid cell
// can be brought into view and its message read. Screenshots: test/artifacts/mobile-<n>-<step>.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, csv, frameOf, shot, stack } from './support.mjs';

let browser;

before(async () => {
  browser = await chromium({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
});

after(async () => {
  await browser?.close();
});

/** The example CSV with a bad email on row 3 and a bad plan on row 40 (off screen both ways). */
function withErrors() {
  const lines = csv(60).toString().trimEnd().split('\n');
  lines[3] = lines[3].replace('user3@example.com', 'not-an-email');
  lines[40] = lines[40].replace(',pro,', ',platinum,');
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** Asserts that nothing in the frame is wider than the frame, and saves the screenshot. */
async function fits(page, app, name) {
  const sizes = await app.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(sizes.scroll <= sizes.inner, `${name}: the page is ${sizes.scroll} px wide in a ${sizes.inner} px frame`);
  const host = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(host.scroll <= host.inner, `${name}: the host page overflows (${host.scroll} > ${host.inner})`);
  await shot(page, `mobile-${name}`);
}

/** Whether `selector`'s element lies wholly inside the frame's screen. */
function onScreen(app, selector) {
  return app.evaluate((s) => {
    const r = document.querySelector(s)?.getBoundingClientRect();
    return Boolean(r) && r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5;
  }, selector);
}

test('on a 390×844 phone every step fits, and the first invalid cell can be brought into view and its message read', async () => {
  const sluice = await stack();
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(sluice.page);
    await page.waitForSelector('[data-importer-ready]', { timeout: 20000 });
    await page.tap('#open');
    const frame = frameOf(page);
    await frame.locator('[data-action=choose]').waitFor();
    const app = page.frames().find((f) => f.url().includes('/embed/'));
    const compact = frame.locator('[data-field=step-compact]');
    assert.equal(await compact.textContent(), 'Step 1 of 5 · Upload');
    assert.equal(await frame.locator('.steps').isVisible(), false, 'the list of steps gives way to one line');
    await fits(page, app, '1-upload');

    await frame.locator('input[type=file]').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: withErrors() });
    await frame.locator('[data-field=encoding]').waitFor({ timeout: 20000 });
    assert.ok(await onScreen(app, '[data-action=next]'), 'Next is on screen');
    await fits(page, app, '2-file-settings');

    await frame.locator('[data-action=next]').tap();
    await frame.locator('.map-table').waitFor();
    assert.equal(await compact.textContent(), 'Step 3 of 5 · Map columns');
    const select = await frame.locator('[data-column=email]').boundingBox();
    const table = await frame.locator('.map-table').boundingBox();
    assert.ok(select.width >= table.width - 2, `one field per block, its select full width (${select.width} of ${table.width})`);
    assert.ok(await onScreen(app, '[data-action=next]'));
    await fits(page, app, '3-map-columns');

    await frame.locator('[data-action=next]').tap();
    await frame.locator('.cell.invalid').first().waitFor({ timeout: 20000 });
    await fits(page, app, '4-review');
    const panel = frame.locator('[data-field=errors-panel]');
    assert.equal(await panel.getAttribute('open'), null, 'the errors panel starts folded on a phone');
    await frame.locator('[data-field=errors-summary]').tap();
    await frame.locator('[data-action=next-error]').tap();
    await app.waitForFunction(() => document.activeElement?.dataset?.key === 'email' && document.activeElement.closest('.grid-row')?.dataset.row === '3');
    await frame.locator('[data-field=errors-summary]').tap();
    const cell = '.cell.invalid[data-key=email]';
    const inView = await app.evaluate((s) => {
      const c = document.querySelector(s).getBoundingClientRect();
      const box = document.querySelector('.grid-viewport').getBoundingClientRect();
      const rowhead = document.querySelector('.grid-body .cell.rowhead').getBoundingClientRect();
      return c.left >= rowhead.right - 1 && c.right <= box.right + 1 && c.top >= box.top && c.bottom <= box.bottom + 1;
    }, cell);
    assert.ok(inView, 'the invalid cell is scrolled into the grid box, clear of the sticky row numbers');
    assert.match(await frame.locator('[data-field=cell-message]').textContent(), /^Row 3, Email address: must be an email address/);
    const inline = frame.locator('.cell-inline-message');
    assert.equal(await inline.isVisible(), true, 'the message under the cell');
    assert.match(await inline.textContent(), /^Row 3, Email address: /);
    const under = await app.evaluate((s) => {
      const c = document.querySelector(s).getBoundingClientRect();
      const m = document.querySelector('.cell-inline-message').getBoundingClientRect();
      return Math.abs(m.top - c.bottom) <= 2 && m.right <= innerWidth;
    }, cell);
    assert.ok(under, 'right under the cell, inside the screen');
    await fits(page, app, '5-review-error');

    await page.keyboard.press('F8');
    await app.waitForFunction(() => document.activeElement?.dataset?.key === 'plan' && document.activeElement.closest('.grid-row')?.dataset.row === '40');
    const sticky = await app.evaluate(() => {
      const box = document.querySelector('.grid-viewport').getBoundingClientRect();
      const head = document.querySelector('.grid-body [data-row="40"] .cell.rowhead').getBoundingClientRect();
      return { scrolled: document.querySelector('.grid-viewport').scrollLeft, left: head.left - box.left };
    });
    assert.ok(sticky.scrolled > 0 && sticky.left <= 2, `row numbers stay at the left while the grid scrolls sideways (${JSON.stringify(sticky)})`);
    await page.keyboard.press('Control+Delete');
    await frame.locator('[data-row="40"]').waitFor({ state: 'detached' });
    await app.evaluate(() => {
      document.querySelector('.grid-viewport').scrollTo(0, 0);
    });
    await frame.locator('[data-row="3"] [data-action=delete-row]').tap();
    await frame.locator('[data-action=next]:not([disabled])').waitFor({ timeout: 20000 });
    assert.ok(await onScreen(app, '[data-action=next]'));
    await fits(page, app, '6-review-fixed');
    await frame.locator('[data-action=next]').tap();
    await frame.locator('[data-field=result]').waitFor({ timeout: 30000 });
    await fits(page, app, '7-result');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});
