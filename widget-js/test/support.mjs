// Browser test support: the real `sluice` binary (SLUICE_BIN, else the debug build) on port 0 in
// a temporary folder, the example host page on its own origin, Debian Chromium, screenshots.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { startHost } from '../../examples/host-server.mjs';
export { chromium } from '../../parser-wasm/npm/test/support.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
export const artifacts = join(here, 'artifacts');
const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME ?? '', '.cache/sluice/target');
const defaultBinary = process.env.SLUICE_BIN ?? join(target, 'debug/sluice');

/**
 * The example host page on 127.0.0.1 and a Sluice server whose `demo` importer allows it;
 * `pages` adds pages to the host's origin (see startHost).
 */
export async function stack({ importer = '', pages = {} } = {}) {
  let sluiceUrl = '';
  const host = await startHost({ sluice: () => sluiceUrl, pages });
  const origin = `http://127.0.0.1:${host.port}`;
  const server = await startSluice({
    importer: `key = "demo"
name = "Contacts"
allowed_origins = ["${origin}"]
schema = "${join(root, 'examples/schema.toml')}"
${importer}`,
  });
  sluiceUrl = server.url;
  return {
    origin,
    page: `${origin}/`,
    /** The same page on another origin, which the importer does not allow. */
    otherPage: `http://localhost:${host.port}/`,
    server,
    async close() {
      await host.close();
      await server.close();
    },
  };
}

/**
 * `sluice serve` on port 0 in a temporary folder with one importer (`importer`: the lines of its
 * `[[importers]]` table), no rate limit; `binary` defaults to SLUICE_BIN, else the debug build;
 * `env` adds environment variables (such as SLUICE_ADMIN_TOKEN). The free-space floor is low, so
 * that the tests also run on a machine with little disk to spare.
 */
export async function startSluice({ importer, binary = defaultBinary, env = {} }) {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-widget-'));
  const config = `
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[server.disk]
min_free = "16MiB"
reserve = "4MiB"

[server.limits]
rate_limit = 0

[[importers]]
${importer}
`;
  await writeFile(join(dir, 'sluice.toml'), config);
  const child = spawn(binary, ['serve', '--config', join(dir, 'sluice.toml')], {
    env: { SLUICE_LOG: 'warn', ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolvePromise, reject) => {
    lines.once('line', (line) => (line.startsWith('sluice listening on ') ? resolvePromise(line.slice(20).trim()) : reject(new Error(line))));
    child.once('exit', (code) => reject(new Error(`sluice exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    dir,
    /** Every row stored for an import, decrypted, as `sluice export` writes it. */
    export(importId) {
      const out = spawnSync(binary, ['export', '--config', join(dir, 'sluice.toml'), importId], { encoding: 'utf8', maxBuffer: 1 << 30 });
      if (out.status !== 0) throw new Error(`sluice export failed: ${out.stderr}`);
      return out.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    },
    stderr: () => stderr,
    async close() {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot under test/artifacts/ (kept by CI as a test artifact). */
export async function shot(page, name) {
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

/** The example host page in a new tab of `browser`, its importer ready; `errors` collects the
 * page's uncaught errors. */
export async function hostPage(browser, url) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  await page.waitForSelector('[data-importer-ready]', { timeout: 20000 });
  return { page, errors };
}

/** The host page with its importer opened on the upload step. */
export async function openImporter(browser, url) {
  const { page, errors } = await hostPage(browser, url);
  await page.click('#open');
  const frame = frameOf(page);
  await frame.locator('[data-action=choose]').waitFor();
  return { page, frame, errors };
}

/** Chooses `buffer` as the file and goes through settings and mapping to the checked review. */
export async function toReview(frame, name, buffer) {
  await frame.locator('input[type=file]').setInputFiles({ name, mimeType: 'text/csv', buffer });
  await frame.locator('[data-field=encoding]').waitFor({ timeout: 20000 });
  await frame.locator('[data-action=next]').click();
  await frame.locator('.map-table').waitFor();
  await frame.locator('[data-action=next]').click();
  await frame.locator('[data-field=counts]', { hasText: /rows(,| all)/ }).waitFor({ timeout: 60000 });
}

/** The importer's frame on `page`. */
export function frameOf(page) {
  return page.frameLocator('iframe[src*="/embed/"]');
}

/**
 * The importer frame that is open on `page`. A test that opens a second importer beside the host
 * page's own uses this: the host page's importer preloads its hidden frame when the page is idle,
 * which may come before or after the second one, so the frames' order says nothing.
 */
export function openFrameOf(page) {
  return page.frameLocator('iframe[src*="/embed/"]:visible');
}

/** Pastes `rows` rows into the importer in `frame` and goes through every step to submitting. */
export async function pasteAndSubmit(frame, rows) {
  await frame.locator('[data-field=paste]').waitFor({ timeout: 20000 });
  await frame.locator('[data-field=paste]').fill(csv(rows).toString());
  await frame.locator('[data-action=use-paste]').click();
  await frame.locator('[data-action=next]').click();
  await frame.locator('.map-table').waitFor();
  await frame.locator('[data-action=next]').click();
  await frame.locator('[data-action=next]:not([disabled])').waitFor({ timeout: 20000 });
  await frame.locator('[data-action=next]').click();
}

/** A CSV of `rows` valid rows of the example schema. */
export function csv(rows) {
  let text = 'Customer ID,First Name,Last Name,E-mail Address,Phone,DOB,Plan,Newsletter\n';
  for (let n = 1; n <= rows; n += 1)
    text += `${n},First${n},Last${n},user${n}@example.com,+44 20 7946 ${String(n % 10000).padStart(4, '0')},1990-01-02,pro,yes\n`;
  return Buffer.from(text);
}
