// Cell error messages in the user's language. In Node: the app's cellmessages.ts bundled by
// esbuild as the app is; every code the parser lists in parser-wasm/error-codes.json has a string
// in every language that its params fill; English says what the parser says. In Debian Chromium:
// the German importer's review step tells a date that does not exist, a number below its
// minimum, a value outside an enum and a missing required value in German. The mapping step's
// "most values of '<header>' are …" (fit.ts) is said the same way, from the fit's failure code.
import { before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Parser, matchColumns } from '../../parser-wasm/npm/src/node.js';
import { chromium, frameOf, root, shot, stack } from './support.mjs';

let messages;
let strings;
let codes;
let fit;

before(async () => {
  const entry = `export * from './cellmessages'; export { setLanguage, TABLES } from './strings'; export { FIT_PROBLEM, fitProblemText } from './fit';`;
  const out = await build({
    stdin: { contents: entry, resolveDir: join(root, 'widget-js/src/app'), loader: 'ts' },
    bundle: true,
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const module = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
  messages = module;
  strings = module;
  fit = module;
  codes = JSON.parse(await readFile(join(root, 'parser-wasm/error-codes.json'), 'utf8')).codes;
  console.warn = () => {};
});

beforeEach(() => {
  globalThis.navigator = { languages: ['en-US'] };
  globalThis.document = { documentElement: {} };
});

/** A value for each param a code may carry, each one recognisable in the text. */
const SAMPLE = {
  minLength: 3,
  maxLength: 64,
  min: '-5',
  max: '1500',
  example: '1 234,5',
  decimalSeparator: ',',
  allowed: ['free', 'Pro plan'],
  formats: ['DD/MM/YYYY', 'YYYY-MM-DD'],
  more: 3,
  schemes: ['https', 'ftp'],
  closest: 'Pro plan',
  custom: true,
  limit: 65536,
  expected: 4,
  found: 2,
  quoteLine: 17,
  formulaError: '#DIV/0!',
};

/** The error of `code` with the params `names` (a trailing `?` ignored). */
function error(code, names) {
  const params = Object.fromEntries(names.map((n) => n.replace(/\?$/, '')).map((n) => [n, SAMPLE[n]]));
  return { row: 1, line: 2, byte: 3, column: 'c', code, message: 'PARSER MESSAGE', params };
}

/** How `value` reads in `language` once in the message. */
function shown(value, language) {
  if (typeof value === 'number') return new Intl.NumberFormat(language).format(value);
  if (/^-?\d+$/.test(value)) return new Intl.NumberFormat(language).format(Number(value));
  return value;
}

test('the widget says every code error-codes.json lists, and no other', () => {
  assert.deepEqual(Object.keys(messages.SAY).sort(), Object.keys(codes).sort());
});

test('every code reads in every language with each of its params filled in', () => {
  for (const language of Object.keys(strings.TABLES)) {
    strings.setLanguage(language);
    for (const [code, names] of Object.entries(codes)) {
      const required = names.filter((n) => !n.endsWith('?'));
      const text = messages.cellMessage(error(code, required));
      assert.notEqual(text, 'PARSER MESSAGE', `${language} ${code}: the parser's English`);
      assert.doesNotMatch(text, /\{\w+\}/, `${language} ${code}: ${text}`);
      for (const name of required) {
        for (const item of [SAMPLE[name]].flat()) {
          assert.ok(text.includes(shown(item, language)), `${language} ${code}: ${name} ${item} is not in "${text}"`);
        }
      }
      if (names.length > required.length && code !== 'pattern_mismatch') {
        const full = messages.cellMessage(error(code, names));
        assert.doesNotMatch(full, /\{\w+\}|PARSER MESSAGE/, `${language} ${code} with every param: ${full}`);
      }
    }
  }
});

test('lists use the language\'s "or", numbers its digits, a long list its "and N more"', () => {
  strings.setLanguage('de');
  const say = (code, params) => messages.cellMessage({ code, message: 'x', params });
  assert.equal(say('not_allowed', { allowed: ['Free', 'Pro', 'Enterprise'] }), 'ist keiner der erlaubten Werte: Free, Pro oder Enterprise');
  assert.equal(say('below_minimum', { min: '1000' }), 'muss mindestens 1.000 sein');
  assert.equal(say('above_maximum', { max: '0.25' }), 'darf höchstens 0,25 sein');
  assert.equal(say('invalid_date', { formats: ['A', 'B'], more: 9 }), 'muss ein Datum im Format A, B und 9 weitere sein');
  assert.equal(say('field_too_large', { limit: 1048576 }), 'Das Feld ist größer als 1.048.576 Byte; teilen oder kürzen Sie es');
  strings.setLanguage('fr');
  assert.equal(say('url_scheme', { schemes: ['http', 'https'] }), 'doit commencer par http:// ou https://');
  assert.match(say('out_of_range', { min: '-9223372036854775808', max: '9223372036854775807' }), /à 9\D223\D372\D036\D854\D775\D807$/, 'exact, not rounded');
});

test("a code the widget does not know, and a schema's own message, are shown as the parser wrote them", () => {
  strings.setLanguage('nl');
  assert.equal(messages.cellMessage({ code: 'some_new_code', message: 'is new', params: {} }), 'is new');
  assert.equal(messages.cellMessage({ code: 'pattern_mismatch', message: 'must be a phone number', params: { custom: true } }), 'must be a phone number');
  assert.equal(messages.cellMessage({ code: 'pattern_mismatch', message: 'x', params: {} }), 'heeft niet de verwachte vorm');
  assert.equal(messages.cellMessage({ code: 'required', message: 'is required' }), 'is verplicht', 'an error without params');
});

test("in English the widget says what the parser says, from the parser's own errors", () => {
  const schema = {
    version: 1,
    columns: [
      { key: 'name', type: 'text', required: true, min_length: 2 },
      { key: 'age', type: 'integer', min: 0, max: 150 },
      { key: 'score', type: 'number', decimal_separator: ',' },
      { key: 'born', type: 'date', formats: ['%d/%m/%Y', '%Y-%m-%d'] },
      { key: 'plan', type: 'enum', values: ['free', { value: 'pro', label: 'Pro' }] },
      { key: 'site', type: 'url' },
      { key: 'mail', type: 'email', unique: true },
      { key: 'ok', type: 'boolean' },
    ],
  };
  const parser = new Parser({ schema });
  parser.feed(
    new TextEncoder().encode(
      [
        'name,age,score,born,plan,site,mail,ok',
        'a,-1,x,29/02/1991,gold,ftp://x,a@example.com,maybe',
        ',151,"1.5",soon,P-R-O,https://,abc,yes',
        'Ann,1.5,1,01/01/2000,free,https://example.com,a@example.com,no',
      ].join('\n'),
    ),
  );
  const errors = parser.finish().report.errors;
  parser.free();
  strings.setLanguage('en');
  assert.ok(errors.length >= 15, `${errors.length} errors`);
  for (const e of errors) assert.equal(messages.cellMessage(e), e.message, e.code);
});

test('the mapping step says why a column does not fit for every code error-codes.json lists', () => {
  assert.deepEqual(Object.keys(fit.FIT_PROBLEM).sort(), Object.keys(codes).sort());
});

test("a column's fit problem reads in every language with its header; no code, or an unknown one, is the parser's", () => {
  const header = 'Kunden-Nr. 7';
  for (const language of Object.keys(strings.TABLES)) {
    strings.setLanguage(language);
    const said = new Set();
    for (const code of Object.keys(codes)) {
      const text = fit.fitProblemText(header, code, 'PARSER MESSAGE');
      assert.notEqual(text, 'PARSER MESSAGE', `${language} ${code}: the parser's English`);
      assert.ok(text.includes(header), `${language} ${code}: the header is not in "${text}"`);
      assert.doesNotMatch(text, /\{\w+\}/, `${language} ${code}: ${text}`);
      said.add(text);
    }
    assert.equal(said.size, new Set(Object.values(fit.FIT_PROBLEM)).size, `${language}: one sentence per kind of failure`);
    assert.equal(fit.fitProblemText(header, 'some_new_code', 'is new'), 'is new', `${language}: an unknown code`);
    assert.equal(fit.fitProblemText(header, undefined, 'no code'), 'no code', `${language}: no code`);
  }
  strings.setLanguage('de');
  assert.equal(fit.fitProblemText('Customer Id', 'has_decimals', 'x'), 'die meisten Werte von „Customer Id“ sind keine ganzen Zahlen');
  strings.setLanguage('es');
  assert.equal(fit.fitProblemText('Plan', 'not_allowed', 'x'), 'la mayoría de los valores de «Plan» no están entre los valores permitidos');
});

test("in English a column's fit problem is what the parser says", () => {
  const schema = {
    version: 1,
    columns: [
      { key: 'id', type: 'integer' },
      { key: 'amount', type: 'number' },
      { key: 'born', type: 'date' },
      { key: 'at', type: 'time' },
      { key: 'mail', type: 'email' },
      { key: 'site', type: 'url' },
      { key: 'uid', type: 'uuid' },
      { key: 'plan', type: 'enum', values: ['free', 'pro'] },
      { key: 'ok', type: 'boolean' },
    ],
  };
  const headers = ['id', 'amount', 'born', 'at', 'mail', 'site', 'uid', 'plan', 'ok'];
  const rows = Array.from({ length: 6 }, (_, i) => ['x' + i, 'y' + i, 'z' + i, 'w' + i, 'v' + i, 'u' + i, 't' + i, 's' + i, 'r' + i]);
  const flagged = matchColumns(headers, schema, rows).suggestions.filter((s) => s.problem);
  assert.ok(flagged.length >= 8, `${flagged.length} flagged`);
  strings.setLanguage('en');
  for (const s of flagged) {
    assert.ok(s.fit?.failure, `${s.header}: a failure code`);
    assert.equal(fit.fitProblemText(s.header, s.fit.failure, s.problem.message), s.problem.message, s.fit.failure);
  }
});

test("the German importer tells a cell's errors in German on the review step", async () => {
  const browser = await chromium();
  const sluice = await stack();
  try {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(sluice.page);
    await page.waitForSelector('[data-importer-ready]', { timeout: 20000 });
    await page.selectOption('#language', 'de');
    await page.click('#open');
    const frame = frameOf(page);
    const file = [
      'Customer ID,First Name,Last Name,E-mail Address,Phone,DOB,Plan,Newsletter',
      '1,Anna,Schmidt,anna@example.com,+49 30 1234567,29/02/1991,pro,ja',
      '0,Ben,Meyer,ben@example.com,+49 30 1234568,1990-01-02,gold,nein',
      '3,,Weber,carla@example.com,+49 30 1234569,1990-01-02,free,ja',
    ].join('\n');
    await frame.locator('input[type=file]').setInputFiles({ name: 'kunden.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
    await frame.locator('[data-field=encoding]').waitFor({ timeout: 20000 });
    await frame.locator('[data-action=next]').click();
    await frame.locator('.map-table').waitFor();
    await frame.locator('[data-action=next]').click();
    await frame.locator('[data-field=counts]', { hasText: '3 Zeilen' }).waitFor({ timeout: 30000 });
    const said = async (key) => {
      const cell = frame.locator(`[role=gridcell][data-key="${key}"][aria-invalid=true]`).first();
      await cell.waitFor({ timeout: 20000 });
      return `${(await cell.getAttribute('title')) ?? ''} ${await cell.textContent()}`;
    };
    assert.match(await said('birth_date'), /ist kein existierendes Datum/);
    assert.match(await said('id'), /muss mindestens 1 sein/);
    assert.match(await said('plan'), /ist keiner der erlaubten Werte: Free, Pro oder Enterprise/);
    assert.match(await said('first_name'), /ist ein Pflichtfeld/);
    const all = await frame.locator('[role=gridcell][aria-invalid=true]').allTextContents();
    assert.doesNotMatch(all.join(' '), /must be|is required|is not one of|is not a real date/, 'no English message left');
    await shot(page, 'german-cell-messages');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await sluice.close();
    await browser.close();
  }
});
