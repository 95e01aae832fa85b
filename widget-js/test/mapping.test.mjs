// The mapping step on a file nobody here wrote (a public "customers" export): suggestions read
// the sample values, a column whose values mostly fail is flagged with a better one to use; the
// review step offers to change the column of a field that holds most errors; labels and hints
// per language.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, frameOf, hostPage, root, shot, startSluice } from './support.mjs';
import { startHost } from '../../examples/host-server.mjs';

let browser;

before(async () => {
  browser = await chromium();
});

after(async () => {
  await browser?.close();
});

const CUSTOMERS = `Index,Customer Id,First Name,Last Name,Company,City,Country,Phone 1,Phone 2,Email,Subscription Date,Website
1,DD37Cf93aecA6Dc,Sheryl,Baxter,Rasmussen Group,East Leonard,Chile,229.077.5154,397.884.0519x718,zunigavanessa@smith.info,2020-08-24,http://www.stephenson.com/
2,1Ef7b82A4CAAD10,Preston,Lozano,Vega-Gentry,East Jimmychester,Djibouti,5153435776,686-620-1820x944,vmata@colon.com,2021-04-23,http://www.hobbs.com/
3,6F94879bDAfE5a6,Roy,Berry,Murillo-Perry,Isabelborough,Antigua and Barbuda,+1-539-402-0259,(496)978-3969x58947,beckycarr@hogan.com,2020-03-25,http://www.lawrence.com/
4,5Cef8BFA16c5e3c,Linda,Olsen,"Dominguez, Mcmillan and Donovan",Bensonview,Dominican Republic,001-808-617-6467,+1-813-324-8756,stanleyblackwell@benson.org,2020-06-02,http://www.good-lyons.com/
5,053d585Ab6b3159,Joanna,Bender,"Martin, Lang and Andrade",West Priscilla,Slovakia (Slovak Republic),001-234-203-0635,001-199-446-3860x3486,colinalvarado@miles.net,2021-04-17,https://goodwin-ingram.com/
6,0yJn77tfsE,Aimee,Downs,Steele Group,Chavezborough,Bosnia and Herzegovina,283-437-3886,999-728-1637,louis27@gilbert.com,2020-02-25,http://www.berger.net/
`;

/** The example host page and a Sluice server whose `demo` importer has `schema` (TOML text, or
 * the example schema when absent). */
async function stackWith(schema) {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-mapping-'));
  let path = join(root, 'examples/schema.toml');
  if (schema) {
    path = join(dir, 'schema.toml');
    await writeFile(path, schema);
  }
  let sluiceUrl = '';
  const host = await startHost({ sluice: () => sluiceUrl });
  const origin = `http://127.0.0.1:${host.port}`;
  const server = await startSluice({ importer: `key = "demo"\nname = "Contacts"\nallowed_origins = ["${origin}"]\nschema = "${path}"` });
  sluiceUrl = server.url;
  return {
    page: `${origin}/`,
    server,
    async close() {
      await host.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Opens the host page (in `language`, if given) and the importer, runs `before(page)`, and
 * drops `file` on it. */
async function openWith(url, file, language = '', before = async () => {}) {
  const { page, errors } = await hostPage(browser, url);
  if (language) await page.selectOption('#language', language);
  await page.click('#open');
  const frame = frameOf(page);
  await frame.locator('[data-action=choose]').waitFor();
  await before(page);
  await frame.locator('input[type=file]').setInputFiles(file);
  await frame.locator('[data-field=encoding]').waitFor();
  await frame.locator('[data-action=next]').click();
  await frame.locator('.map-table').waitFor();
  return { page, frame, errors };
}

const rowOf = (frame, key) => frame.locator('.map-table tr', { has: frame.locator(`[data-column="${key}"]`) });

test('a column of codes suggested for a whole-number ID is flagged with the column that fits; review offers to change it', async () => {
  const sluice = await stackWith();
  try {
    const file = { name: 'customers-100.csv', mimeType: 'text/csv', buffer: Buffer.from(CUSTOMERS) };
    const { page, frame, errors } = await openWith(sluice.page, file);
    assert.equal(await frame.locator('[data-column=id]').inputValue(), 'Customer Id', 'the names alone still suggest it');
    const id = rowOf(frame, 'id');
    assert.equal(await id.locator('[data-field=fit]').textContent(), '0 of 6 sample values fit');
    assert.match(await id.locator('[data-field=fit-problem]').textContent(), /most values of 'Customer Id' are not whole numbers/);
    assert.ok(Number((await id.locator('.badge', { hasText: 'confidence' }).textContent()).match(/\d+/)[0]) <= 50, 'not 100 %');
    const plan = rowOf(frame, 'plan');
    assert.equal(await frame.locator('[data-column=plan]').inputValue(), 'Subscription Date');
    assert.match(await plan.locator('[data-field=fit-problem]').textContent(), /most values of 'Subscription Date' are not among the allowed values/);
    assert.equal(await plan.locator('[data-action=use-alternative]').count(), 0, 'no unused column holds plans');
    assert.equal(await rowOf(frame, 'email').locator('[data-field=fit-problem]').count(), 0);
    assert.equal(await rowOf(frame, 'email').locator('[data-field=fit]').textContent(), '6 of 6 sample values fit');
    await shot(page, 'mapping-flagged');

    // Leave the plan out and go on with the wrong ID column: review points at it.
    await frame.locator('[data-column=plan]').selectOption('');
    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-field=column-advice]').waitFor({ timeout: 20000 });
    assert.match(await frame.locator('[data-field=column-advice]').textContent(), /Most errors are in Customer ID, read from the column “Customer Id”/);
    await shot(page, 'review-column-advice');
    await frame.locator('[data-action=change-column]').click();
    await frame.locator('.map-table').waitFor();
    await frame.locator('[data-column=id]:focus').waitFor();

    await rowOf(frame, 'id').locator('[data-action=use-alternative]', { hasText: 'Use “Index” instead' }).click();
    assert.equal(await frame.locator('[data-column=id]').inputValue(), 'Index');
    await frame.locator('[data-column=id]:focus').waitFor();
    await frame.locator('[data-action=next]').click();

    await frame.locator('[data-field=counts]', { hasText: '6 rows, all valid' }).waitFor({ timeout: 20000 });
    await shot(page, 'review-after-alternative');
    assert.equal(await frame.locator('[data-field=column-advice]').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
  }
});

test('labels and hints given per language show in the end user language, English otherwise', async () => {
  const schema = `version = 1
[[columns]]
key = "email"
type = "email"
required = true
label = { en = "Email address", fr = "Adresse e-mail", de = "E-Mail-Adresse" }
hint = { en = "Where we send the receipt", fr = "Là où nous envoyons le reçu", de = "Wohin wir die Quittung schicken" }

[[columns]]
key = "name"
type = "text"
label = "Name"
hint = "As on the card"
`;
  const sluice = await stackWith(schema);
  try {
    const file = { name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from('E-mail-adresse,Name\nann@example.com,Ann\n') };
    for (const [language, label, hint] of [
      ['fr', 'Adresse e-mail', 'Là où nous envoyons le reçu'],
      ['en', 'Email address', 'Where we send the receipt'],
    ]) {
      const { page, frame, errors } = await openWith(sluice.page, file, language);
      const email = rowOf(frame, 'email');
      assert.equal(await email.locator('label').textContent(), label);
      assert.equal(await email.locator('[data-field=hint]').textContent(), hint);
      assert.equal(await rowOf(frame, 'name').locator('[data-field=hint]').textContent(), 'As on the card');
      assert.equal(await frame.locator('[data-column=email]').inputValue(), 'E-mail-adresse', 'a label in any language matches');
      await shot(page, `mapping-labels-${language}`);
      assert.deepEqual(errors, []);
      await page.close();
    }
  } finally {
    await sluice.close();
  }
});

test('a mapping the user changed comes back from the server for a file with the same headers, without the device memory', async () => {
  const sluice = await stackWith();
  try {
    const file = { name: 'customers-100.csv', mimeType: 'text/csv', buffer: Buffer.from(CUSTOMERS) };
    const first = await openWith(sluice.page, file);
    await rowOf(first.frame, 'id').locator('[data-action=use-alternative]').click();
    await first.frame.locator('[data-column=plan]').selectOption('');
    await first.frame.locator('[data-action=next]').click();
    await first.frame.locator('.review').waitFor();

    // What the server holds: the layout's hash (as docs/protocol.md defines it) and indexes only.
    const headers = CUSTOMERS.split('\n')[0].split(',');
    const hash = createHash('sha256')
      .update(['demo', ...headers.map((h) => h.trim().toLowerCase())].join('\u001f'))
      .digest('hex');
    let stored = null;
    for (let i = 0; i < 50 && !stored; i += 1) {
      const response = await fetch(`${sluice.server.url}/v1/importers/demo/mappings/${hash}`);
      stored = response.status === 200 ? await response.json() : null;
      if (!stored) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(stored, { fields: { id: 0, first_name: 2, last_name: 3, email: 9, phone: 7 } });
    await first.page.close();

    // Again, with the device's own memory cleared: the server's mapping is applied.
    const clearDeviceMemory = async (page) => {
      const frame = page.frames().find((f) => f.url().includes('/embed/'));
      await frame.evaluate(() => localStorage.clear());
    };
    const again = await openWith(sluice.page, file, '', clearDeviceMemory);
    assert.equal(await again.frame.locator('[data-column=id]').inputValue(), 'Index');
    assert.equal(await again.frame.locator('[data-column=plan]').inputValue(), '');
    assert.equal(await again.frame.locator('[data-column=email]').inputValue(), 'Email');
    await again.frame.locator('.note', { hasText: 'Your earlier choices for this file layout were applied.' }).waitFor();
    await shot(again.page, 'mapping-remembered-by-server');
    assert.deepEqual([...first.errors, ...again.errors], []);
    await again.page.close();
  } finally {
    await sluice.close();
  }
});
