// Loads the WebAssembly modules in a browser page or worker, once each: the CSV module, and the
// spreadsheet module, which only a workbook needs (it is about twice the size, so a CSV file
// never fetches it).
import init, * as wasm from '../wasm/sluice_parser.js';

let loading;
let loadingSheets;

/** Resolves to the CSV module and its memory once it is ready; every call shares one load. */
export function ready() {
  loading ??= init({ module_or_path: new URL('../wasm/sluice_parser_bg.wasm', import.meta.url) }).then((output) => ({ wasm, memory: output.memory }));
  return loading;
}

/** Resolves to the spreadsheet module and its memory, fetched on the first call. */
export function readySpreadsheets() {
  loadingSheets ??= import('../wasm/sluice_parser_sheets.js').then(async (sheets) => {
    const output = await sheets.default({ module_or_path: new URL('../wasm/sluice_parser_sheets_bg.wasm', import.meta.url) });
    return { wasm: sheets, memory: output.memory };
  });
  return loadingSheets;
}
