// Loads the WebAssembly module in Node, synchronously, when imported.
import { readFileSync } from 'node:fs';
import * as wasm from '../wasm/sluice_parser.js';

const output = wasm.initSync({ module: readFileSync(new URL('../wasm/sluice_parser_bg.wasm', import.meta.url)) });

/** The module and its memory. */
export const loaded = { wasm, memory: output.memory };
