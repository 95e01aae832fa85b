// @sluice/parser for browsers: the low-level API on the page (after `await ready()`), and
// `parseFile`, which runs a whole file in a Web Worker. The spreadsheet module is fetched only
// for a workbook.
import { ready as load, readySpreadsheets } from './wasm-web.js';
import { readRows as readRowsWith, sheetsOf, use, useSpreadsheets } from './core.js';
import { whole } from './sources.js';
import { Job } from './job.js';

export * from './api.js';

/**
 * Loads the WebAssembly module on this page, and with `{ spreadsheets: true }` the spreadsheet
 * module too; the low-level API needs them (the second for a workbook), parseFile does not.
 * `simd: false` loads the scalar builds where the simd128 ones would load (see simd.js).
 */
export async function ready(options = {}) {
  use(await load(options.simd));
  if (options.spreadsheets) useSpreadsheets(await readySpreadsheets(options.simd));
}

/** The sheets of a workbook (a File, Blob or bytes, read whole), for a sheet picker. */
export async function listSheets(source, options = {}) {
  await ready({ spreadsheets: true });
  return sheetsOf(await whole(source), options);
}

/** Reads rows `[from, to)` of a File or Blob read once before, on this page. */
export async function readRows(source, options) {
  await ready({ spreadsheets: Boolean(options?.summary?.layout?.workbook) });
  return readRowsWith(source, options);
}

const CALLBACKS = ['onProgress', 'signal'];

/** Parses, validates and batches a File, Blob or ReadableStream in a Web Worker. */
export function parseFile(source, options = {}) {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'sluice-parser' });
  const job = new Job({
    maxQueued: options.maxQueuedBatches ?? 16,
    signal: options.signal,
    onCancel: () => worker.terminate(),
  });
  job.onTaken = () => worker.postMessage({ type: 'taken' });
  worker.onmessage = ({ data }) => handle(job, worker, options, data);
  worker.onerror = (event) => {
    event.preventDefault();
    job.fail(new Error(`the parser worker failed: ${event.message}`));
    worker.terminate();
  };
  const settings = Object.fromEntries(Object.entries(options).filter(([key]) => !CALLBACKS.includes(key)));
  const transfer = typeof ReadableStream !== 'undefined' && source instanceof ReadableStream ? [source] : [];
  worker.postMessage({ type: 'start', source, options: settings }, transfer);
  return job;
}

function handle(job, worker, options, message) {
  switch (message.type) {
    case 'progress':
      options.onProgress?.(message.progress);
      break;
    case 'batch': {
      const { batch } = message;
      // Handing the buffer back lets the worker fill it again instead of allocating another.
      batch.release = () => {
        if (batch.bytes.byteLength > 0) worker.postMessage({ type: 'release', buffer: batch.bytes.buffer }, [batch.bytes.buffer]);
      };
      job.push(batch);
      break;
    }
    case 'done':
      job.finish(message.summary);
      worker.terminate();
      break;
    case 'error': {
      const error = Object.assign(new Error(message.message), message.details);
      error.name = message.name;
      job.fail(error);
      worker.terminate();
      break;
    }
  }
}
