// `make bench`: the widget end to end. The release server on loopback, a host page on its own
// origin, headless Debian Chromium; the generated 1,000,000-row file goes from file pick through
// every step (each Next pressed as soon as it is enabled) until the server has acknowledged and
// verified every batch (the import is complete), E2E_RUNS times (3), with the phases of each
// (the app's User Timing marks) and their medians. Also: the loader's and the app's gzipped
// sizes, and the time to the first interactive step. Then what the host page's functions that
// take rows cost (E2E_VARIANTS, by default onData, validateRows, transformRow; "" for none): each
// run imports once without them and once with each, interleaved, and each is reported against
// the import without them.
//
//   node --experimental-websocket widget-js/bench/e2e.mjs FILE.csv   (SLUICE_BIN: the release server)
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { startSluice } from '../test/support.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const file = resolve(process.argv[2] ?? '');
if (!process.argv[2]) throw new Error('usage: node --experimental-websocket widget-js/bench/e2e.mjs FILE.csv');
const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME ?? '', '.cache/sluice/target');
const binary = process.env.SLUICE_BIN ?? join(target, 'release/sluice');

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const line = (label, value) => console.log(`${label.padEnd(34)} ${value}`);

// Chromium is driven over the DevTools protocol directly, with only the Page, Runtime and DOM
// domains: Playwright also watches the network, and copying every request body into its
// events caps uploads at ~20 MB/s on this machine, which would measure the tool, not Sluice.
async function main() {
  const sizes = JSON.parse(await readFile(join(root, 'widget-js/dist/sizes.json'), 'utf8'));
  const bytes = (await stat(file)).size;
  let sluiceUrl = '';
  const host = await hostPage(() => page(sluiceUrl));
  const sluice = await startSluice({
    binary,
    importer: `key = "bench"
allowed_origins = ["${host.url}"]
schema = "${join(root, 'parser-wasm/benches/schema.json')}"
invalid_rows = "record"
host_page_rows = true

[importers.limits]
max_rows = 2000000
max_file_size = "1GiB"
batch_rows = 10000
batch_bytes = "2MiB"`,
  });
  sluiceUrl = sluice.url;
  const browser = await launch();
  try {
    const runs = Object.fromEntries(['plain', ...VARIANTS].map((variant) => [variant, []]));
    for (let run = 0; run < RUNS; run += 1) {
      for (const variant of Object.keys(runs)) {
        const measured = await importOnce(browser.cdp, host.url, file, variant);
        runs[variant].push(measured);
        if (process.env.E2E_TRACE) console.log(variant, JSON.stringify(measured));
      }
    }
    report(runs.plain, runs.plain[0], bytes, sizes);
    for (const variant of VARIANTS) reportVariant(variant, runs[variant], runs.plain);
  } finally {
    await browser.close();
    host.close();
    await sluice.close();
  }
}

/** Imports `file` once from a freshly loaded host page with `variant`'s functions; returns when each phase ended (ms). */
async function importOnce(cdp, hostUrl, file, variant) {
  const top = (expression) => cdp.evaluate(expression);
  const loadStart = Date.now();
  await cdp.send('Page.navigate', { url: `${hostUrl}/bench.html?${variant}` });
  await until(() => top('document.body?.hasAttribute("data-ready") ?? false'), 30000);
  const ready = Date.now() - loadStart;
  const openStart = Date.now();
  await top('document.getElementById("open").click()');
  const frame = await cdp.frame('/embed/');
  const inFrame = (expression) => cdp.evaluate(expression, frame);
  await until(() => inFrame('!!document.querySelector("[data-action=choose]")'), 30000);
  const firstStep = Date.now() - openStart;
  const nextEnabled = () => inFrame('!!document.querySelector("[data-action=next]:not([disabled])")');
  const next = () => inFrame('document.querySelector("[data-action=next]").click()');

  const marks = {};
  const input = await cdp.send('Runtime.evaluate', { expression: 'document.querySelector("input[type=file]")', contextId: frame });
  const t0 = Date.now();
  await cdp.send('DOM.setFileInputFiles', { files: [file], objectId: input.result.objectId });
  await until(nextEnabled, 30000);
  marks.settings = Date.now() - t0;
  await next();
  await until(() => inFrame('!!document.querySelector(".map-table")'), 30000);
  await until(nextEnabled, 30000);
  marks.mapping = Date.now() - t0;
  await next();
  await until(() => inFrame('!!document.querySelector(".grid") && !!document.querySelector("[data-action=next]:not([disabled])")'), 120000);
  marks.review = Date.now() - t0;
  await next();
  await until(() => top('!!window.benchResult'), 300000);
  marks.total = Date.now() - t0;
  // The app's User Timing marks (absent in a build before issue 15): when sending began (import
  // created), when every batch was acknowledged, when the server answered the completion.
  const app = await inFrame(`(() => {
    const at = (name) => { const all = performance.getEntriesByName(name, 'mark'); return all.length ? performance.timeOrigin + all.at(-1).startTime : null; };
    const checked = performance.getEntriesByName('sluice:checked', 'mark').at(-1);
    return { sending: at('sluice:sending'), sent: at('sluice:sent'), complete: at('sluice:complete'),
      parses: performance.getEntriesByName('sluice:parse', 'mark').length, kept: checked?.detail ?? null };
  })()`);
  for (const name of ['sending', 'sent', 'complete']) marks[name] = app[name] === null ? null : app[name] - t0;
  const result = await top('window.benchResult');
  return { marks, ready, firstStep, parses: app.parses, kept: app.kept, result };
}

const RUNS = Number(process.env.E2E_RUNS ?? 3);

/** The host page's functions measured, each in its own import. */
const VARIANTS = (process.env.E2E_VARIANTS ?? 'onData,validateRows,transformRow').split(',').filter(Boolean);

/** The median (ms) of what `of` gives for each run. */
function median(runs, of) {
  const sorted = runs.map(of).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** One host page function's cost: the review and the submission against the runs without it. */
function reportVariant(variant, runs, plain) {
  const review = (r) => r.marks.review - r.marks.mapping;
  const submit = (r) => r.marks.total - r.marks.review;
  const spread = (of) => {
    const values = runs.map(of).sort((a, b) => a - b);
    return `${seconds(median(runs, of))} (${seconds(values[0])}–${seconds(values.at(-1))})`;
  };
  const extra = (of) => seconds(median(runs, of) - median(plain, of));
  line(`with ${variant}`, `${spread((r) => r.marks.total)} file pick → complete, +${extra((r) => r.marks.total)}`);
  line('  review: whole file checked', `${spread(review)}, +${extra(review)}`);
  line('  submit: Next → complete', `${spread(submit)}, +${extra(submit)}`);
}

/** The median of each phase over the runs, with min–max; the first run's sizes and counts. */
function report(runs, first, bytes, sizes) {
  const phase = (of) => {
    const values = runs.map(of).filter((v) => v !== null && Number.isFinite(v));
    if (values.length === 0) return '–';
    const sorted = [...values].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    return `${seconds(median)} (${seconds(sorted[0])}–${seconds(sorted.at(-1))})`;
  };
  const after = (m, name, before) => (m[name] === null || m[before] === null ? null : m[name] - m[before]);
  const { result, kept } = first;
  console.log(
    `widget end to end: ${(bytes / 1e6).toFixed(1)} MB, ${result.totalRows.toLocaleString('en')} rows, release server on loopback, headless Chromium; median (min–max) of ${runs.length} runs`,
  );
  line('file pick → import complete', `${phase((r) => r.marks.total)} (target ≤ 2 s)`);
  line(
    '  file settings ready',
    phase((r) => r.marks.settings),
  );
  line(
    '  column mapping ready',
    phase((r) => r.marks.mapping - r.marks.settings),
  );
  line(
    '  review: whole file checked',
    phase((r) => r.marks.review - r.marks.mapping),
  );
  line(
    '  review → sending (import made)',
    phase((r) => after(r.marks, 'sending', 'review')),
  );
  line(
    '  sealed and sent (all acked)',
    phase((r) => after(r.marks, 'sent', 'sending')),
  );
  line(
    '  completion (server verified)',
    phase((r) => after(r.marks, 'complete', 'sent')),
  );
  line(
    '  submit: Next → complete',
    phase((r) => r.marks.total - r.marks.review),
  );
  line('passes over the file', `${first.parses}; ${result.batches} batches, ${result.rows.toLocaleString('en')} rows stored`);
  line(
    'batches kept by the review',
    kept ? `${(kept.keptBytes / 1e6).toFixed(1)} MB${kept.complete ? ', all of them' : ', then the budget was reached'}` : '–',
  );
  line('page load → importer ready', `${phase((r) => r.ready)} (frame preloaded)`);
  line(
    'open → first step interactive',
    phase((r) => r.firstStep),
  );
  line('loader', `${sizes.loader.toLocaleString('en')} B gzipped (budget 5,120)`);
  line('importer app (JS + CSS)', `${sizes.app.toLocaleString('en')} B gzipped (budget 63,488; WebAssembly ${sizes.wasm.toLocaleString('en')} B not counted)`);
}

/** Polls `check` every 10 ms until it is true. */
async function until(check, timeout) {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Headless Debian Chromium with a fresh profile, and a DevTools session on its page. */
async function launch() {
  const profile = await mkdtemp(join(tmpdir(), 'sluice-e2e-chromium-'));
  const chrome = spawn(
    process.env.CHROMIUM ?? '/usr/bin/chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
      '--disable-dev-shm-usage',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      '--window-size=1280,900',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const endpoint = await new Promise((resolvePromise, reject) => {
    createInterface({ input: chrome.stderr }).on('line', (text) => {
      const found = /DevTools listening on (ws:\/\/[^\s]+)/.exec(text);
      if (found) resolvePromise(found[1]);
    });
    chrome.once('exit', (code) => reject(new Error(`chromium exited with ${code}`)));
    setTimeout(() => reject(new Error('chromium did not open its DevTools port in 30 s')), 30000).unref();
  });
  const targets = await (await fetch(`http://${new URL(endpoint).host}/json/list`)).json();
  const cdp = await session(targets.find((t) => t.type === 'page').webSocketDebuggerUrl);
  await cdp.send('Page.enable');
  await cdp.send('DOM.enable');
  return {
    cdp,
    async close() {
      cdp.close();
      chrome.kill('SIGKILL');
      await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/** A minimal DevTools protocol client over the page's WebSocket. */
async function session(url) {
  const socket = new WebSocket(url);
  await new Promise((r, reject) => {
    socket.onopen = r;
    socket.onerror = reject;
  });
  let id = 0;
  const pending = new Map();
  socket.onmessage = ({ data }) => {
    const message = JSON.parse(data);
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.error) waiting.reject(new Error(message.error.message));
    else waiting.resolve(message.result);
  };
  const send = (method, params = {}) =>
    new Promise((resolvePromise, reject) => {
      if (process.env.E2E_TRACE) console.log('cdp', method);
      id += 1;
      const sent = id;
      const timer = setTimeout(() => {
        pending.delete(sent);
        reject(new Error(`${method}: no answer from Chromium in 60 s`));
      }, 60000);
      pending.set(sent, {
        resolve: (value) => {
          clearTimeout(timer);
          resolvePromise(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      socket.send(JSON.stringify({ id: sent, method, params }));
    });
  return {
    send,
    close: () => socket.close(),
    /** Evaluates in the page, or in a frame's isolated world; returns the value. */
    async evaluate(expression, contextId) {
      const out = await send('Runtime.evaluate', {
        expression,
        returnByValue: true,
        awaitPromise: true,
        userGesture: true,
        ...(contextId ? { contextId } : {}),
      });
      if (out.exceptionDetails) throw new Error(out.exceptionDetails.exception?.description ?? out.exceptionDetails.text);
      return out.result.value;
    },
    /** An isolated world in the child frame whose URL contains `part` (the DOM is shared). */
    async frame(part) {
      for (let i = 0; i < 3000; i += 1) {
        const { frameTree } = await send('Page.getFrameTree');
        const child = (frameTree.childFrames ?? []).find((f) => f.frame.url.includes(part));
        if (child) return (await send('Page.createIsolatedWorld', { frameId: child.frame.id, worldName: 'bench' })).executionContextId;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no frame ${part}`);
    },
  };
}

/** The host page on its own origin. */
function hostPage(html) {
  const server = createServer((request, response) => {
    if (request.url?.startsWith('/bench.html')) response.writeHead(200, { 'content-type': 'text/html' }).end(html());
    else response.writeHead(404).end();
  });
  return new Promise((resolvePromise) =>
    server.listen(0, '127.0.0.1', () =>
      resolvePromise({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => {
          server.close();
          server.closeAllConnections();
        },
      }),
    ),
  );
}

function page(sluiceUrl) {
  return `<!doctype html><meta charset="utf-8"><title>bench</title>
<script src="${sluiceUrl}/sluice.js"></script>
<button id="open">open</button>
<script>
  // What a host page's functions would do cheaply, so that what is measured is Sluice's share:
  // rows kept by onData, a lookup per row in validateRows, a trim per row in transformRow.
  const variant = location.search.slice(1);
  const blocked = new Set(['nobody@blocked.example']);
  const hooks = {
    onData: { onData: async (rows) => { window.handed = (window.handed ?? 0) + rows.length; } },
    validateRows: {
      validateRows: async (rows) =>
        rows.filter((r) => blocked.has(r.data.email)).map((r) => ({ row: r.row, column: 'email', message: 'is blocked' })),
    },
    transformRow: { transformRow: (row) => ({ ...row.data, name: row.data.name?.trim() ?? null }) },
  };
  const importer = Sluice.importer({
    importer: 'bench',
    preload: 'idle',
    options: { allowInvalid: true },
    ...(hooks[variant] ?? {}),
    onReady: () => document.body.setAttribute('data-ready', ''),
    onComplete: (result) => { window.benchResult = result; },
  });
  document.getElementById('open').onclick = () => importer.open();
</script>`;
}

// A run that hangs is a failure with a message, never a stuck `make bench`.
setTimeout(() => {
  console.error('e2e: no result in 15 minutes');
  process.exit(1);
}, 900000).unref();
try {
  await main();
  process.exit(0);
} catch (error) {
  console.error(`e2e: ${error?.stack ?? error}`);
  process.exit(1);
}
