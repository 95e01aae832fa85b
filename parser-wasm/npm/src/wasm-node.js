// Loads the WebAssembly modules in Node: the CSV module synchronously when imported, the
// spreadsheet module synchronously the first time a workbook is met.
import { readFileSync } from 'node:fs';
import * as wasm from '../wasm/sluice_parser.js';
import * as sheets from '../wasm/sluice_parser_sheets.js';

const output = wasm.initSync({ module: readFileSync(new URL('../wasm/sluice_parser_bg.wasm', import.meta.url)) });

/** The CSV module and its memory. */
export const loaded = { wasm, memory: output.memory };

/** Loads the spreadsheet module; returns it and its memory. */
export function loadSpreadsheets() {
  const bytes = readFileSync(new URL('../wasm/sluice_parser_sheets_bg.wasm', import.meta.url));
  return { wasm: sheets, memory: sheets.initSync({ module: bytes }).memory };
}
