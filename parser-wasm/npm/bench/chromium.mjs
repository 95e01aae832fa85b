// `make bench`, the browser part: in one headless Chromium page, on the generated 1,000,000-row
// file (124.1 MB, 118.4 MiB; quoted names with commas, embedded newlines, escaped quotes) and on
// the same rows with no quotes (`--plain`), given as Files from disk, each parser in its own
// Worker: @sluice/parser parse + validate + batch with the simd128 build and with the scalar
// build, (a) uDSV parsing alone (TextDecoderStream into its incremental parser, a callback per
// row), (b) uDSV with a JavaScript validation of the same schema (bench/udsv-worker.mjs), (c) Papa
// Parse 5 streaming with `step` and `worker: true`. Rounds are interleaved (each round runs every
// parser once, in a rotated order); medians of RUNS (5) with min–max, MB/s (10^6 bytes), the
// ratios of the simd128 build to each, and each parser's peak memory: the renderer process's
// resident memory (which holds the page and its workers) above where it was when the run began,
// median over the runs. Then, for @sluice/parser alone, memory in detail on this file and on a
// generated 1 GB one: the page's JS heap (performance.memory), the worker's JS heap and
// ArrayBuffer backing stores (sampled through the DevTools protocol), the WebAssembly memory,
// and the renderer's resident memory.
//
//   node bench/chromium.mjs BENCH_1M.csv [BENCH_1GB.csv] [--plain BENCH_1M_PLAIN.csv]
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
const args = process.argv.slice(2);
const plainAt = args.indexOf('--plain');
const filePlain = plainAt >= 0 ? args.splice(plainAt, 2)[1] : undefined;
const [file1m, file1g] = args;
const schema = readFileSync(join(repoRoot, 'parser-wasm', 'benches', 'schema.json'), 'utf8');

const page = `<!doctype html><meta charset="utf-8"><title>sluice bench</title>
<input type="file" id="file">
<script src="/node_modules/papaparse/papaparse.min.js"></script>
<script type="module">
  import { parseFile } from '/parser-wasm/npm/src/browser.js';
  const file = () => document.getElementById('file').files[0];
  const schema = ${schema};

  const sluice = (simd) => async () => {
    let peakHeap = 0;
    const sample = () => { peakHeap = Math.max(peakHeap, performance.memory.usedJSHeapSize); };
    const start = performance.now();
    const job = parseFile(file(), { schema, simd, measureMemory: true, onProgress: sample });
    let rows = 0;
    for await (const batch of job) {
      rows += batch.rowCount;
      batch.release();
    }
    const summary = await job.summary;
    sample();
    if (summary.simd !== simd) throw new Error('the worker did not load the build asked for');
    return { ms: performance.now() - start, rows, valid: summary.report.validRows, peakHeap, worker: summary.workerMemory };
  };
  window.sluiceSimd = sluice(true);
  window.sluiceScalar = sluice(false);

  const udsv = (withSchema) => () => new Promise((resolve, reject) => {
    const worker = new Worker('/parser-wasm/npm/bench/udsv-worker.mjs', { type: 'module' });
    worker.onmessage = ({ data }) => { worker.terminate(); resolve(data); };
    worker.onerror = (event) => { worker.terminate(); reject(new Error(event.message)); };
    worker.postMessage({ file: file(), schema: withSchema ? schema : null });
  });
  window.udsv = udsv(false);
  window.udsvValidated = udsv(true);

  window.papa = () => new Promise((resolve, reject) => {
    let rows = 0;
    const start = performance.now();
    Papa.parse(file(), {
      worker: true,
      step: () => { rows += 1; },
      complete: () => resolve({ ms: performance.now() - start, rows }),
      error: reject,
    });
  });
  window.ready = true;
</script>`;

/** The parsers, by the page's function: the first is the one the ratios are of. */
const PARSERS = [
  ['sluiceSimd', 'sluice simd128'],
  ['sluiceScalar', 'sluice scalar'],
  ['udsv', '(a) uDSV'],
  ['udsvValidated', '(b) uDSV + JS validation'],
  ['papa', '(c) Papa Parse'],
];

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];

async function withRss(run) {
  const base = rendererRss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, rendererRss());
  }, 10);
  try {
    const result = await run();
    return { ...result, rssBase: base, rssPeak: Math.max(peak, rendererRss()) };
  } finally {
    clearInterval(timer);
  }
}

async function openPage(browser, url, path) {
  const tab = await browser.newPage();
  tab.on('pageerror', (error) => console.error('page error:', error.message));
  await tab.goto(`${url}/bench.html`);
  await tab.waitForFunction(() => window.ready === true);
  await tab.setInputFiles('#file', path);
  return tab;
}

const mb = (bytes) => (bytes / 1e6).toFixed(1);

/** The package's sizes: what a browser downloads, gzipped. */
function sizes() {
  const gz = (path) => gzipSync(readFileSync(join(packageDir, path)), { level: 9 }).length;
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const modules = ['sluice_parser_simd_bg', 'sluice_parser_bg', 'sluice_parser_sheets_simd_bg', 'sluice_parser_sheets_bg'];
  const js = ['src/browser.js', 'src/core.js', 'src/job.js', 'src/sources.js', 'src/simd.js', 'src/wasm-web.js', 'src/worker.js', 'wasm/sluice_parser.js'];
  const wasm = modules.map((name) => `${name} ${kb(statSync(join(packageDir, `wasm/${name}.wasm`)).size)} (${gz(`wasm/${name}.wasm`)} B gzipped)`);
  console.log(`sizes: WebAssembly ${wasm.join(', ')}; JavaScript ${kb(js.reduce((n, f) => n + gz(f), 0))} gzipped (each file separately)`);
}

/** Runs every parser RUNS times on `path`, interleaved; prints medians, min–max, ratios, memory. */
async function compare(browser, url, path, label) {
  const size = statSync(path).size;
  const tab = await openPage(browser, url, path);
  const only = process.env.SLUICE_BENCH_PARSERS?.split(',');
  const parsers = PARSERS.filter(([name]) => !only || only.includes(name));
  const runs = new Map(parsers.map(([name]) => [name, []]));
  console.log(`${label}: ${mb(size)} MB (${(size / 2 ** 20).toFixed(1)} MiB), ${RUNS} interleaved rounds`);
  for (let round = 0; round < RUNS; round += 1) {
    for (let i = 0; i < parsers.length; i += 1) {
      const [name] = parsers[(round + i) % parsers.length];
      const r = await withRss(() => tab.evaluate((n) => window[n](), name));
      runs.get(name).push(r);
    }
  }
  const results = new Map();
  for (const [name, title] of parsers) {
    const ms = runs.get(name).map((r) => r.ms);
    const rss = median(runs.get(name).map((r) => r.rssPeak - r.rssBase));
    const result = { ms: median(ms), mbs: size / 1e6 / (median(ms) / 1000), rows: runs.get(name)[0].rows, valid: runs.get(name)[0].valid };
    results.set(name, result);
    const speeds = sorted(ms).map((m) => size / 1e6 / (m / 1000));
    console.log(
      `  ${title.padEnd(26)} ${result.ms.toFixed(0).padStart(6)} ms  ${result.mbs.toFixed(1).padStart(6)} MB/s (${speeds.at(-1).toFixed(1)}–${speeds[0].toFixed(1)})  ` +
        `peak +${mb(rss)} MB  ${result.rows} rows${result.valid === undefined ? '' : `, ${result.valid} valid`}`,
    );
  }
  const first = results.get(parsers[0][0]);
  const ratios = parsers.slice(1).map(([name, title]) => `${title} ${(first.mbs / results.get(name).mbs).toFixed(2)}×`);
  if (ratios.length) console.log(`  ${parsers[0][1]} against: ${ratios.join(', ')}`);
  await tab.close();
}

async function main() {
  const server = await serve(repoRoot, { '/bench.html': page });
  const browser = await launch();
  try {
    sizes();
    console.log(`Chromium ${browser.version()}`);
    await compare(browser, server.url, file1m, 'quoted');
    if (filePlain) await compare(browser, server.url, filePlain, 'plain, no quotes');
    if (process.env.SLUICE_BENCH_MEMORY !== '0') {
      for (const path of [file1m, file1g].filter(Boolean)) await memory(browser, server.url, path);
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

/**
 * Samples the JS heap of every worker the page starts, through the DevTools protocol (a page
 * cannot read its workers' heaps): used heap and the backing stores of ArrayBuffers.
 */
async function workerHeaps(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const sessions = new Map();
  const pending = new Map();
  let id = 0;
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    const message = JSON.parse(event.message);
    pending.get(message.id)?.(message.result);
    pending.delete(message.id);
  });
  const call = (sessionId, method) =>
    new Promise((resolve) => {
      id += 1;
      pending.set(id, resolve);
      cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) }).catch(() => resolve(undefined));
    });
  let peak = { used: 0, buffers: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const { targetInfos } = await cdp.send('Target.getTargets');
      for (const target of targetInfos.filter((t) => t.type === 'worker' && !sessions.has(t.targetId))) {
        const attached = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false }).catch(() => null);
        if (attached) sessions.set(target.targetId, attached.sessionId);
      }
      for (const sessionId of sessions.values()) {
        const usage = await call(sessionId, 'Runtime.getHeapUsage');
        if (usage) peak = { used: Math.max(peak.used, usage.usedSize), buffers: Math.max(peak.buffers, usage.backingStorageSize ?? 0) };
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return async () => {
    running = false;
    await loop;
    await cdp.detach();
    return peak;
  };
}

/** Peak memory of @sluice/parser (simd128) on a fresh page: JS heaps of the page and its worker, WebAssembly memory, renderer RSS. */
async function memory(browser, url, path) {
  const tab = await openPage(browser, url, path);
  const stop = await workerHeaps(browser);
  const r = await withRss(() => tab.evaluate(() => window.sluiceSimd()));
  const worker = await stop();
  const wasm = r.worker?.wasmBytes ?? 0;
  const total = r.peakHeap + worker.used + worker.buffers + wasm;
  console.log(
    `memory on ${mb(statSync(path).size)} MB (${r.rows} rows shipped, ${(r.ms / 1000).toFixed(1)} s): ` +
      `page JS heap ${mb(r.peakHeap)} + worker JS heap ${mb(worker.used)} + worker ArrayBuffers ${mb(worker.buffers)} ` +
      `+ WebAssembly memory ${mb(wasm)} = ${mb(total)} MB at peak; ` +
      `renderer process RSS ${mb(r.rssBase)} MB before, +${mb(r.rssPeak - r.rssBase)} MB at peak`,
  );
  await tab.close();
}

await main();
