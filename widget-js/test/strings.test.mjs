// The importer's languages and the host page's overrides, in Node: the app's strings.ts bundled
// by esbuild as the app is, with the two browser globals it reads stood in for. Every language
// keeps English's placeholders; a language is picked from a tag with fallback; overrides are
// checked, and what cannot be used is reported by key.
import { before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { root } from './support.mjs';

let strings;
const warnings = [];

before(async () => {
  const out = await build({ entryPoints: [join(root, 'widget-js/src/app/strings.ts')], bundle: true, format: 'esm', write: false, logLevel: 'silent' });
  strings = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
  console.warn = (message) => warnings.push(message);
});

beforeEach(() => {
  warnings.length = 0;
  globalThis.navigator = { languages: ['en-US'] };
  globalThis.document = { documentElement: {} };
});

const placeholders = (text) => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

test('every language has every key, none empty, each with the placeholders of its English text', () => {
  const { en, ...others } = strings.TABLES;
  assert.deepEqual(Object.keys(others).sort(), ['de', 'es', 'fr', 'nl', 'pt']);
  for (const [code, table] of Object.entries(others)) {
    assert.deepEqual(Object.keys(table).sort(), Object.keys(en).sort(), code);
    for (const [key, text] of Object.entries(table)) {
      assert.ok(text.trim().length > 0, `${code}.${key} is empty`);
      assert.deepEqual(placeholders(text), placeholders(en[key]), `${code}.${key}: placeholders`);
    }
    const same = Object.keys(en).filter((key) => table[key] === en[key]);
    assert.ok(same.length <= 3, `${code} leaves these in English: ${same.join(', ')}`);
  }
});

test('a language is picked from the host page, else the browser, by its base language, else English', () => {
  const pick = (wanted, browser) => {
    globalThis.navigator = { languages: browser };
    return strings.setLanguage(wanted);
  };
  assert.equal(pick('pt-BR', ['en-US']), 'pt');
  assert.equal(pick('de-AT', ['en-US']), 'de');
  assert.equal(pick('NL', []), 'nl');
  assert.equal(pick(undefined, ['es-MX', 'en']), 'es');
  assert.equal(pick(undefined, ['ja-JP', 'fr-CA']), 'fr');
  assert.equal(pick(undefined, ['ja-JP']), 'en');
  assert.equal(document.documentElement.lang, 'en');
  assert.deepEqual(warnings, []);
  assert.equal(pick('it', ['de-DE']), 'de', "a language the importer lacks falls back to the browser's");
  assert.match(warnings.join('\n'), /options\.language "it" is not a language the importer speaks \(en, fr, de, es, pt, nl\)/);
});

test('German speaks formally and counts with its own plural rules and digits', () => {
  strings.setLanguage('de');
  assert.equal(strings.t('dropTitle'), 'CSV- oder Excel-Datei hier ablegen');
  assert.equal(strings.tn('doneRows', 1, '1'), '1 Zeile importiert');
  assert.equal(strings.tn('doneRows', 1234, (1234).toLocaleString(strings.language())), '1.234 Zeilen importiert');
  assert.match(strings.t('emptyFile'), /Wählen Sie/);
  assert.doesNotMatch(Object.values(strings.TABLES.de).join(' '), /\b(du|dein|deine|dich|dir)\b/i, 'no informal address');
  assert.doesNotMatch(Object.values(strings.TABLES.nl).join(' '), /\b(u|uw)\b/, 'Dutch says "je" throughout');
});

test('host overrides replace strings flat or per language, the language winning', () => {
  strings.setLanguage('pt-BR', { title: 'Importar contatos', done: 'OK', pt: { done: 'Fechar' }, de: { done: 'Schließen' } });
  assert.equal(strings.t('title'), 'Importar contatos');
  assert.equal(strings.t('done'), 'Fechar');
  assert.equal(strings.isOverridden('title'), true);
  assert.equal(strings.isOverridden('back'), false);
  strings.setLanguage('de-CH', { title: 'Importar contatos', done: 'OK', pt: { done: 'Fechar' }, de: { done: 'Schließen' } });
  assert.equal(strings.t('done'), 'Schließen');
  assert.equal(strings.t('back'), 'Zurück');
  strings.setLanguage('de', { 'de-AT': { submit: '{n} Zeilen übernehmen' } });
  assert.equal(strings.t('submit', { n: 3 }), '3 Zeilen übernehmen');
  strings.setLanguage('de');
  assert.equal(strings.t('submit', { n: 3 }), '3 Zeilen importieren', 'overrides taken away are gone');
  assert.deepEqual(warnings, []);
});

test('an override the importer cannot use is left out and reported by its key, never thrown', () => {
  strings.setLanguage('en', {
    titel: 'Import contacts',
    droptitle: 'Drop it',
    back: 42,
    submit: 'Import {count} rows',
    doneRows: 'Imported',
    ja: { title: '…' },
    fr: { nope: 'x', next: ['Suivant'] },
  });
  assert.equal(strings.t('back'), 'Back');
  assert.equal(strings.t('submit', { n: 2 }), 'Import 2 rows');
  assert.equal(strings.t('doneRows', { n: 2 }), '2 rows imported');
  const said = warnings.join('\n');
  assert.match(said, /options\.strings\.titel: the importer has no string "titel"; it is ignored/);
  assert.match(said, /options\.strings\.droptitle: the importer has no string "droptitle" \(did you mean "dropTitle"\?\)/);
  assert.match(said, /options\.strings\.back must be a string \(or, under a language code, an object of strings\), not a number/);
  assert.match(said, /options\.strings\.submit must keep the placeholders of "submit" \(\{n\}\) and add no other; it has \{count\}/);
  assert.match(said, /options\.strings\.doneRows must keep the placeholders of "doneRows" \(\{n\}\) and add no other; it has none/);
  assert.match(said, /options\.strings\.ja: "ja" is neither a string of the importer nor a language it speaks/);
  assert.match(said, /options\.strings\.fr\.nope: the importer has no string "nope"/);
  assert.match(said, /options\.strings\.fr\.next must be a string, not an array/);
  assert.equal(warnings.length, 8);
  assert.ok(warnings.every((w) => w.startsWith('Sluice importer: ')));
  strings.setLanguage('en', 'not an object');
  assert.match(warnings.at(-1), /options\.strings must be an object/);
});

test("the README's example of overrides is taken whole, without a report", async () => {
  const readme = await readFile(join(root, 'widget-js/README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Languages and your own words'));
  const example = section.match(/```js\n([\s\S]*?)```/)[1];
  let config;
  new Function('Sluice', example)({ importer: (given) => (config = given) });
  strings.setLanguage(config.options.language, config.options.strings);
  assert.deepEqual(warnings, []);
  assert.equal(strings.t('title'), 'Kontakte importieren');
  strings.setLanguage('en', config.options.strings);
  assert.equal(strings.tn('doneRows', 1, '1'), '1 contact added');
  assert.equal(strings.t('title'), 'Import contacts');
});
