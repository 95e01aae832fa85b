// csvbox.io's dynamic columns in Sluice's schema format (docs/schema.md): csvbox's field names
// (`column_name`, `display_label`, `info_hint`, `matching_keywords`, `default_value`,
// `validators`) and types (`number`, `dropdown`/`list`, `regex`, …) become a Sluice column;
// a column this cannot express is left out with a message that names it and the option.
import type { DynamicColumn } from './messages.js';

/** A column as csvbox's `setDynamicColumns` takes it (Sluice's own field names are accepted too). */
export interface CsvboxColumn {
  column_name?: string;
  display_label?: string;
  info_hint?: string;
  matching_keywords?: string | string[];
  type?: string;
  validators?: Record<string, unknown>;
  default_value?: string | number | boolean;
  required?: boolean;
  position?: number;
  [option: string]: unknown;
}

/** The columns Sluice can use, and one sentence per option it cannot. */
export interface Translated {
  columns: DynamicColumn[];
  problems: string[];
}

/** Sluice schema fields a caller may also give directly. csvbox has no declarative counterpart
 * of `transform` (its Data Transforms are JavaScript functions run on its side): a column asks
 * for Sluice's, `{ column_name: 'code', transform: ['upper'] }`. */
const SLUICE_FIELDS = new Set([
  'key',
  'label',
  'description',
  'hint',
  'required',
  'unique',
  'keywords',
  'default',
  'trim',
  'transform',
  'example',
  'min_length',
  'max_length',
  'min',
  'max',
  'decimal_separator',
  'thousands_separator',
  'true_values',
  'false_values',
  'formats',
  'schemes',
  'values',
  'case_sensitive',
  'pattern',
  'message',
]);
const SLUICE_TYPES = new Set(['text', 'integer', 'number', 'boolean', 'date', 'datetime', 'time', 'email', 'url', 'uuid', 'enum', 'regex']);
/** csvbox's types under other names. */
const TYPE_NAMES: Record<string, string> = { dropdown: 'enum', list: 'enum' };
/** Options csvbox documents that do not change what is imported here. */
const IGNORED = new Set(['position']);

/** Which `validators` each type takes, and the Sluice field each becomes. */
const VALIDATORS: Record<string, Record<string, string>> = {
  text: { min_length: 'min_length', max_length: 'max_length' },
  number: { min_value: 'min', max_value: 'max' },
  integer: { min_value: 'min', max_value: 'max' },
  date: { format: 'formats' },
  regex: { expression: 'pattern', error_message: 'message' },
  enum: { values: 'values', case_sensitive: 'case_sensitive' },
  url: {},
  email: {},
  boolean: {},
};

class Problem extends Error {}

/** Translates csvbox's dynamic columns; `problems` say, per bad column, what to change. */
export function fromCsvbox(columns: CsvboxColumn[]): Translated {
  const out: Translated = { columns: [], problems: [] };
  if (!Array.isArray(columns)) {
    out.problems.push('setDynamicColumns takes an array of columns');
    return out;
  }
  columns.forEach((column, index) => {
    const name = columnName(column, index);
    try {
      out.columns.push(translate(column, name));
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      out.problems.push(`dynamic column ${name}: ${error.message}; the column is left out`);
    }
  });
  return out;
}

function columnName(column: CsvboxColumn, index: number): string {
  const key = column?.column_name ?? column?.['key'];
  return typeof key === 'string' && key ? `"${key}"` : `#${index + 1}`;
}

function translate(column: CsvboxColumn, name: string): DynamicColumn {
  if (typeof column !== 'object' || column === null) throw new Problem('is not an object');
  const key = column.column_name ?? column['key'];
  if (typeof key !== 'string' || !key.trim()) throw new Problem(`\`column_name\` is required (at ${name})`);
  const type = typeOf(column.type);
  const out: DynamicColumn = { key, type };
  for (const [option, value] of Object.entries(column)) {
    if (value === undefined || option === 'column_name' || option === 'key' || option === 'type' || IGNORED.has(option)) continue;
    copy(out, option, value);
  }
  return out;
}

function typeOf(type: unknown): string {
  if (type === undefined) return 'text';
  const name = typeof type === 'string' ? (TYPE_NAMES[type] ?? type) : '';
  if (!SLUICE_TYPES.has(name)) {
    throw new Problem(
      `option \`type\`: ${JSON.stringify(type)} is not supported (use text, number, integer, email, url, date, boolean, regex, dropdown or list)`,
    );
  }
  return name;
}

function copy(out: DynamicColumn, option: string, value: unknown): void {
  switch (option) {
    case 'display_label':
      out.label = text(option, value);
      return;
    case 'info_hint':
      out['hint'] = text(option, value);
      return;
    case 'matching_keywords':
      out['keywords'] = keywords(value);
      return;
    case 'default_value':
      if (!['string', 'number', 'boolean'].includes(typeof value)) throw new Problem('option `default_value` must be a string, a number or a boolean');
      out['default'] = String(value);
      return;
    case 'required':
      if (typeof value !== 'boolean') throw new Problem('option `required` must be true or false');
      out.required = value;
      return;
    case 'validators':
      validators(out, value);
      return;
  }
  if (!SLUICE_FIELDS.has(option))
    throw new Problem(
      `option \`${option}\` is not known (csvbox's are column_name, display_label, info_hint, matching_keywords, type, validators, default_value, required, position)`,
    );
  out[option] = value;
}

function text(option: string, value: unknown): string {
  if (typeof value !== 'string') throw new Problem(`option \`${option}\` must be a string`);
  return value;
}

function keywords(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || !list.every((k) => typeof k === 'string')) {
    throw new Problem('option `matching_keywords` must be comma-separated words ("degree, education") or an array of strings');
  }
  return list.map((k) => k.trim()).filter(Boolean);
}

function validators(out: DynamicColumn, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Problem('option `validators` must be an object');
  const type = String(out.type);
  const allowed = VALIDATORS[type] ?? {};
  for (const [name, setting] of Object.entries(value)) {
    const field = allowed[name];
    if (!field) {
      const known = Object.keys(allowed);
      throw new Problem(`option \`validators.${name}\` does not apply to type ${type} (${known.length ? `it takes ${known.join(', ')}` : 'it takes none'})`);
    }
    out[field] = validator(name, setting);
  }
  if (type === 'enum' && !out['values']) throw new Problem('a dropdown needs `validators.values`, the allowed values');
}

function validator(name: string, setting: unknown): unknown {
  switch (name) {
    case 'min_length':
    case 'max_length':
      if (!Number.isInteger(setting) || (setting as number) < 0) throw new Problem(`option \`validators.${name}\` must be a whole number ≥ 0`);
      return setting;
    case 'min_value':
    case 'max_value':
      if (typeof setting !== 'number' || !Number.isFinite(setting)) throw new Problem(`option \`validators.${name}\` must be a number`);
      return setting;
    case 'case_sensitive':
      if (typeof setting !== 'boolean') throw new Problem('option `validators.case_sensitive` must be true or false');
      return setting;
    case 'format':
      return [dateFormat(setting)];
    case 'values':
      return values(setting);
    default:
      return text(`validators.${name}`, setting);
  }
}

/** A dropdown's values: strings, or csvbox's `{ value, display_label }`. */
function values(setting: unknown): Array<string | { value: string; label: string }> {
  if (!Array.isArray(setting) || setting.length === 0) throw new Problem('option `validators.values` must be a non-empty array');
  return setting.map((entry) => {
    if (typeof entry === 'string') return entry;
    const value = entry?.value;
    const label = entry?.display_label ?? entry?.label;
    if (typeof value !== 'string' || (label !== undefined && typeof label !== 'string')) {
      throw new Problem('option `validators.values`: each value must be a string or { value, display_label } with strings');
    }
    return label === undefined ? value : { value, label };
  });
}

/** csvbox's date format tokens (moment's) as the parser's directives. */
const DATE_TOKENS: Array<[string, string]> = [
  ['YYYY', '%Y'],
  ['MMMM', '%B'],
  ['MMM', '%b'],
  ['YY', '%y'],
  ['MM', '%m'],
  ['DD', '%d'],
];

function dateFormat(setting: unknown): string {
  const format = text('validators.format', setting);
  let out = '';
  for (let at = 0; at < format.length; ) {
    const token = DATE_TOKENS.find(([t]) => format.startsWith(t, at));
    if (token) {
      out += token[1];
      at += token[0].length;
    } else if (/[A-Za-z%]/.test(format.charAt(at))) {
      throw new Problem(
        `option \`validators.format\`: "${format}" uses ${JSON.stringify(format.charAt(at))}, which is not supported (use YYYY, YY, MM, MMM, MMMM, DD and separators)`,
      );
    } else {
      out += format.charAt(at);
      at += 1;
    }
  }
  return out;
}
