// `make bench`, the spreadsheet part: in one headless Chromium page, on the generated
// 100,000-row × 10-column workbook (typed cells: numbers, decimals, dates, timestamps,
// booleans, text) given as a File from disk, the spreadsheet WebAssembly module against SheetJS
// (`xlsx` from npm, here for the benchmark only), both on the page's main thread, interleaved:
//
//   preview  sluice: file bytes → sniff (layout, header, first 20 rows) → matchColumns;
//            SheetJS: file bytes → XLSX.read with sheetRows: 21 → sheet_to_json(header: 1)
//   full     sluice: file bytes → Parser (the benchmark schema; every cell checked, no batches);
//            SheetJS: file bytes → XLSX.read → sheet_to_json(header: 1), rows as arrays
//
// Medians of RUNS (5) with min–max, and the ratios. Then each full read once more on a fresh
// page for its peak memory: the renderer process's resident memory above its start (sampled
// from /proc every 10 ms), and for sluice the WebAssembly memory it grew to.
//
//   node bench/sheets.mjs BENCH.xlsx
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../test/support.mjs';
import { launch, rendererRss } from './support.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '..');
const repoRoot = resolve(packageDir, '..', '..');
const RUNS = Number(process.env.SLUICE_BENCH_RUNS ?? 5);
const [workbook] = process.argv.slice(2);
const schema = readFileSync(join(repoRoot, 'parser-wasm', 'benches', 'schema.json'), 'utf8');

const page = `<!doctype html><meta charset="utf-8"><title>sluice spreadsheet bench</title>
<input type="file" id="file">
<script type="module">
  import init, * as sheets from '/parser-wasm/npm/wasm/sluice_parser_sheets.js';
  import * as XLSX from '/node_modules/xlsx/xlsx.mjs';
  const schema = ${schema};
  const file = () => document.getElementById('file').files[0];
  const bytes = async () => new Uint8Array(await file().arrayBuffer());
  const output = await init({ module_or_path: '/parser-wasm/npm/wasm/sluice_parser_sheets_bg.wasm' });
  const schemaJson = JSON.stringify(schema);

  window.sluicePreview = async () => {
    const start = performance.now();
    const preview = JSON.parse(sheets.sniff(await bytes(), JSON.stringify({ previewRows: 20 })));
    const match = JSON.parse(sheets.matchColumns(preview.layout.header.names, schemaJson));
    return { ms: performance.now() - start, rows: preview.rows.length, mapped: match.suggestions?.length ?? match.length };
  };
  window.sluiceFull = async () => {
    const start = performance.now();
    const parser = new sheets.Parser(JSON.stringify({ schema, batching: false }));
    parser.feed(await bytes());
    const summary = JSON.parse(parser.finish());
    parser.free();
    return { ms: performance.now() - start, rows: summary.report.rows, valid: summary.report.validRows, wasmBytes: output.memory.buffer.byteLength };
  };
  window.sheetjsPreview = async () => {
    const start = performance.now();
    const book = XLSX.read(await bytes(), { type: 'array', sheetRows: 21 });
    const rows = XLSX.utils.sheet_to_json(book.Sheets[book.SheetNames[0]], { header: 1 });
    return { ms: performance.now() - start, rows: rows.length - 1 };
  };
  window.sheetjsFull = async () => {
    const start = performance.now();
    const book = XLSX.read(await bytes(), { type: 'array' });
    const rows = XLSX.utils.sheet_to_json(book.Sheets[book.SheetNames[0]], { header: 1 });
    return { ms: performance.now() - start, rows: rows.length - 1 };
  };
  window.ready = true;
</script>`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

async function openPage(browser, url) {
  const tab = await browser.newPage();
  tab.on('pageerror', (error) => console.error('page error:', error.message));
  await tab.goto(`${url}/bench-sheets.html`);
  await tab.waitForFunction(() => window.ready === true);
  await tab.setInputFiles('#file', workbook);
  return tab;
}

/** Peak renderer memory above its start while `name` runs once on a fresh page. */
async function peak(browser, url, name) {
  const tab = await openPage(browser, url);
  const base = rendererRss();
  let top = base;
  const timer = setInterval(() => {
    top = Math.max(top, rendererRss());
  }, 10);
  const result = await tab.evaluate((n) => window[n](), name);
  clearInterval(timer);
  top = Math.max(top, rendererRss());
  await tab.close();
  return { ...result, rss: top - base };
}

const mb = (bytes) => (bytes / 1e6).toFixed(1);

async function main() {
  const server = await serve(repoRoot, { '/bench-sheets.html': page });
  const browser = await launch();
  try {
    const wasm = join(packageDir, 'wasm/sluice_parser_sheets_bg.wasm');
    console.log(`spreadsheet module: ${statSync(wasm).size} bytes, ${gzipSync(readFileSync(wasm), { level: 9 }).length} gzipped`);
    console.log(`Chromium ${browser.version()}: ${workbook} (${mb(statSync(workbook).size)} MB), median of ${RUNS}, interleaved`);
    const tab = await openPage(browser, server.url);
    const names = ['sluicePreview', 'sheetjsPreview', 'sluiceFull', 'sheetjsFull'];
    const runs = Object.fromEntries(names.map((n) => [n, []]));
    for (let i = 0; i < RUNS; i += 1) {
      for (const name of names) runs[name].push(await tab.evaluate((n) => window[n](), name));
    }
    await tab.close();
    const ms = {};
    for (const name of names) {
      const times = runs[name].map((r) => r.ms);
      ms[name] = median(times);
      const extra = runs[name][0].valid !== undefined ? `, ${runs[name][0].valid} valid` : '';
      console.log(`${name.padEnd(15)} ${ms[name].toFixed(0).padStart(7)} ms  (${spread(times)} ms; ${runs[name][0].rows} rows${extra})`);
    }
    console.log(
      `to the first mapped preview: SheetJS / sluice ${(ms.sheetjsPreview / ms.sluicePreview).toFixed(2)}×; ` +
        `to a complete check (sluice) vs read to arrays (SheetJS): ${(ms.sheetjsFull / ms.sluiceFull).toFixed(2)}×`,
    );
    const ours = await peak(browser, server.url, 'sluiceFull');
    const theirs = await peak(browser, server.url, 'sheetjsFull');
    console.log(
      `peak memory, full read on a fresh page: sluice renderer +${mb(ours.rss)} MB (WebAssembly memory ${mb(ours.wasmBytes)} MB); ` +
        `SheetJS renderer +${mb(theirs.rss)} MB`,
    );
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
