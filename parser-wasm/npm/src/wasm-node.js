// Loads the WebAssembly modules in Node: the CSV module synchronously when imported, the
// spreadsheet module synchronously the first time a workbook is met. Node runs WebAssembly SIMD
// (since 16.4), so the simd128 builds load; SLUICE_PARSER_SIMD=0 in the environment loads the
// scalar builds instead (their glue is the same), as an engine without SIMD would.
import { readFileSync } from 'node:fs';
import * as wasm from '../wasm/sluice_parser.js';
import * as sheets from '../wasm/sluice_parser_sheets.js';
import { chooseSimd } from './simd.js';

const simd = chooseSimd(globalThis.process?.env?.SLUICE_PARSER_SIMD === '0' ? false : undefined);
const csvFile = simd ? '../wasm/sluice_parser_simd_bg.wasm' : '../wasm/sluice_parser_bg.wasm';
const output = wasm.initSync({ module: readFileSync(new URL(csvFile, import.meta.url)) });

/** The CSV module, its memory, and whether it is the simd128 build. */
export const loaded = { wasm, memory: output.memory, simd };

/** Loads the spreadsheet module; returns it and its memory. */
export function loadSpreadsheets() {
  const file = simd ? '../wasm/sluice_parser_sheets_simd_bg.wasm' : '../wasm/sluice_parser_sheets_bg.wasm';
  const bytes = readFileSync(new URL(file, import.meta.url));
  return { wasm: sheets, memory: sheets.initSync({ module: bytes }).memory, simd };
}
