// `make bench`, the browser part: in one headless Chromium page, on the generated 1,000,000-row
// file (124.1 MB, 118.4 MiB) given as a File from disk, (a) @sluice/parser parse + validate +
// batch in its Worker, (b) Papa Parse 5 streaming with `step` and `worker: true`, (c) uDSV
// streaming (TextDecoderStream into its incremental parser, rows to a callback); (b) and (c)
// without validation. Medians of RUNS (5), MB/s (10^6 bytes), the ratios, and memory for (a) on
// this file and on a generated 1 GB one: the page's JS heap (performance.memory), the worker's
// JS heap and ArrayBuffer backing stores (sampled through the DevTools protocol), the
// WebAssembly memory, and the renderer process's resident memory.
//
//   node bench/chromium.mjs BENCH_1M.csv [BENCH_1GB.csv]
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
const [file1m, file1g] = process.argv.slice(2);
const schema = readFileSync(join(repoRoot, 'parser-wasm', 'benches', 'schema.json'), 'utf8');

const page = `<!doctype html><meta charset="utf-8"><title>sluice bench</title>
<input type="file" id="file">
<script src="/node_modules/papaparse/papaparse.min.js"></script>
<script type="module">
  import { parseFile } from '/parser-wasm/npm/src/browser.js';
  import { inferSchema, initParser } from '/node_modules/udsv/dist/uDSV.mjs';
  const file = () => document.getElementById('file').files[0];
  const schema = ${schema};

  window.sluice = async () => {
    let peakHeap = 0;
    const sample = () => { peakHeap = Math.max(peakHeap, performance.memory.usedJSHeapSize); };
    const start = performance.now();
    const job = parseFile(file(), { schema, measureMemory: true, onProgress: sample });
    let rows = 0;
    for await (const batch of job) {
      rows += batch.rowCount;
      batch.release();
    }
    const summary = await job.summary;
    sample();
    return { ms: performance.now() - start, rows, valid: summary.report.validRows, peakHeap, worker: summary.workerMemory };
  };

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

  window.udsv = async () => {
    const start = performance.now();
    const stream = file().stream().pipeThrough(new TextDecoderStream());
    let parser = null;
    let rows = 0;
    const onRow = () => { rows += 1; };
    for await (const text of stream) {
      parser ??= initParser(inferSchema(text));
      parser.chunk(text, parser.stringArrs, onRow);
    }
    parser.end();
    return { ms: performance.now() - start, rows };
  };
  window.ready = true;
</script>`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
  const wasm = 'wasm/sluice_parser_bg.wasm';
  const js = ['src/browser.js', 'src/core.js', 'src/job.js', 'src/sources.js', 'src/wasm-web.js', 'src/worker.js', 'wasm/sluice_parser.js'];
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(
    `sizes: WebAssembly ${kb(statSync(join(packageDir, wasm)).size)}, ${kb(gz(wasm))} gzipped; ` +
      `JavaScript ${kb(js.reduce((n, f) => n + gz(f), 0))} gzipped (each file separately)`,
  );
}

async function main() {
  const server = await serve(repoRoot, { '/bench.html': page });
  const browser = await launch();
  try {
    sizes();
    const size = statSync(file1m).size;
    const tab = await openPage(browser, server.url, file1m);
    console.log(`Chromium ${browser.version()}: ${mb(size)} MB (${(size / 2 ** 20).toFixed(1)} MiB), median of ${RUNS}`);
    const results = {};
    const only = process.env.SLUICE_BENCH_PARSERS?.split(',');
    for (const name of ['sluice', 'papa', 'udsv'].filter((n) => !only || only.includes(n))) {
      const runs = [];
      for (let i = 0; i < RUNS; i += 1) runs.push(await tab.evaluate((n) => window[n](), name));
      const ms = median(runs.map((r) => r.ms));
      results[name] = { ms, mbs: size / 1e6 / (ms / 1000), rows: runs[0].rows, runs };
      console.log(
        `${name.padEnd(7)} ${ms.toFixed(0).padStart(7)} ms ${results[name].mbs.toFixed(1).padStart(8)} MB/s  (${runs.map((r) => r.ms.toFixed(0)).join(', ')} ms; ${runs[0].rows} rows)`,
      );
    }
    if (results.papa && results.udsv) {
      console.log(
        `a/b (sluice / Papa Parse) ${(results.sluice.mbs / results.papa.mbs).toFixed(2)}×, a/c (sluice / uDSV) ${(results.sluice.mbs / results.udsv.mbs).toFixed(2)}×`,
      );
    }
    await tab.close();
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

/** Peak memory of (a) on a fresh page: JS heaps of the page and its worker, WebAssembly memory, renderer RSS. */
async function memory(browser, url, path) {
  const tab = await openPage(browser, url, path);
  const stop = await workerHeaps(browser);
  const r = await withRss(() => tab.evaluate(() => window.sluice()));
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
