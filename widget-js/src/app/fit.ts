// How well a file column's values fit the field it is mapped to: on the mapping step, the
// parser's fit beside each suggestion, its problem ("Most values of “Customer Id” are not whole
// numbers", said in the user's language from the fit's failure code) and a one-click switch to
// the column that fits better; on the review step, an offer to go back and change the column of a
// field that holds most of the errors.
import type { SchemaColumn, Suggestion, Summary } from '@sluice/parser';
import { h } from './dom';
import { fieldLabel } from './labels';
import { t, type StringKey } from './strings';
import type { State } from './state';
import type { Shell } from './main';

/** Sample rows the matcher reads (the parser reads no more than this). */
const SAMPLE_ROWS = 100;

/** The step the offer on the review step goes back to. */
const MAPPING_STEP = 2;

/** What most values of a column are not, by the fit's most common failure code: every code the
 * parser lists (`parser-wasm/error-codes.json`); those a value check does not give say `fitOther`. */
export const FIT_PROBLEM: Readonly<Record<string, StringKey>> = {
  too_short: 'fitTooShort',
  too_long: 'fitTooLong',
  not_an_integer: 'fitInteger',
  has_decimals: 'fitInteger',
  not_a_number: 'fitNumber',
  wrong_decimal_separator: 'fitNumber',
  out_of_range: 'fitRange',
  below_minimum: 'fitRange',
  above_maximum: 'fitRange',
  not_a_boolean: 'fitBoolean',
  invalid_date: 'fitDate',
  invalid_datetime: 'fitDatetime',
  invalid_time: 'fitTime',
  date_does_not_exist: 'fitDate',
  datetime_does_not_exist: 'fitDatetime',
  time_does_not_exist: 'fitTime',
  invalid_email: 'fitEmail',
  email_missing_at: 'fitEmail',
  email_invalid_domain: 'fitEmail',
  invalid_url: 'fitUrl',
  url_scheme: 'fitUrl',
  invalid_uuid: 'fitUuid',
  not_allowed: 'fitAllowed',
  pattern_mismatch: 'fitPattern',
  not_canonical: 'fitOther',
  required: 'fitOther',
  duplicate: 'fitOther',
  unterminated_quote: 'fitOther',
  field_too_large: 'fitOther',
  record_too_large: 'fitOther',
  too_many_columns: 'fitOther',
  too_few_fields: 'fitOther',
  too_many_fields: 'fitOther',
  invalid_encoding: 'fitOther',
  formula_error: 'fitOther',
};

/** A flagged suggestion's problem in the user's language, from the header and the fit's failure
 * code; the parser's own (English) `message` when there is no code, or one this build does not know. */
export function fitProblemText(header: string, failure: string | undefined, message: string): string {
  const key = failure === undefined ? undefined : FIT_PROBLEM[failure];
  return key ? t(key, { header }) : message;
}

/** The preview's rows as the matcher takes them. */
export function sampleRows(state: Pick<State, 'preview'>): string[][] {
  return (state.preview?.rows ?? []).slice(0, SAMPLE_ROWS).map((row) => row.fields);
}

/** The fit badge and, for a flagged suggestion, its message and the switch to the alternative. */
export function fitNotes(suggestion: Suggestion | undefined, use: (header: string) => void): HTMLElement[] {
  const fit = suggestion?.fit;
  if (!suggestion || !fit || fit.sampled === 0) return [];
  const badge = h(
    'span',
    { class: suggestion.problem ? 'badge fit poor' : 'badge fit', 'data-field': 'fit' },
    t('valuesFit', { accepted: fit.accepted, sampled: fit.sampled }),
  );
  const problem = suggestion.problem;
  if (!problem) return [badge];
  const alternative = problem.alternative;
  return [
    badge,
    h(
      'p',
      { class: 'fit-problem', 'data-field': 'fit-problem' },
      fitProblemText(suggestion.header, fit.failure, problem.message),
      alternative
        ? h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              'data-action': 'use-alternative',
              on: { click: () => use(alternative.header) },
            },
            t('useInstead', { header: alternative.header }),
          )
        : null,
    ),
  ];
}

/** The field holding most of the errors, when most of its own cells are invalid too. */
export function wrongColumn(state: State, summary: Summary): SchemaColumn | null {
  const [key, errors] = Object.entries(summary.report.errorsByColumn).sort((a, b) => b[1] - a[1])[0] ?? [];
  if (key === undefined || errors === undefined) return null;
  const mostErrors = errors >= summary.report.errorCount / 2;
  const mostCells = errors > (summary.report.rows - summary.report.deletedRows) / 2;
  const column = state.schema.columns.find((c) => c.key === key);
  return mostErrors && mostCells && column && state.mapping[key] ? column : null;
}

/** On the review step: "Change the column for <field>" when one column holds most errors. */
export function columnAdvice(state: State, summary: Summary, shell: Shell): HTMLElement[] {
  const column = wrongColumn(state, summary);
  if (!column) return [];
  const field = fieldLabel(state, column);
  const back = async () => {
    await shell.go(MAPPING_STEP);
    document.querySelector<HTMLElement>(`[data-column="${CSS.escape(column.key)}"]`)?.focus();
  };
  return [
    h(
      'p',
      { class: 'column-advice', 'data-field': 'column-advice' },
      t('columnHoldsErrors', { field, header: state.mapping[column.key] ?? '' }),
      ' ',
      h('button', { type: 'button', class: 'secondary', 'data-action': 'change-column', on: { click: () => void back() } }, t('changeColumn', { field })),
    ),
  ];
}
