// @sluice/parser for Node: the module loads when imported, so the low-level API is ready at
// once (the spreadsheet module loads, synchronously, at the first workbook); parseFile runs in
// this thread, reading files (by path) and streams.
import { createReadStream } from 'node:fs';
import { loaded, loadSpreadsheets } from './wasm-node.js';
import { CHUNK_SIZE, readRows as readRowsFrom, run, sheetsOf, use, useSpreadsheets } from './core.js';
import { whole } from './sources.js';
import { Job } from './job.js';
import { open, readFile } from 'node:fs/promises';

use(loaded);
useSpreadsheets(loadSpreadsheets);

export * from './api.js';

/** Resolves at once: in Node the modules load when they are first needed, synchronously. */
export async function ready() {}

/** The sheets of a workbook (a path, Blob or bytes, read whole), for a sheet picker. */
export async function listSheets(source, options = {}) {
  const isPath = typeof source === 'string' || source instanceof URL;
  return sheetsOf(isPath ? new Uint8Array(await readFile(source)) : await whole(source), options);
}

/** Parses, validates and batches a file (a path), stream, Blob or bytes. */
export function parseFile(source, options = {}) {
  const input = typeof source === 'string' || source instanceof URL ? createReadStream(source, { highWaterMark: options.chunkSize ?? CHUNK_SIZE }) : source;
  // The loop stops at the next chunk once the job is cancelled, by the signal or by cancel().
  const stop = new AbortController();
  const job = new Job({ maxQueued: options.maxQueuedBatches ?? 16, signal: options.signal, onCancel: (reason) => stop.abort(reason) });
  const spares = [];
  const events = {
    progress: (progress) => options.onProgress?.(progress),
    spare: () => spares.pop(),
    batch: (batch) => {
      batch.release = () => {
        if (spares.length < 32) spares.push(batch.bytes.buffer);
      };
      return job.push(batch);
    },
  };
  run(input, { ...options, signal: stop.signal }, events).then(
    (summary) => job.finish(summary),
    (error) => job.fail(error),
  );
  return job;
}

/** Reads rows `[from, to)` of a file read once before (a path, Blob or bytes). */
export function readRows(source, options) {
  const isPath = typeof source === 'string' || source instanceof URL;
  return isPath ? readRowsFrom(source, options, readFileRange) : readRowsFrom(source, options);
}

/** Bytes `[start, end)` of the file at `path`, reading only those. */
async function readFileRange(path, start, end) {
  const file = await open(path);
  try {
    const stop = Number.isFinite(end) ? end : (await file.stat()).size;
    const bytes = new Uint8Array(Math.max(0, stop - start));
    const { bytesRead } = await file.read(bytes, 0, bytes.length, start);
    return bytes.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}
