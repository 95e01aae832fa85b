// Loads the WebAssembly modules in a browser page or worker, once each: the CSV module, and the
// spreadsheet module, which only a workbook needs (it is about twice the size, so a CSV file
// never fetches it). Each comes as a simd128 build and a scalar build that share one glue; the
// first load picks one (see simd.js) and later loads must agree with it.
import init, * as wasm from '../wasm/sluice_parser.js';
import { chooseSimd } from './simd.js';

let loading;
let loadingSheets;

/**
 * Resolves to the CSV module and its memory once it is ready; every call shares one load.
 * `simd` is the `simd` option (undefined: detect).
 */
export async function ready(simd) {
  const choice = chooseSimd(simd);
  loading ??= load(choice);
  return agree(await loading, simd, 'CSV');
}

/** Resolves to the spreadsheet module and its memory, fetched on the first call. */
export async function readySpreadsheets(simd) {
  const choice = chooseSimd(simd);
  loadingSheets ??= loadSheets(choice);
  return agree(await loadingSheets, simd, 'spreadsheet');
}

// The URLs stay literal: bundlers (and widget-js/build.mjs, which hashes the names) find them.
async function load(simd) {
  const url = simd ? new URL('../wasm/sluice_parser_simd_bg.wasm', import.meta.url) : new URL('../wasm/sluice_parser_bg.wasm', import.meta.url);
  const output = await init({ module_or_path: url });
  return { wasm, memory: output.memory, simd };
}

async function loadSheets(simd) {
  const sheets = await import('../wasm/sluice_parser_sheets.js');
  const url = simd ? new URL('../wasm/sluice_parser_sheets_simd_bg.wasm', import.meta.url) : new URL('../wasm/sluice_parser_sheets_bg.wasm', import.meta.url);
  const output = await sheets.default({ module_or_path: url });
  return { wasm: sheets, memory: output.memory, simd };
}

/** The loaded module, unless the caller asked for the other build than the one loaded first. */
function agree(module, simd, name) {
  if (simd !== undefined && simd !== null && Boolean(simd) !== module.simd) {
    throw new Error(`the ${name} module is already loaded as the ${module.simd ? 'simd128' : 'scalar'} build on this page: one build per page (or worker)`);
  }
  return module;
}
