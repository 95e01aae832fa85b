// Types for @sluice/parser. The shapes mirror the Rust crate `sluice-parser`'s serialised
// types; field names are camelCase.

/** A schema in the sluice-parser format, version 1 (see docs/schema.md). */
export interface Schema {
  version: 1;
  name?: string;
  columns: SchemaColumn[];
}

export type ColumnType = 'text' | 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'time' | 'email' | 'url' | 'uuid' | 'enum' | 'regex';

/**
 * One transform of a column's text: a case (`upper`, `lower`, `title`), ASCII digits only,
 * whitespace runs collapsed to one space, or a date read in `from` (and ISO) and written in
 * `date` (`{ date: '%d.%m.%Y', from: ['%d/%m/%Y'] }`). One case per column, a date one alone.
 */
export type Transform = 'upper' | 'lower' | 'title' | 'digits' | 'collapse' | { date: string; from?: string[] };

/** A text for people: one string, or language tag → string (`{ en: 'Email', de: 'E-Mail' }`). */
export type TranslatedText = string | Record<string, string>;

export interface SchemaColumn {
  key: string;
  type: ColumnType;
  /** The name people see; per language as a table. Defaults to the key. */
  label?: TranslatedText;
  /** A short help text shown under the field when mapping columns. */
  hint?: TranslatedText;
  description?: string;
  required?: boolean;
  unique?: boolean;
  keywords?: string[];
  default?: string;
  trim?: boolean;
  /** Rewrites of the cell's text after trimming, before the check (docs/schema.md, "Transforms"). */
  transform?: Transform[];
  /** The value a template shows for the column; it must pass the column's own check. */
  example?: string;
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
  decimalSeparator?: string;
  thousandsSeparator?: string;
  trueValues?: string[];
  falseValues?: string[];
  formats?: string[];
  schemes?: string[];
  values?: Array<string | { value: string; label?: string }>;
  caseSensitive?: boolean;
  pattern?: string;
  message?: string;
}

/** How a file is read; everything unset is detected. */
export interface ReaderOptions {
  /** A WHATWG encoding label ("utf-8", "windows-1252", "utf-16le", "shift_jis", …). */
  encoding?: string;
  /** The encoding when the start of the file is not UTF-8 ("windows-1252"). */
  fallbackEncoding?: string;
  delimiter?: string;
  /** A quote character, "none", or "detect" (the default). */
  quote?: string | null;
  escape?: string;
  comment?: string;
  /** "detect" (the default), "none", or the 1-based record number of the header (for a
   * workbook, its row number in the sheet). */
  header?: 'detect' | 'none' | number;
  shortRows?: 'error' | 'pad';
  longRows?: 'error' | 'keep';
  skipEmptyRows?: boolean;
  /** Read a file without data rows (empty, or a header only) as 0 rows instead of refusing it. */
  allowEmpty?: boolean;
  limits?: {
    maxFieldBytes?: number;
    maxRecordBytes?: number;
    maxColumns?: number;
    /** Workbook limits, checked before anything is inflated (see docs/parser.md). */
    sheets?: {
      maxWorkbookBytes?: number;
      maxZipEntries?: number;
      maxEntryBytes?: number;
      maxInflatedBytes?: number;
      maxCompressionRatio?: number;
      maxSharedStrings?: number;
      maxSharedStringBytes?: number;
      maxRows?: number;
      maxCells?: number;
    };
  };
  sniffBytes?: number;
  /** A workbook's sheet, by name (the first visible worksheet with a value when unset). */
  sheet?: string;
  /** Give no row numbered past this (a preview); a workbook is read no further. `sniff` sets
   * it to `previewRows`. */
  stopAfterRows?: number;
}

/** Schema column key → header name; unmapped file columns kept or ignored. */
export interface MappingSpec {
  columns?: Record<string, string>;
  unmapped?: 'ignore' | 'keep';
}

/** The user's fixes: row → column key → value, rows to leave out, and column rules (bulk fixes
 * for every row). The rules apply in order to a schema column's file value; a cell in `set`
 * takes the typed value instead (an edit wins over every rule); deleted rows are not fixed. */
export interface Patches {
  set?: Record<number, Record<string, string>>;
  delete?: number[];
  rules?: PatchRule[];
}

/** A bulk fix; without `column` a replace or trim applies to every schema column. The report's
 * `ruleHits` counts the cells each rule changed. */
export type PatchRule =
  | {
      kind: 'replace';
      column?: string;
      /** A literal, or with `regex` a regular expression (the syntax of schema patterns);
       * `with` may then name groups as `$1` or `${name}`. A bad regex is refused with the
       * character where it goes wrong. */
      find: string;
      with?: string;
      regex?: boolean;
      ignoreCase?: boolean;
      /** Only a whole value matches. */
      wholeCell?: boolean;
    }
  /** Empty (or blank) cells get `value`, checked like any value. */
  | { kind: 'fillEmpty'; column: string; value: string }
  /** Spaces around values go. */
  | { kind: 'trim'; column?: string }
  /** Whole values (compared without surrounding spaces) are replaced: `{ oui: 'true' }`. */
  | { kind: 'map'; column: string; values: Record<string, string> };

export interface ParserOptions {
  /** The schema, as an object or as JSON text. */
  schema: Schema | string;
  reader?: ReaderOptions;
  mapping?: MappingSpec;
  patches?: Patches;
  /** `maxInvalidValues`: list up to N distinct invalid values of each enum or boolean column
   * in the report's `invalidValues` (0, the default: none); they are the file's values. */
  validate?: { maxErrors?: number; maxUniqueValues?: number; maxInvalidValues?: number };
  /** Where batches are cut, or false for a pass that only reports. */
  batches?: { maxRows?: number; maxBytes?: number } | false;
  includeInvalid?: boolean;
  /** Record where every N-th row starts, for readRows (256; 0 for none). */
  rowIndexEvery?: number;
}

export interface Progress {
  bytes: number;
  /** The source's size, when it is known (files, Blobs, bytes). */
  totalBytes?: number;
  rows: number;
  errors: number;
  batches: number;
}

export interface Position {
  byte: number;
  line: number;
}

export interface EncodingChoice {
  encoding: string;
  reason:
    | { kind: 'byte_order_mark' }
    | { kind: 'label' }
    | { kind: 'valid_utf8'; checked: number }
    | { kind: 'nul_pattern'; checked: number }
    | { kind: 'invalid_utf8'; at: number }
    | { kind: 'workbook' };
  bomLen: number;
}

export interface Dialect {
  delimiter: string;
  quote: string | null;
  escape: string | null;
  comment: string | null;
  lineEnding: 'lf' | 'crlf' | 'cr';
}

export interface SheetInfo {
  name: string;
  /** "chart" for a chart, dialog or macro sheet, which has no rows. */
  kind: 'worksheet' | 'chart';
  visible: boolean;
  /** Rows and widest row holding values; counted by the spreadsheet module's `listSheets`. */
  rows?: number;
  columns?: number;
}

export interface FileLayout {
  /** What the file is; anything but "csv" needs the spreadsheet module. */
  format: 'csv' | 'xlsx' | 'xlsm' | 'xlsb' | 'xls' | 'ods';
  /** For a workbook: the sheet read, every sheet, and its date system. */
  workbook?: { sheet: string; sheets: SheetInfo[]; date1904: boolean };
  encoding: EncodingChoice;
  sniffed: {
    dialect: Dialect;
    headerRow: number | null;
    fieldCount: number;
    confidence: { delimiter: number; quote: number; header: number };
  };
  dialect: Dialect;
  header: { names: string[]; record: number | null; position: Position | null };
}

export interface CellError {
  row: number;
  line: number;
  byte: number;
  /** The spreadsheet cell, such as "Sheet1!C12" (absent for a text file). */
  cell?: string;
  /** A schema key, a kept header name, `column_N`, or null for the whole row. */
  column: string | null;
  code: string;
  /** What is expected, in English; never the cell's value. */
  message: string;
  /** The facts `message` is built from, to say it in another language (docs/schema.md lists
   * which code carries which); never the cell's value. */
  params: CellErrorParams;
}

/** The facts of an error's message; each is there only for the codes that use it. */
export interface CellErrorParams {
  /** `below_minimum`, integer `out_of_range`: the smallest value allowed, as decimal digits. */
  min?: string;
  /** `above_maximum`, integer `out_of_range`: the largest value allowed, as decimal digits. */
  max?: string;
  /** `too_short`: the fewest characters allowed. */
  minLength?: number;
  /** `too_long`: the most characters allowed. */
  maxLength?: number;
  /** `not_an_integer`, `not_a_number`, `wrong_decimal_separator`: a number as the column writes it. */
  example?: string;
  /** `wrong_decimal_separator`: the column's decimal separator. */
  decimalSeparator?: string;
  /** `not_a_boolean`: the accepted words; `not_allowed`: the values' labels (the first 8). */
  allowed?: string[];
  /** `invalid_date`, `invalid_datetime`, `invalid_time`: the shapes accepted, such as "DD/MM/YYYY" (the first 8). */
  formats?: string[];
  /** How many more allowed values or formats there are than listed. */
  more?: number;
  /** `invalid_url`, `url_scheme`: the schemes allowed, such as "https". */
  schemes?: string[];
  /** `not_allowed`: the label of the allowed value the cell matches but for case or spacing. */
  closest?: string;
  /** `pattern_mismatch`: the message is the schema's own, to be shown as written. */
  custom?: boolean;
  /** `field_too_large`, `record_too_large` (bytes), `too_many_columns` (fields): the limit. */
  limit?: number;
  /** `too_few_fields`, `too_many_fields`: the fields of the header. */
  expected?: number;
  /** `too_few_fields`, `too_many_fields`: the fields of the row. */
  found?: number;
  /** `unterminated_quote`, `field_too_large`: the line the quote opened on. */
  quoteLine?: number;
  /** `formula_error`: what the spreadsheet cell shows, such as "#DIV/0!". */
  formulaError?: string;
}

export interface Report {
  rows: number;
  validRows: number;
  invalidRows: number;
  deletedRows: number;
  patchedCells: number;
  errorCount: number;
  errors: CellError[];
  errorsTruncated: boolean;
  errorsByColumn: Record<string, number>;
  errorsByCode: Record<string, number>;
  warnings: string[];
  /** Cells each of the patches' rules changed, in rule order (absent without rules). */
  ruleHits?: number[];
  /** Column key → invalid value → count, when `validate.maxInvalidValues` asks for them. */
  invalidValues?: Record<string, Record<string, number>>;
}

export interface MappedColumn {
  key: string;
  source: number | null;
  header: string | null;
  confidence: number;
  method: 'exact' | 'keyword' | 'fuzzy' | null;
}

export interface Mapping {
  columns: MappedColumn[];
  kept: string[];
  ignored: string[];
  missingRequired: string[];
  keepExtraFields: boolean;
}

export interface RowStart {
  row: number;
  byte: number;
  line: number;
}

export interface RowIndex {
  every: number;
  starts: RowStart[];
  /** Bit (r-1) % 32 of word floor((r-1) / 32) is set when row r has errors. */
  invalid: number[];
  rows: number;
}

export interface Summary {
  layout: FileLayout;
  mapping: Mapping;
  read: { bytes: number; records: number; rows: number; preamble: number; emptyRows: number };
  report: Report;
  batches: number;
  batchedRows: number;
  rowIndex: RowIndex;
  /** With `measureMemory` in a browser: the worker's peak JS heap plus WebAssembly memory. */
  workerMemory?: { peakBytes: number; wasmBytes: number };
  /** Browsers' parseFile: whether the worker ran the simd128 build of the module (else the scalar one). */
  simd?: boolean;
}

/** What a batch's header says (read by the module's batch reader, not by byte offsets). */
export interface BatchInfo {
  /** The digest (hex) of the schema the rows were checked against. */
  schemaDigest: string;
  /** The batch's number in its import, from 0. */
  sequence: number;
  /** The data row number of the first row. */
  firstRow: number;
  rowCount: number;
  columns: Array<{ kind: 'schema' | 'kept'; name: string }>;
  /** The header's length in bytes: where the first row starts. */
  headerLength: number;
}

export interface Batch extends BatchInfo {
  /** The batch in the sluice batch format (docs/batch-format.md). */
  bytes: Uint8Array;
  /**
   * Batches from parseFile: hands the buffer back to be filled again once you are done with
   * the bytes (they are unusable afterwards), so a long file does not allocate a buffer per batch.
   */
  release?: () => void;
}

export interface DecodedBatch extends BatchInfo {
  rows: Array<{ number: number; invalid: boolean; cells: Array<string | null>; extras: Array<string | null> }>;
}

export interface Preview {
  layout: FileLayout | null;
  /** The first rows; `line` is a workbook row's number in its sheet. */
  rows: Array<{ row: number; line: number; fields: string[]; problems: string[] }>;
}

/** How a header's sample values fare under a schema column's check. */
export interface ValueFit {
  /** Non-empty sample values checked. */
  sampled: number;
  /** How many the check accepts. */
  accepted: number;
  /** The most common failure code, if any value failed (`not_an_integer`, …). */
  failure?: string;
}

export interface Suggestion {
  headerIndex: number;
  header: string;
  columnKey: string;
  /** 0–1: the header names' confidence, times `0.5 + 0.5 * accepted / sampled` when samples were given. */
  confidence: number;
  method: 'exact' | 'keyword' | 'fuzzy';
  /** Present when sample rows were given. */
  fit?: ValueFit;
  /** Present when most sample values fail the column's check. */
  problem?: {
    /** "most values of 'Customer Id' are not whole numbers" */
    message: string;
    /** The unused column whose values fit the field best, if one mostly fits. */
    alternative?: { headerIndex: number; header: string; fit: ValueFit };
  };
}

export interface ColumnMatch {
  suggestions: Suggestion[];
  unmatchedHeaders: number[];
  missingRequired: string[];
}

export interface GridRow {
  row: number;
  line: number;
  byte: number;
  /** The row's fields as in the file. */
  fields: string[];
  /** Schema columns (then kept columns): canonical when valid, as written when not, null when empty. */
  values: Array<string | null>;
  valid: boolean;
  /** This row's errors, except `duplicate`, which only the full pass can find. */
  errors: CellError[];
}

export type Source = Blob | ReadableStream<Uint8Array> | Uint8Array | ArrayBuffer | AsyncIterable<Uint8Array>;

export interface ParseFileOptions extends ParserOptions {
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
  /** Bytes read at a time (1 MiB). */
  chunkSize?: number;
  /** Batches produced but not yet taken before the parser waits (16). */
  maxQueuedBatches?: number;
  /** Browsers: report the worker's peak memory in the summary. */
  measureMemory?: boolean;
  /**
   * Browsers: which build of the module the worker loads. Left out, the simd128 build where the
   * engine runs WebAssembly SIMD, else the scalar one; `false` forces the scalar build, `true` the
   * simd128 one (an error without SIMD). Node: SLUICE_PARSER_SIMD=0 in the environment.
   */
  simd?: boolean;
}

/**
 * The Error thrown (by `feed`, `finish`, `sniff`, `readRows`, `listSheets`) or rejected (by
 * `parseFile`) for a file that cannot be imported at all. `message` says what to do in English;
 * `code` and the other fields let a UI say it in its own words.
 */
export interface FileError extends Error {
  code:
    | 'empty_file'
    | 'no_data_rows'
    | 'binary_file'
    | 'too_many_columns'
    | 'workbook_limit'
    | 'password_protected'
    | 'no_worksheets'
    | 'sheet_not_found'
    | 'empty_sheet'
    | 'unreadable_workbook';
  /** `binary_file`: what the file is. */
  kind?: 'xlsx' | 'ods' | 'zip' | 'xls' | 'pdf' | 'png' | 'jpeg' | 'gif' | 'gzip' | 'unknown';
  /** Where (the header row, the NUL byte, the row too wide), when it is about one place. */
  line?: number;
  byte?: number;
  /** `too_many_columns`: the column limit; `workbook_limit`: the limit's value. */
  limit?: number;
  /** `workbook_limit`: the limit's name in `limits.sheets` (`maxCells`, …). */
  limitName?: string;
}

/** A parse in progress: iterate its batches (or pass `batches: false`), await its summary. */
export interface ParseJob extends AsyncIterable<Batch> {
  readonly summary: Promise<Summary>;
  batches(): AsyncIterableIterator<Batch>;
  /** Stops the parse; the summary and the batches reject with an AbortError. */
  cancel(reason?: unknown): void;
}

/**
 * Loads the WebAssembly module (browsers: needed before the low-level API; Node: no-op), and with
 * `spreadsheets: true` the spreadsheet module too, which the low-level API needs for a workbook.
 */
export function ready(options?: { spreadsheets?: boolean; simd?: boolean }): Promise<void>;

/** The sheets of a workbook (read whole; Node also takes a path), from the spreadsheet module. */
export function listSheets(source: Blob | Uint8Array | ArrayBuffer | string | URL, options?: { limits?: ReaderOptions['limits'] }): Promise<SheetInfo[]>;

/** Whether a file's first bytes (`SIGNATURE_BYTES` of them suffice) are a workbook's. */
export function isWorkbook(bytes: Uint8Array): boolean;
export const SIGNATURE_BYTES: number;

/** Parses, validates and batches a file: in a Web Worker in browsers, in-process in Node (which also takes a path). */
export function parseFile(source: Source | string | URL, options: ParseFileOptions): ParseJob;

/** Reads rows [from, to) of a source read once before, using its summary's row index. */
export function readRows(
  source: Blob | Uint8Array | ArrayBuffer | string | URL,
  options: { summary: Summary; schema: Schema | string; from: number; to: number; reader?: ReaderOptions; mapping?: MappingSpec; patches?: Patches },
): Promise<GridRow[]>;

/** A streaming parser for one file. */
export class Parser {
  constructor(options: ParserOptions);
  /** Reads the next chunk; returns the progress so far. Throws after finish(). */
  feed(chunk: Uint8Array): Progress;
  /** Ends the file; returns the summary. */
  finish(): Summary;
  /**
   * The next completed batch, or undefined; its bytes go into `buffer` (or the one the function
   * returns, called only when there is a batch) when it is large enough.
   */
  nextBatch(buffer?: ArrayBuffer | (() => ArrayBuffer | undefined)): Batch | undefined;
  /** How the file is read, once its start has been fed. */
  readonly layout: FileLayout | null;
  progress(): Progress;
  free(): void;
}

export function version(): string;
/** The start of a text file, or a whole workbook: how it is read and its first rows. */
export function sniff(bytes: Uint8Array, options?: ReaderOptions & { previewRows?: number }): Preview;
/**
 * Suggests a schema column for each header. With `samples` (rows of fields in header order, such
 * as a preview's; the first 100 are read) each suggestion is weighed by how many of its values
 * the column's check accepts. `schema` is JSON (a string or an object), never TOML.
 */
export function matchColumns(headers: string[], schema: Schema | string, samples?: string[][]): ColumnMatch;
export function checkSchema(schema: Schema | string): { schema: Schema; digest: string };
/** Options of `templateCsv`. */
export interface TemplateOptions {
  /** The header's language (`de`, `de-CH`): labels as the widget shows them; English by default. */
  language?: string;
  /** Start with a UTF-8 byte order mark, for spreadsheet programs that need one (default false). */
  bom?: boolean;
}
/**
 * A CSV template for the schema: its labels as the header (which column matching maps back) and
 * one example row that passes every column's check (a regex column without an `example` is left
 * empty); CRLF line ends, fields quoted where needed.
 */
export function templateCsv(schema: Schema | string, options?: TemplateOptions): string;
export function decodeBatch(bytes: Uint8Array): DecodedBatch;
/**
 * A batch's rows as JSON text in the shape of a row in the webhook's `import.rows`
 * (`[{ row, invalid, data: { key: value }, kept: { header: value }, extras? }]`): one string,
 * which is far cheaper to post to another window or worker than the objects.
 */
export function batchRowsJson(bytes: Uint8Array): string;
/** Each row's number and a digest of its values, flattened (`[row, digest, …]`): two rows with the same values have the same digest. */
export function batchRowDigests(bytes: Uint8Array): Float64Array;
/**
 * Reads a batch's header without its rows; throws an Error naming the byte when `bytes` are not
 * a batch ("batch byte 0: does not start with \"SLCB\"") or are cut short.
 */
export function batchInfo(bytes: Uint8Array): BatchInfo & { bytes: Uint8Array };
/** The WebAssembly memory's size in bytes, once loaded. */
export function wasmMemory(): number | undefined;
/** Whether the loaded module is the simd128 build (undefined before it loads). */
export function wasmSimd(): boolean | undefined;
/** Whether data row `row` has errors, from a summary's row index. */
export function rowHasErrors(summary: Summary, row: number): boolean;
