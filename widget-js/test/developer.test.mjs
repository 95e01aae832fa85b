// What a host page's developer meets, in Debian Chromium against the real server: a page view
// loads nothing of the importer before the first open; the React and Vue components (apps
// bundled here by esbuild from npm's React and Vue) open the importer and report an import
// through their callbacks; the csvbox shim takes csvbox's dynamic-column options and reports a
// bad one, naming the column and the option.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { join } from 'node:path';
import { chromium, csv, frameOf, root, shot, stack } from './support.mjs';

let browser;

before(async () => {
  browser = await chromium();
});

after(async () => {
  await browser?.close();
});

/** The requests for the importer (its page, app files and WebAssembly) made from now on. */
function watchImporterRequests() {
  const seen = [];
  const watch = (request) => {
    const { pathname } = new URL(request.url());
    if (/^\/(embed|widget)\//.test(pathname)) seen.push(pathname);
  };
  browser.context.on('request', watch);
  return { seen, stop: () => browser.context.off('request', watch) };
}

/** A host page of `name` that runs `script` (bundled) with `window.SLUICE_URL` set. */
async function appPage(name, script) {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${name}</title>
<script>window.SLUICE_URL = '{{SLUICE_URL}}';</script><script type="module" src="/${name}.js"></script></head>
<body><main id="app"></main></body></html>`;
  return { [`/${name}.html`]: [html, 'text/html; charset=utf-8'], [`/${name}.js`]: [script, 'text/javascript'] };
}

/** `entry` bundled for the browser, the Sluice packages from their sources, React and Vue from npm. */
async function bundle(entry) {
  const result = await build({
    entryPoints: [join(root, 'widget-js/test/apps', entry)],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    logLevel: 'warning',
    alias: {
      '@sluice/widget': join(root, 'widget-js/src/loader.ts'),
      '@sluice/react': join(root, 'widget-js/react/src/index.ts'),
      '@sluice/vue': join(root, 'widget-js/vue/src/index.ts'),
    },
    define: {
      'process.env.NODE_ENV': '"production"',
      __VUE_OPTIONS_API__: 'true',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    },
  });
  return result.outputFiles[0].text;
}

/** Three valid rows through every step of the open importer; returns when the result step shows. */
async function importThreeRows(frame) {
  await frame.locator('input[type=file]').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: csv(3) });
  await frame.locator('[data-field=encoding]').waitFor({ timeout: 20000 });
  await frame.locator('[data-action=next]').click();
  await frame.locator('.map-table').waitFor();
  await frame.locator('[data-action=next]').click();
  await frame.locator('[data-action=next]:not([disabled])').waitFor({ timeout: 20000 });
  await frame.locator('[data-action=next]').click();
  await frame.locator('[data-action=done]').waitFor({ timeout: 30000 });
}

/** Asserts a component's events in order and that its import of three rows, by `userId`, is
 * stored. */
function imported(sluice, seen, userId) {
  assert.deepEqual(
    seen.map((e) => e.name),
    ['ready', 'submit', 'complete', 'close'],
  );
  const complete = seen.find((e) => e.name === 'complete').detail;
  assert.equal(complete.rows, 3);
  assert.deepEqual(complete.user, { user_id: userId });
  assert.equal(sluice.server.export(complete.importId).length, 3);
}

/** The events the app recorded, once `last` is among them. */
async function events(page, last) {
  await page.waitForFunction((name) => window.sluiceEvents.some((e) => e.name === name), last, { timeout: 30000 });
  return page.evaluate(() => window.sluiceEvents);
}

test('a host page view loads nothing of the importer before the first open; opening loads the app and the WebAssembly', async () => {
  const sluice = await stack();
  const requests = watchImporterRequests();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${sluice.page}?preload=none`);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(1500);
    assert.deepEqual(requests.seen, [], 'nothing of the importer before a click');
    await page.click('#open');
    await frameOf(page).locator('[data-action=choose]').waitFor({ timeout: 20000 });
    assert.ok(
      requests.seen.some((path) => /^\/embed\/demo$/.test(path)),
      `the frame: ${requests.seen}`,
    );
    assert.ok(
      requests.seen.some((path) => /^\/widget\/app\/app\.[0-9a-f]{16}\.js$/.test(path)),
      `the app: ${requests.seen}`,
    );
    assert.ok(
      requests.seen.some((path) => /^\/widget\/wasm\/sluice_parser_simd_bg\.[0-9a-f]{16}\.wasm$/.test(path)),
      `the WebAssembly: ${requests.seen}`,
    );
    await page.close();

    requests.seen.length = 0;
    const idle = await browser.context.newPage();
    await idle.goto(sluice.page);
    await idle.waitForSelector('[data-importer-ready]', { timeout: 20000 });
    assert.ok(
      requests.seen.some((path) => path.endsWith('.wasm')),
      `preload: 'idle' loads it before a click: ${requests.seen}`,
    );
    await idle.close();
  } finally {
    requests.stop();
    await sluice.close();
  }
});

test('@sluice/react: <SluiceImporter> in a React app opens the importer; its callbacks get the import', async () => {
  const sluice = await stack({ pages: await appPage('react', await bundle('react-app.jsx')) });
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${sluice.origin}/react.html?view=component`);
    await page.getByRole('button', { name: 'Import contacts' }).click();
    const frame = frameOf(page);
    await frame.locator('[data-action=choose]').waitFor({ timeout: 20000 });
    await importThreeRows(frame);
    await shot(page, 'react-component-done');
    await frame.locator('[data-action=done]').click();
    const seen = await events(page, 'close');
    imported(sluice, seen, 'react-component');
    assert.equal(seen.find((e) => e.name === 'submit').detail.file.name, 'contacts.csv');
    assert.equal(await page.locator('iframe[src*="/embed/"]').isVisible(), false, 'closed');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});

test("@sluice/react: useSluiceImporter opens the importer from the app's own button and tracks isOpen", async () => {
  const sluice = await stack({ pages: await appPage('react', await bundle('react-app.jsx')) });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${sluice.origin}/react.html?view=hook`);
    assert.equal(await page.locator('#state').textContent(), 'closed');
    await page.click('#open');
    const frame = frameOf(page);
    await frame.locator('[data-action=choose]').waitFor({ timeout: 20000 });
    assert.equal(await page.locator('#state').textContent(), 'open');
    await importThreeRows(frame);
    await frame.locator('[data-action=done]').click();
    const seen = await events(page, 'close');
    assert.equal(seen.find((e) => e.name === 'complete').detail.rows, 3);
    await page.waitForFunction(() => document.getElementById('state').textContent === 'closed', null, { timeout: 5000 });
    await page.close();
  } finally {
    await sluice.close();
  }
});

test('@sluice/vue: <SluiceImporter> in a Vue app opens the importer from its slot; its events carry the import', async () => {
  const sluice = await stack({ pages: await appPage('vue', await bundle('vue-app.mjs')) });
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${sluice.origin}/vue.html`);
    await page.click('#open');
    const frame = frameOf(page);
    await frame.locator('[data-action=choose]').waitFor({ timeout: 20000 });
    await page.waitForFunction(() => document.getElementById('open').textContent === 'Importing', null, { timeout: 5000 });
    await importThreeRows(frame);
    await shot(page, 'vue-component-done');
    await frame.locator('[data-action=done]').click();
    const seen = await events(page, 'close');
    imported(sluice, seen, 'vue-user');
    await page.waitForFunction(() => document.getElementById('open').textContent === 'Import contacts', null, { timeout: 5000 });
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});

test("the csvbox shim takes csvbox's dynamic-column options (and Sluice's transform) and reports a bad one, naming the column and the option", async () => {
  const sluice = await stack();
  try {
    const page = await browser.context.newPage();
    const consoleErrors = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    await page.goto(`${sluice.page}?preload=none`);
    await page.evaluate(() => {
      window.csvboxCalls = [];
      const importer = new window.CSVBoxImporter('demo', { user_id: 'csvbox-user' }, (ok, data) => window.csvboxCalls.push({ ok, data }), { lazy: true });
      importer.setDynamicColumns([
        {
          column_name: 'team',
          display_label: 'Team',
          info_hint: 'The team that owns the contact',
          matching_keywords: 'squad, crew',
          type: 'dropdown',
          validators: {
            values: [
              { value: 'red', display_label: 'Red team' },
              { value: 'blue', display_label: 'Blue team' },
            ],
          },
          default_value: 'red',
          required: true,
          position: 2,
        },
        { column_name: 'seats', display_label: 'Seats', type: 'number', validators: { min_value: 1, max_value: 10 } },
        { column_name: 'since', type: 'date', validators: { format: 'DD/MM/YYYY' } },
        { column_name: 'code', display_label: 'Code', transform: ['collapse', 'upper'] },
        { column_name: 'nickname', type: 'text', validators: { min_value: 3 } },
      ]);
      importer.openModal();
    });
    const calls = await page.evaluate(() => window.csvboxCalls);
    assert.equal(calls.length, 1, JSON.stringify(calls));
    assert.equal(calls[0].ok, false);
    assert.equal(calls[0].data.error_code, 'bad_dynamic_column');
    assert.match(
      calls[0].data.error,
      /dynamic column "nickname": option `validators\.min_value` does not apply to type text \(it takes min_length, max_length\); the column is left out/,
    );
    assert.ok(
      consoleErrors.some((text) => text.includes('CSVBoxImporter.setDynamicColumns: dynamic column "nickname"')),
      `console: ${consoleErrors}`,
    );

    const frame = frameOf(page);
    await frame.locator('[data-field=paste]').waitFor({ timeout: 20000 });
    const pasted = csv(3)
      .toString()
      .replace('Newsletter\n', 'Newsletter,Squad,Seats,Since,Code\n')
      .replace(/yes\n/, 'yes,Blue team,3,31/12/2020,ab  c\n')
      .replace(/yes\n/, 'yes,,10,01/02/2021,x\n')
      .replace(/yes\n/, 'yes,BLUE,1,15/06/2022,Zz9\n');
    await frame.locator('[data-field=paste]').fill(pasted);
    await frame.locator('[data-action=use-paste]').click();
    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-column=team]').waitFor();
    assert.equal(await frame.locator('[data-column=team]').inputValue(), 'Squad', 'matched by its keywords');
    assert.equal(await frame.locator('[data-column=seats]').inputValue(), 'Seats');
    await frame.getByText('The team that owns the contact').waitFor({ timeout: 5000 });
    assert.equal(await frame.locator('[data-column=nickname]').count(), 0, 'the bad column is left out');
    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-action=next]:not([disabled])').waitFor({ timeout: 20000 });
    await frame.locator('[data-action=next]').click();
    await page.waitForFunction(() => window.csvboxCalls.length > 1, null, { timeout: 30000 });
    const { ok, data } = await page.evaluate(() => window.csvboxCalls[1]);
    assert.equal(ok, true, JSON.stringify(data));
    assert.equal(data.row_success, 3);
    const rows = sluice.server.export(data.import_id);
    assert.deepEqual(
      rows.map((r) => [r.cells.team, r.cells.seats, r.cells.since, r.cells.code]),
      [
        ['blue', '3', '2020-12-31', 'AB C'],
        ['red', '10', '2021-02-01', 'X'],
        ['blue', '1', '2022-06-15', 'ZZ9'],
      ],
    );
    await page.close();
  } finally {
    await sluice.close();
  }
});
