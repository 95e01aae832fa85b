// A cell error said in the user's language: the parser gives each error a code and the facts
// its English message is built from (`params`, never the cell's value); each code has a string
// here in every language, lists joined with the language's "or", numbers in its digits. A code
// this build does not know, and a schema's own message, are shown as the parser wrote them.
import type { CellError, CellErrorParams } from '@sluice/parser';
import { language, t, type StringKey } from './strings';

type Values = Record<string, string | number>;
/** The string for an error's params, and the values that fill it; `null` for the parser's message. */
type Say = (p: CellErrorParams) => [StringKey, Values] | null;

const plain =
  (key: StringKey): Say =>
  () => [key, {}];

/** Every code the parser emits (`parser-wasm/error-codes.json`), and how to say it. */
export const SAY: Readonly<Record<string, Say>> = {
  too_short: (p) => ['cellTooShort', { minLength: number(p.minLength) }],
  too_long: (p) => ['cellTooLong', { maxLength: number(p.maxLength) }],
  not_an_integer: (p) => ['cellNotAnInteger', { example: p.example ?? '' }],
  has_decimals: plain('cellHasDecimals'),
  not_a_number: (p) => ['cellNotANumber', { example: p.example ?? '' }],
  wrong_decimal_separator: (p) => ['cellWrongDecimalSeparator', { decimalSeparator: p.decimalSeparator ?? '', example: p.example ?? '' }],
  out_of_range: (p) =>
    p.min !== undefined && p.max !== undefined ? ['cellOutOfRangeInteger', { min: number(p.min), max: number(p.max) }] : ['cellOutOfRange', {}],
  below_minimum: (p) => ['cellBelowMinimum', { min: number(p.min) }],
  above_maximum: (p) => ['cellAboveMaximum', { max: number(p.max) }],
  not_a_boolean: (p) => ['cellNotABoolean', { allowed: list(p.allowed, p.more) }],
  invalid_date: (p) => ['cellInvalidDate', { formats: list(p.formats, p.more) }],
  invalid_datetime: (p) => ['cellInvalidDatetime', { formats: list(p.formats, p.more) }],
  invalid_time: (p) => ['cellInvalidTime', { formats: list(p.formats, p.more) }],
  date_does_not_exist: plain('cellDateDoesNotExist'),
  datetime_does_not_exist: plain('cellDateDoesNotExist'),
  time_does_not_exist: plain('cellTimeDoesNotExist'),
  invalid_email: plain('cellInvalidEmail'),
  email_missing_at: plain('cellEmailMissingAt'),
  email_invalid_domain: plain('cellEmailInvalidDomain'),
  invalid_url: (p) => ['cellInvalidUrl', { schemes: list(p.schemes?.map((s) => `${s}://`)), example: `${p.schemes?.[0] ?? 'https'}://example.com/page` }],
  url_scheme: (p) => ['cellUrlScheme', { schemes: list(p.schemes?.map((s) => `${s}://`)) }],
  invalid_uuid: plain('cellInvalidUuid'),
  not_allowed: (p) => (p.closest !== undefined ? ['cellNearlyAllowed', { closest: p.closest }] : ['cellNotAllowed', { allowed: list(p.allowed, p.more) }]),
  pattern_mismatch: (p) => (p.custom ? null : ['cellPatternMismatch', {}]),
  not_canonical: plain('cellNotCanonical'),
  required: plain('cellRequired'),
  duplicate: plain('cellDuplicate'),
  unterminated_quote: (p) => ['cellUnterminatedQuote', { quoteLine: number(p.quoteLine) }],
  field_too_large: (p) =>
    p.quoteLine !== undefined
      ? ['cellFieldTooLargeQuoted', { quoteLine: number(p.quoteLine), limit: bytes(p.limit) }]
      : ['cellFieldTooLarge', { limit: bytes(p.limit) }],
  record_too_large: (p) => ['cellRecordTooLarge', { limit: bytes(p.limit) }],
  too_many_columns: (p) => ['cellTooManyColumns', { limit: number(p.limit) }],
  too_few_fields: (p) => ['cellTooFewFields', { found: number(p.found), expected: number(p.expected) }],
  too_many_fields: (p) => ['cellTooManyFields', { found: number(p.found), expected: number(p.expected) }],
  invalid_encoding: plain('cellInvalidEncoding'),
  formula_error: (p) => ['cellFormulaError', { formulaError: p.formulaError ?? '' }],
};

/** What is wrong with the cell, in the language shown. */
export function cellMessage(error: CellError): string {
  const say = Object.hasOwn(SAY, error.code) ? SAY[error.code] : undefined;
  const said = say?.(error.params ?? {});
  return said ? t(...said) : error.message;
}

/** A number in the language's digits; bounds come as decimal strings, formatted exactly. */
function number(value: number | string | undefined): string {
  if (value === undefined) return '';
  // A string is formatted as the exact decimal it writes (Intl.NumberFormat v3).
  return new Intl.NumberFormat(language(), { maximumFractionDigits: 20 }).format(value as number);
}

function bytes(value: number | undefined): string {
  if (value === undefined) return '';
  return new Intl.NumberFormat(language(), { style: 'unit', unit: 'byte', unitDisplay: 'long' }).format(value);
}

/** `a, b or c` in the language shown; `a, b and 3 more` when the parser listed only the first. */
function list(items: string[] | undefined, more?: number): string {
  if (!items) return '';
  if (more) return t('listMore', { list: items.join(', '), n: number(more) });
  return new Intl.ListFormat(language(), { style: 'long', type: 'disjunction' }).format(items);
}
