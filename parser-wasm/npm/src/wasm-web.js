// Loads the WebAssembly module in a browser page or worker, once.
import init, * as wasm from '../wasm/sluice_parser.js';

let loading;

/** Resolves to the module and its memory once it is ready; every call shares one load. */
export function ready() {
  loading ??= init({ module_or_path: new URL('../wasm/sluice_parser_bg.wasm', import.meta.url) })
    .then((output) => ({ wasm, memory: output.memory }));
  return loading;
}
