// Sizes as the upload step says them ("up to 1 GB"): the pure helper from the app's source,
// bundled by esbuild for Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { join } from 'node:path';
import { root } from './support.mjs';

async function helpers() {
  const out = await build({
    entryPoints: [join(root, 'widget-js/src/app/dom.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    logLevel: 'silent',
  });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
}

test('sizes are said as people say them: binary units, one decimal at most, no trailing .0', async () => {
  const { fileSize } = await helpers();
  const cases = [
    [1024 ** 3, '1 GB'],
    [512 * 1024 ** 2, '512 MB'],
    [100 * 1024, '100 KB'],
    [1.5 * 1024 ** 3, '1.5 GB'],
    [12.34 * 1024 ** 2, '12.3 MB'],
    [1024 ** 2 - 20, '1 MB'],
    [0, '0 B'],
    [700, '700 B'],
    [2 * 1024 ** 4, '2 TB'],
  ];
  for (const [bytes, said] of cases) assert.equal(fileSize(bytes, 'en'), said, `${bytes} bytes`);
  assert.equal(fileSize(1.5 * 1024 ** 3, 'fr'), '1,5 GB', 'in the page language');
  assert.equal(fileSize(1024 ** 4 * 1000, 'en'), '1,000 TB', 'the largest unit grows');
});
