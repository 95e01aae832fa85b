// The JavaScript side of the Chromium benchmark, in its own Worker: uDSV reads the File
// (TextDecoderStream into its incremental parser, one callback per row), alone or with the
// validation a careful JavaScript developer would write for the benchmark's schema
// (parser-wasm/benches/schema.json): checks compiled once per column, precompiled regular
// expressions, numbers parsed once, a Set for the unique column, every error kept as
// { row, column, code }, as the parser's report keeps them.
import { inferSchema, initParser } from '/node_modules/udsv/dist/uDSV.mjs';

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
const BOOLEANS = new Set(['true', 'false', 'yes', 'no', '1', '0', 'TRUE', 'FALSE', 'True', 'False']);

const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const validDate = (y, m, d) => m >= 1 && m <= 12 && d >= 1 && (d <= DAYS[m] || (m === 2 && d === 29 && leap(y)));

/** One column's check: the value (trimmed, not empty) → an error code or null. */
function typeCheck(column) {
  const within = (n) => ((column.min !== undefined && n < column.min) || (column.max !== undefined && n > column.max) ? 'out_of_range' : null);
  switch (column.type) {
    case 'integer':
      return (v) => (INTEGER.test(v) ? within(Number(v)) : 'invalid_integer');
    case 'number':
      return (v) => (NUMBER.test(v) ? within(Number(v)) : 'invalid_number');
    case 'email':
      return (v) => (EMAIL.test(v) ? null : 'invalid_email');
    case 'date':
      return (v) => {
        const m = DATE.exec(v);
        return m && validDate(+m[1], +m[2], +m[3]) ? null : 'invalid_date';
      };
    case 'datetime':
      return (v) => {
        const m = DATETIME.exec(v);
        return m && validDate(+m[1], +m[2], +m[3]) && +m[4] < 24 && +m[5] < 60 && (m[6] === undefined || +m[6] < 60) ? null : 'invalid_datetime';
      };
    case 'enum': {
      const values = new Set(column.values);
      return (v) => (values.has(v) ? null : 'not_allowed');
    }
    case 'boolean':
      return (v) => (BOOLEANS.has(v) ? null : 'invalid_boolean');
    default:
      return (v) => (column.max_length !== undefined && v.length > column.max_length ? 'too_long' : null);
  }
}

/** The row validator for `schema` given the file's header: (fields, row) → whether the row is valid. */
function compile(schema, header, errors) {
  const columns = schema.columns.map((column) => {
    const at = header.indexOf(column.key);
    const check = typeCheck(column);
    const seen = column.unique ? new Set() : null;
    const key = column.key;
    const required = Boolean(column.required);
    // One closure per column: (fields, row) → valid, no object per cell.
    return (fields, row) => {
      const raw = at < 0 ? '' : (fields[at] ?? '');
      const value = raw.length > 0 && (raw.charCodeAt(0) <= 32 || raw.charCodeAt(raw.length - 1) <= 32) ? raw.trim() : raw;
      let code = value === '' ? (required ? 'required' : null) : check(value);
      if (code === null && seen !== null && value !== '') {
        if (seen.has(value)) code = 'duplicate';
        else seen.add(value);
      }
      if (code === null) return true;
      errors.push({ row, column: key, code });
      return false;
    };
  });
  return (fields, row) => {
    let valid = true;
    for (let i = 0; i < columns.length; i += 1) valid = columns[i](fields, row) && valid;
    return valid;
  };
}

self.onmessage = async ({ data: { file, schema } }) => {
  const start = performance.now();
  const stream = file.stream().pipeThrough(new TextDecoderStream());
  const errors = [];
  let parser = null;
  let rows = 0;
  let validRows = 0;
  let validate = null;
  const onRow = schema
    ? (fields) => {
        rows += 1;
        if (validate(fields, rows)) validRows += 1;
      }
    : () => {
        rows += 1;
      };
  for await (const text of stream) {
    if (!parser) {
      const inferred = inferSchema(text);
      parser = initParser(inferred);
      if (schema)
        validate = compile(
          schema,
          inferred.cols.map((c) => c.name),
          errors,
        );
    }
    parser.chunk(text, parser.stringArrs, onRow);
  }
  parser.end();
  self.postMessage({ ms: performance.now() - start, rows, valid: schema ? validRows : undefined, errors: errors.length });
};
