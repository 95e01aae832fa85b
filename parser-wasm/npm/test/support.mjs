// Test support: a static file server on 127.0.0.1, Debian's Chromium driven by playwright-core
// (never a downloaded browser) with a fresh profile each launch, and the test workbook.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat, mkdtemp, rm } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.css': 'text/css',
};

/** Serves `root` (and `extra` pages by path) on a free loopback port. */
export async function serve(root, extra = {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (extra[path] !== undefined) {
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'text/html' });
      res.end(extra[path]);
      return;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': info.size });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Launches headless Debian Chromium with a throwaway profile; `contextOptions` are Playwright's
 * (a phone's viewport, `isMobile`, `hasTouch`). */
export async function chromium(contextOptions = {}) {
  const { chromium: driver } = require('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'sluice-chromium-'));
  const context = await driver.launchPersistentContext(profile, {
    ...contextOptions,
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--enable-precise-memory-info',
      '--js-flags=--expose-gc',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Writes the test workbook to `path`: sheets Notes, Chart (a chart sheet) and Customers (a title
 * block, the header on row 4, a date, a phone typed with leading zeros, a #N/A formula in D6),
 * made by `parser-wasm/examples/make_workbook.rs`, so no binary fixture is kept.
 */
export function makeWorkbook(path) {
  const repository = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const args = ['run', '--locked', '-q', '-p', 'sluice-parser', '--example', 'make_workbook', '--', path];
  const out = spawnSync('cargo', args, { cwd: repository, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`make_workbook failed: ${out.stderr || out.error}`);
}

/**
 * Runs `bytes` through a low-level `Parser` (the class given, from the package under test) cut
 * at `cuts`; returns the summary and batches as JSON text, to compare readings however cut.
 */
export function parseInCuts(Parser, bytes, cuts, options) {
  const parser = new Parser(options);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    parser.feed(bytes.subarray(from, cut));
    from = cut;
  }
  const summary = parser.finish();
  const batches = [];
  for (let b = parser.nextBatch(); b; b = parser.nextBatch()) batches.push(Array.from(b.bytes));
  parser.free();
  return JSON.stringify({ summary, batches });
}
