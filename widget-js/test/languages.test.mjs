// The importer's languages and the host page's own words, end to end in Debian Chromium: the
// example host page opens the importer in German and an import goes through every step in
// German; a host page replaces strings, and a key the importer does not have is reported in
// the console.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, csv, frameOf, hostPage, openFrameOf, shot, stack } from './support.mjs';

let browser;

before(async () => {
  browser = await chromium();
});

after(async () => {
  await browser?.close();
});

/** The visible texts of the importer's step list and its current step's heading. */
async function steps(frame) {
  return { names: await frame.locator('.steps li').allTextContents(), current: await frame.locator('h2.step-title').textContent() };
}

test('the importer in German: every step, a refusal, the counts and the result in German', async () => {
  const sluice = await stack();
  try {
    const { page, errors } = await hostPage(browser, sluice.page);
    await page.selectOption('#language', 'de');
    await page.click('#open');
    const frame = frameOf(page);
    await frame.locator('.drop-title', { hasText: 'CSV- oder Excel-Datei hier ablegen' }).waitFor({ timeout: 20000 });
    assert.equal(await frame.locator('html').getAttribute('lang'), 'de');
    const names = ['Hochladen', 'Dateieinstellungen', 'Spalten zuordnen', 'Prüfen', 'Senden'];
    assert.deepEqual(await steps(frame), { names, current: 'Hochladen' });
    assert.equal(await frame.locator('[data-action=choose]').textContent(), 'Datei auswählen');
    assert.equal(await frame.locator('button.icon').getAttribute('aria-label'), 'Schließen');
    assert.equal(await frame.locator('nav').getAttribute('aria-label'), 'Schritte');

    await frame.locator('input[type=file]').setInputFiles({ name: 'leer.csv', mimeType: 'text/csv', buffer: Buffer.alloc(0) });
    const refusal = frame.locator('.upload .error');
    await refusal.filter({ hasText: 'Diese Datei ist leer' }).waitFor();
    assert.equal(await refusal.textContent(), 'Diese Datei ist leer: keine Kopfzeile, keine Zeilen. Wählen Sie eine Datei mit Daten aus.');
    await shot(page, 'german-upload-refused');

    await frame.locator('input[type=file]').setInputFiles({ name: 'kontakte.csv', mimeType: 'text/csv', buffer: csv(1234) });
    await frame.locator('[data-field=encoding]').waitFor({ timeout: 20000 });
    assert.deepEqual(await steps(frame), { names, current: 'Dateieinstellungen' });
    assert.deepEqual(await frame.locator('.settings label').allTextContents(), ['Zeichenkodierung', 'Trennzeichen', 'Keine Kopfzeile']);
    assert.equal(await frame.locator('[data-header-row="1"]').getAttribute('aria-label'), 'Zeile 1 als Kopfzeile verwenden');
    assert.deepEqual(await frame.locator('.actions button').allTextContents(), ['Zurück', 'Weiter']);
    await shot(page, 'german-settings');

    await frame.locator('[data-action=next]').click();
    await frame.locator('.map-table').waitFor();
    assert.deepEqual(await steps(frame), { names, current: 'Spalten zuordnen' });
    assert.match(await frame.locator('.step').textContent(), /Wählen Sie für jedes Feld die Spalte Ihrer Datei aus/);
    await shot(page, 'german-mapping');

    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-field=counts]', { hasText: '1.234 Zeilen, alle gültig' }).waitFor({ timeout: 30000 });
    assert.deepEqual(await steps(frame), { names, current: 'Prüfen' });
    await frame.locator('[data-action=next]:not([disabled])', { hasText: '1.234 Zeilen importieren' }).waitFor({ timeout: 20000 });
    await shot(page, 'german-review');

    await frame.locator('[data-action=next]').click();
    const result = frame.locator('[data-field=result]');
    await result.waitFor({ timeout: 60000 });
    assert.match(await result.textContent(), /Import abgeschlossen.*1\.234 Zeilen importiert/s);
    assert.equal(await frame.locator('[data-action=done]').textContent(), 'Fertig');
    await shot(page, 'german-result');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});

test("a host page's own words replace the importer's, per language or for any; an unknown key is reported in the console", async () => {
  const sluice = await stack();
  try {
    const { page, errors } = await hostPage(browser, sluice.page);
    const logged = [];
    page.on('console', (message) => logged.push(message.text()));
    await page.evaluate(() => {
      const importer = window.Sluice.importer({
        importer: 'demo',
        options: {
          language: 'pt-BR',
          strings: {
            title: 'Importar contatos',
            pt: { dropTitle: 'Arraste sua planilha de contatos para cá' },
            de: { dropTitle: 'Kontakte hier ablegen' },
            stepUplaod: 'Arquivo de contatos',
          },
        },
      });
      window.ownWords = importer;
      importer.open();
    });
    const frame = openFrameOf(page);
    await frame.locator('.drop-title', { hasText: 'Arraste sua planilha de contatos para cá' }).waitFor({ timeout: 20000 });
    assert.equal(await frame.locator('html').getAttribute('lang'), 'pt', 'pt-BR is shown in Portuguese');
    assert.equal(await frame.locator('h1.title').textContent(), 'Importar contatos');
    assert.equal(await frame.locator('[data-action=choose]').textContent(), 'Escolher um arquivo', 'the strings not overridden stay Portuguese');
    assert.equal((await steps(frame)).names[0], 'Arquivo', 'the unknown key changed nothing');
    const report = 'Sluice importer: options.strings.stepUplaod: the importer has no string "stepUplaod"; it is ignored.';
    for (let waited = 0; !logged.some((text) => text.startsWith(report)) && waited < 5000; waited += 100) await sleep(100);
    assert.ok(
      logged.some((text) => text.startsWith(report)),
      `console: ${JSON.stringify(logged)}`,
    );
    await shot(page, 'host-strings-portuguese');

    await page.evaluate(() => window.ownWords.setOptions({ language: 'de' }));
    await frame.locator('.drop-title', { hasText: 'Kontakte hier ablegen' }).waitFor();
    assert.equal(await frame.locator('h1.title').textContent(), 'Importar contatos', 'a flat override holds in every language');
    assert.equal(await frame.locator('[data-action=choose]').textContent(), 'Datei auswählen');
    await page.evaluate(() => window.ownWords.setOptions({ strings: { de: { dropTitle: 3 } } }));
    await frame.locator('.drop-title', { hasText: 'CSV- oder Excel-Datei hier ablegen' }).waitFor();
    assert.equal(await frame.locator('h1.title').textContent(), 'Contacts', "without a title of its own, the importer's name");
    for (let waited = 0; !logged.some((text) => text.includes('options.strings.de.dropTitle must be a string, not a number')) && waited < 5000; waited += 100)
      await sleep(100);
    assert.ok(
      logged.some((text) => text.includes('options.strings.de.dropTitle must be a string, not a number')),
      `console: ${JSON.stringify(logged)}`,
    );
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});
