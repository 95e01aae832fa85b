// The package's API over a loaded WebAssembly module: the low-level streaming Parser and the
// helpers, plus the loop that runs a whole file through a parser (used in Node directly and in
// the browser inside the Worker).
import { chunks, sizeOf, slice } from './sources.js';

/** Options the WebAssembly parser reads; the others (callbacks, signal, …) stay in JavaScript. */
const PARSER_OPTIONS = ['schema', 'reader', 'mapping', 'patches', 'validate', 'batches', 'includeInvalid', 'rowIndexEvery'];

/** The default size of the chunks read from a file. */
export const CHUNK_SIZE = 1 << 20;

/** Reads the header fields of a batch without decoding its rows. */
export function batchInfo(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    sequence: Number(view.getBigUint64(38, true)),
    firstRow: Number(view.getBigUint64(46, true)),
    rowCount: view.getUint32(54, true),
    bytes,
  };
}

function parserOptions(options) {
  if (!options || typeof options !== 'object') throw new TypeError('options must be an object with a schema');
  const picked = {};
  for (const key of PARSER_OPTIONS) if (options[key] !== undefined) picked[key] = options[key];
  if (options.batches === false) {
    delete picked.batches;
    picked.batching = false;
  }
  return JSON.stringify(picked);
}

let loaded = null;

/** Makes a loaded module (`{ wasm, memory }`) the one this API uses. */
export function use(module) {
  loaded ??= module;
}

function wasm() {
  if (!loaded) throw new Error('the WebAssembly module is not loaded yet: await ready() first');
  return loaded.wasm;
}

const json = (value) => (typeof value === 'string' ? value : JSON.stringify(value));

/** A streaming parser for one file: feed it chunks, take its batches, then finish it. */
export class Parser {
  #inner;

  constructor(options) {
    this.#inner = new (wasm().Parser)(parserOptions(options));
  }

  #live() {
    if (!this.#inner) throw new Error('the parser was freed; create a new one to read another file');
    return this.#inner;
  }

  /** Reads the next chunk of the file; returns the progress so far. */
  feed(chunk) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('feed takes a Uint8Array');
    return JSON.parse(this.#live().feed(chunk));
  }

  /** Ends the file; returns the summary. */
  finish() {
    return JSON.parse(this.#live().finish());
  }

  /**
   * The next completed batch, or undefined. Its bytes go into `buffer` (or the buffer a
   * function given instead returns, called only when there is a batch) when it is large enough
   * (a released batch's, say), so that a long file does not allocate a buffer for every batch.
   */
  nextBatch(buffer) {
    const inner = this.#live();
    const length = inner.peekBatch();
    if (length === 0) return undefined;
    if (typeof buffer === 'function') buffer = buffer();
    // New buffers get a quarter more room, so that the next batches, about as large, fit in them.
    const room = buffer && buffer.byteLength >= length ? buffer : new ArrayBuffer(length + (length >> 2));
    const bytes = new Uint8Array(room, 0, length);
    bytes.set(new Uint8Array(loaded.memory.buffer, inner.batchPtr(), length));
    return batchInfo(bytes);
  }

  /** How the file is read, once its start has been fed (null before). */
  get layout() {
    return JSON.parse(this.#live().layout());
  }

  /** The progress so far. */
  progress() {
    return JSON.parse(this.#live().progress());
  }

  /** Releases the parser's memory now rather than when it is collected. */
  free() {
    this.#inner?.free();
    this.#inner = undefined;
  }
}

/** The package's version. */
export const version = () => wasm().version();

/** The encoding, dialect, header and first rows of the start of a file. */
export const sniff = (bytes, options = {}) => JSON.parse(wasm().sniff(bytes, JSON.stringify(options)));

/** Suggestions matching header names to a schema's columns. */
export const matchColumns = (headers, schema) => JSON.parse(wasm().matchColumns(headers, json(schema)));

/** Checks a schema; returns its canonical form and digest, or throws naming the column and field. */
export const checkSchema = (schema) => JSON.parse(wasm().checkSchema(json(schema)));

/** Decodes a batch's bytes into its rows. */
export const decodeBatch = (bytes) => JSON.parse(wasm().decodeBatch(bytes));

/** Whether data row `row` has errors, from a summary's row index. */
export function rowHasErrors(summary, row) {
  const bit = row - 1;
  const word = summary.rowIndex.invalid[Math.floor(bit / 32)] ?? 0;
  return bit >= 0 && ((word >>> (bit % 32)) & 1) === 1;
}

/** The size of the WebAssembly memory in bytes. */
export const wasmMemory = () => loaded?.memory?.buffer.byteLength;

/**
 * Runs a whole source through a new parser: `events.progress(p)` about once per chunk,
 * `await events.batch(b)` for each batch (awaiting is the backpressure; `events.spare()` may
 * offer a buffer to reuse), and returns the summary.
 */
export async function run(source, options, events) {
  const parser = new Parser(options);
  const totalBytes = sizeOf(source);
  const chunkSize = options.chunkSize ?? CHUNK_SIZE;
  // Progress is reported about once per chunkSize, however small the source's own chunks are.
  let reported = 0;
  try {
    for await (const chunk of chunks(source, chunkSize)) {
      if (options.signal?.aborted) throw abortError(options.signal.reason);
      const progress = parser.feed(chunk);
      await drain(parser, events);
      if (progress.bytes - reported >= chunkSize || progress.bytes === totalBytes) {
        reported = progress.bytes;
        events.progress?.({ ...progress, totalBytes });
      }
    }
    const summary = parser.finish();
    await drain(parser, events);
    events.progress?.({ ...parser.progress(), totalBytes });
    return summary;
  } finally {
    parser.free();
  }
}

async function drain(parser, events) {
  for (let batch = parser.nextBatch(events.spare); batch; batch = parser.nextBatch(events.spare)) {
    await events.batch?.(batch);
  }
}

/** An Error named AbortError, as fetch and streams use. */
export function abortError(reason) {
  if (reason instanceof Error) return reason;
  const error = new Error(reason === undefined ? 'the parse was cancelled' : String(reason));
  error.name = 'AbortError';
  return error;
}

/**
 * Reads rows `[from, to)` of a source read once before, from its summary's row index;
 * `readRange(source, start, end)` reads the bytes between two offsets (end may be Infinity).
 */
export async function readRows(source, options, readRange = slice) {
  const { summary, schema, from, to } = options;
  if (!summary?.rowIndex?.starts?.length) throw new Error('readRows needs the summary of a full pass with a row index');
  const index = summary.rowIndex;
  const last = Math.min(to, index.rows + 1);
  if (!(from >= 1) || !(last > from)) return [];
  const start = index.starts[Math.min(Math.floor((from - 1) / index.every), index.starts.length - 1)];
  const after = index.starts[Math.floor((last - 2) / index.every) + 1];
  const end = after ? after.byte : (sizeOf(source) ?? Infinity);
  const reader = new (wasm().RowReader)(JSON.stringify({
    schema, layout: summary.layout, start, from, to: last,
    reader: options.reader, mapping: options.mapping, patches: options.patches,
  }));
  try {
    const bytes = await readRange(source, start.byte, end);
    for (let at = 0; at < bytes.length && !reader.done(); at += CHUNK_SIZE) reader.feed(bytes.subarray(at, at + CHUNK_SIZE));
    return JSON.parse(reader.finish());
  } finally {
    reader.free();
  }
}
