// The Web Worker behind parseFile: it reads the file, feeds the parser, and posts progress,
// batches (transferred, not copied) and the summary, waiting while the page has too many
// batches it has not taken yet.
import { ready, readySpreadsheets } from './wasm-web.js';
import { run, use, useSpreadsheets, wasmMemory, wasmSimd } from './core.js';

/** The fields of a refused file's Error (see FileError in index.d.ts). */
const DETAILS = ['code', 'kind', 'line', 'byte', 'limit', 'limitName'];

let outstanding = 0;
let room = null;
const cancelled = false;
/** Buffers of released batches, reused for the next ones. */
const spares = [];

self.onmessage = ({ data }) => {
  if (data.type === 'start') start(data.source, data.options);
  if (data.type === 'taken') {
    outstanding -= 1;
    room?.();
  }
  if (data.type === 'release' && spares.length < 32) spares.push(data.buffer);
};

async function start(source, options) {
  const maxQueued = options.maxQueuedBatches ?? 16;
  let peak = 0;
  const measure = () => {
    const used = (wasmMemory() ?? 0) + (Reflect.get(self.performance ?? {}, 'memory')?.usedJSHeapSize ?? 0);
    peak = Math.max(peak, used);
  };
  try {
    use(await ready(options.simd));
    const summary = await run(source, options, {
      progress: (progress) => {
        if (options.measureMemory) measure();
        self.postMessage({ type: 'progress', progress });
      },
      spare: () => spares.pop(),
      // Only a workbook fetches the spreadsheet module.
      workbook: async () => useSpreadsheets(await readySpreadsheets(options.simd)),
      batch: async (batch) => {
        outstanding += 1;
        self.postMessage({ type: 'batch', batch }, { transfer: [batch.bytes.buffer] });
        while (outstanding >= maxQueued && !cancelled) await new Promise((resolve) => (room = resolve));
      },
    });
    if (options.measureMemory) {
      measure();
      summary.workerMemory = { peakBytes: peak, wasmBytes: wasmMemory() };
    }
    summary.simd = wasmSimd();
    self.postMessage({ type: 'done', summary });
  } catch (error) {
    // A refused file's details (code, kind, line, byte, limit, limitName) travel with its message.
    const details = Object.fromEntries(DETAILS.filter((key) => error?.[key] !== undefined).map((key) => [key, error[key]]));
    self.postMessage({ type: 'error', name: error?.name ?? 'Error', message: String(error?.message ?? error), details });
  }
}
