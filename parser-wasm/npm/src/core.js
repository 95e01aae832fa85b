// The package's API over a loaded WebAssembly module: the low-level streaming Parser and the
// helpers, plus the loop that runs a whole file through a parser (used in Node directly and in
// the browser inside the Worker).
import { chunks, sizeOf, slice } from './sources.js';

/** Options the WebAssembly parser reads; the others (callbacks, signal, …) stay in JavaScript. */
const PARSER_OPTIONS = ['schema', 'reader', 'mapping', 'patches', 'validate', 'batches', 'includeInvalid', 'rowIndexEvery'];

/** The default size of the chunks read from a file. */
export const CHUNK_SIZE = 1 << 20;

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

/**
 * The loaded WebAssembly modules (`{ wasm, memory }`): the CSV one, and the one that also reads
 * workbooks (calamine makes it twice the size), which only a workbook needs. In Node `sheets`
 * may be a function that loads it, called the first time a workbook is met.
 */
const modules = { csv: null, sheets: null };

/** Makes a loaded module (`{ wasm, memory }`) the one this API uses for CSV. */
export function use(module) {
  modules.csv ??= module;
}

/** Makes the spreadsheet module (or a function that loads it at once) the one for workbooks. */
export function useSpreadsheets(module) {
  if (modules.sheets === null || typeof modules.sheets === 'function') modules.sheets = module;
}

/** Whether the spreadsheet module is loaded. */
export const spreadsheetsLoaded = () => modules.sheets !== null && typeof modules.sheets !== 'function';

function csvModule() {
  const module = modules.csv ?? (spreadsheetsLoaded() ? modules.sheets : null);
  if (!module) throw new Error('the WebAssembly module is not loaded yet: await ready() first');
  return module;
}

function sheetsModule() {
  if (typeof modules.sheets === 'function') modules.sheets = modules.sheets();
  if (!modules.sheets) {
    throw new Error('this is a workbook, which the spreadsheet module reads: await ready({ spreadsheets: true }) first');
  }
  return modules.sheets;
}

/**
 * The first bytes of the containers a workbook comes in (zip: xlsx, xlsm, xlsb, ods; OLE: xls),
 * as the parser's reader tells them: such a file goes to the spreadsheet module, which reads it
 * or, for a zip that holds no workbook, refuses it as the CSV module would.
 */
const WORKBOOK_SIGNATURES = [
  [0x50, 0x4b, 0x03, 0x04],
  [0x50, 0x4b, 0x05, 0x06],
  [0x50, 0x4b, 0x07, 0x08],
  [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
];

/** Bytes at the start of a file that tell a workbook from text. */
export const SIGNATURE_BYTES = 8;

/** Whether `bytes`, the start of a file, begin a workbook (read by the spreadsheet module). */
export function isWorkbook(bytes) {
  return WORKBOOK_SIGNATURES.some((signature) => signature.every((byte, i) => bytes[i] === byte));
}

/** The module that reads a file beginning with `bytes`. */
const moduleFor = (bytes) => (isWorkbook(bytes) ? sheetsModule() : csvModule());

const json = (value) => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * A streaming parser for one file: feed it chunks, take its batches, then finish it. It starts
 * in the CSV module and moves to the spreadsheet module when the file's first bytes are a
 * workbook's, before anything is read; those bytes are held until there are enough of them.
 */
export class Parser {
  #options;
  #module;
  #inner;
  /** The first bytes, while too few to tell a workbook (null once told). */
  #head = new Uint8Array(0);

  constructor(options) {
    this.#options = parserOptions(options);
    this.#module = csvModule();
    this.#inner = new this.#module.wasm.Parser(this.#options);
  }

  #live() {
    if (!this.#inner) throw new Error('the parser was freed; create a new one to read another file');
    return this.#inner;
  }

  /** Reads the next chunk of the file; returns the progress so far. */
  feed(chunk) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('feed takes a Uint8Array');
    const inner = this.#live();
    if (this.#head === null) return JSON.parse(inner.feed(chunk));
    const head = this.#head.length === 0 ? chunk : concat(this.#head, chunk);
    if (head.length < SIGNATURE_BYTES) {
      this.#head = head.slice();
      return JSON.parse(inner.progress());
    }
    return JSON.parse(this.#told(head).feed(head));
  }

  /** Ends the file; returns the summary. */
  finish() {
    const inner = this.#live();
    if (this.#head === null) return JSON.parse(inner.finish());
    const head = this.#head;
    const told = this.#told(head);
    if (head.length > 0) told.feed(head);
    return JSON.parse(told.finish());
  }

  /** The parser for a file that begins with `head`: this one, or the spreadsheet module's. */
  #told(head) {
    this.#head = null;
    if (isWorkbook(head) && this.#module !== sheetsModule()) {
      this.#module = sheetsModule();
      this.#inner.free();
      this.#inner = new this.#module.wasm.Parser(this.#options);
    }
    return this.#inner;
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
    bytes.set(new Uint8Array(this.#module.memory.buffer, inner.batchPtr(), length));
    // The module reads the header where the batch still is in its memory: no second copy.
    return { ...JSON.parse(inner.batchHeader()), bytes };
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

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The package's version. */
export const version = () => csvModule().wasm.version();

/**
 * The encoding, dialect, header and first rows of the start of a file; for a workbook, of the
 * whole file (a workbook is read at its end).
 */
export const sniff = (bytes, options = {}) => JSON.parse(moduleFor(bytes).wasm.sniff(bytes, JSON.stringify(options)));

/** The sheets of a workbook (its whole bytes), from the spreadsheet module. */
export const sheetsOf = (bytes, options = {}) => JSON.parse(sheetsModule().wasm.listSheets(bytes, JSON.stringify(options)));

/** Suggestions matching header names to a schema's columns. */
export const matchColumns = (headers, schema, samples) =>
  JSON.parse(csvModule().wasm.matchColumns(headers, json(schema), samples === undefined ? undefined : JSON.stringify(samples)));

/** Checks a schema; returns its canonical form and digest, or throws naming the column and field. */
export const checkSchema = (schema) => JSON.parse(csvModule().wasm.checkSchema(json(schema)));

/** The schema's CSV template: the labels (in `options.language`) and one example row. */
export const templateCsv = (schema, options = {}) => csvModule().wasm.templateCsv(json(schema), JSON.stringify(options));

/** Decodes a batch's bytes into its header's fields and its rows. */
export function decodeBatch(bytes) {
  const { header, rows } = JSON.parse(csvModule().wasm.decodeBatch(bytes));
  return { ...header, rows };
}

/** A batch's rows as JSON text, in the webhook's row shape (`[{ row, invalid, data, kept }]`): one string, cheap to post. */
export const batchRowsJson = (bytes) => csvModule().wasm.batchRowsJson(bytes);

/** Each row's number and a digest of its values, flattened (`[row, digest, …]`), to tell which rows changed. */
export const batchRowDigests = (bytes) => csvModule().wasm.batchRowDigests(bytes);

/**
 * Reads a batch's header (schema digest, sequence, first row, row count, columns) without its
 * rows, through the module's batch reader; throws naming the byte when `bytes` are not a batch
 * or are cut short.
 */
export const batchInfo = (bytes) => ({ ...JSON.parse(csvModule().wasm.batchInfo(bytes)), bytes });

/** Whether data row `row` has errors, from a summary's row index. */
export function rowHasErrors(summary, row) {
  const bit = row - 1;
  const word = summary.rowIndex.invalid[Math.floor(bit / 32)] ?? 0;
  return bit >= 0 && ((word >>> (bit % 32)) & 1) === 1;
}

/** Whether the CSV module loaded is the simd128 build (undefined before it loads). */
export function wasmSimd() {
  return (modules.csv ?? (spreadsheetsLoaded() ? modules.sheets : null))?.simd;
}

/** The size of the WebAssembly memory in bytes (of both modules, when both are loaded). */
export function wasmMemory() {
  const loaded = [modules.csv, spreadsheetsLoaded() ? modules.sheets : null].filter(Boolean);
  return loaded.length ? loaded.reduce((sum, m) => sum + m.memory.buffer.byteLength, 0) : undefined;
}

/**
 * Runs a whole source through a new parser: `events.progress(p)` about once per chunk,
 * `await events.batch(b)` for each batch (awaiting is the backpressure; `events.spare()` may
 * offer a buffer to reuse), and returns the summary. `await events.workbook()` comes before the
 * first chunk of a workbook is fed, for a caller that loads the spreadsheet module only then.
 */
export async function run(source, options, events) {
  const parser = new Parser(options);
  const totalBytes = sizeOf(source);
  const chunkSize = options.chunkSize ?? CHUNK_SIZE;
  // Progress is reported about once per chunkSize, however small the source's own chunks are.
  let reported = 0;
  let first = true;
  try {
    for await (const chunk of chunks(source, chunkSize)) {
      if (options.signal?.aborted) throw abortError(options.signal.reason);
      if (first && isWorkbook(chunk)) await events.workbook?.();
      first = false;
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
 * A text file is read from the row index start before `from`; a workbook is read whole (its
 * rows have no offsets), in the sheet the summary read.
 */
export async function readRows(source, options, readRange = slice) {
  const { summary, schema, from, to } = options;
  if (!summary?.rowIndex?.starts?.length) throw new Error('readRows needs the summary of a full pass with a row index');
  const index = summary.rowIndex;
  const last = Math.min(to, index.rows + 1);
  if (!(from >= 1) || !(last > from)) return [];
  const start = index.starts[Math.min(Math.floor((from - 1) / index.every), index.starts.length - 1)];
  const workbook = summary.layout.workbook;
  const module = workbook ? sheetsModule() : csvModule();
  const after = workbook ? undefined : index.starts[Math.floor((last - 2) / index.every) + 1];
  const end = after ? after.byte : (sizeOf(source) ?? Infinity);
  const reader = workbook ? { ...options.reader, sheet: options.reader?.sheet ?? workbook.sheet } : options.reader;
  const rows = new module.wasm.RowReader(
    JSON.stringify({
      schema,
      layout: summary.layout,
      start,
      from,
      to: last,
      reader,
      mapping: options.mapping,
      patches: options.patches,
    }),
  );
  try {
    const bytes = await readRange(source, workbook ? 0 : start.byte, end);
    for (let at = 0; at < bytes.length && !rows.done(); at += CHUNK_SIZE) rows.feed(bytes.subarray(at, at + CHUNK_SIZE));
    return JSON.parse(rows.finish());
  } finally {
    rows.free();
  }
}
