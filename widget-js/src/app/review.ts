// Step 4: the whole file checked with the user's mapping and fixes: counts, errors by column,
// and the grid to fix them (edit, delete rows, only rows with errors; bulk fixes in fixes.ts).
// Every change is checked again in the background before the file can be sent.
import { parseFile, type Summary } from '@sluice/parser';
import { count, h, replace, uid } from './dom';
import { Grid, type GridColumn } from './grid';
import { ErrorsPanel } from './errors';
import { language, t, tn } from './strings';
import { fileRows, minRows, type State } from './state';
import { Kept, batchOptions, keepBudget, keyOf, markParse } from './kept';
import { readError } from './refusal';
import { fixes } from './fixes';
import { columnAdvice } from './fit';
import { fieldLabel } from './labels';
import { HostChecks, needsTransform, transformRows, withHostErrors } from './hooks';
import { checkHostPageRows, hostHas } from './host';
import type { Shell, Step } from './main';

/** Distinct invalid values listed per enum or boolean column, for the user to map. */
const INVALID_VALUES = 50;

export async function reviewStep(state: State, shell: Shell): Promise<Step> {
  const counts = h('p', { class: 'counts', 'data-field': 'counts' });
  const byColumn = h('ul', { class: 'by-column' });
  const gate = h('p', { class: 'gate', role: 'alert' });
  const advice = h('div', { class: 'advice' });
  const progress = h('progress', { max: 1, value: 0, class: 'check-progress' });
  let grid: Grid | null = null;
  let checking: Promise<void> | null = null;
  let again = false;

  const columns = (): GridColumn[] => [
    ...state.schema.columns.map((c) => ({ key: c.key, label: fieldLabel(state, c), editable: true })),
    ...(state.summary?.mapping.kept ?? []).map((name) => ({ key: name, label: name, editable: false })),
  ];
  const errorsOnly = h('input', { type: 'checkbox', id: uid('errors-only'), 'data-field': 'errors-only', on: { change: () => applyFilter(false) } });
  const applyFilter = (keep = false) => grid?.filter(errorsOnly.checked && state.summary ? invalidRows(state.summary, state.deleted) : null, keep);

  const showCounts = () => {
    const summary = state.summary;
    if (!summary) return;
    const invalid = summary.report.invalidRows;
    counts.textContent =
      invalid === 0
        ? t('allValid', { rows: count(rowsLeft(summary), language()) })
        : t('checked', { rows: count(rowsLeft(summary), language()), invalid: count(invalid, language()) });
    const names = new Map(state.schema.columns.map((c) => [c.key, fieldLabel(state, c)]));
    errors.update(summary);
    replace(
      byColumn,
      ...Object.entries(summary.report.errorsByColumn).map(([key, n]) =>
        h('li', {}, h('span', { class: 'badge error' }, count(n, language())), ' ', names.get(key) ?? key),
      ),
    );
    gate.textContent = gateMessage(state, summary) ?? invalidNote(state, summary);
    bulk.update();
    replace(advice, ...columnAdvice(state, summary, shell));
    shell.announce(counts.textContent ?? '');
  };

  /** Checks the whole file; a change while it runs checks again after. */
  const check = async (): Promise<void> => {
    if (checking) {
      again = true;
      return checking;
    }
    shell.busy = true;
    shell.refresh();
    progress.hidden = false;
    const file = state.file!;
    counts.textContent = t('checking', { rows: '…' });
    checking = (async () => {
      do {
        again = false;
        const version = state.version;
        const signal = new AbortController().signal;
        if (needsTransform(state)) {
          counts.textContent = t('checking', { rows: '…' });
          await transformRows(state, signal);
        }
        // The check makes the batches the submission sends, and keeps them (kept.ts); the host
        // page's validateRows judges them as they come.
        const options = batchOptions(state);
        const kept = new Kept(keyOf(state, options), keepBudget(), file.size);
        const judge = hostJudges(state);
        state.kept = null;
        markParse();
        const job = parseFile(file, {
          ...options,
          batches: kept.wanted || judge ? options.batches : false,
          validate: { maxInvalidValues: INVALID_VALUES },
          onProgress: (p) => {
            progress.value = p.bytes / Math.max(1, file.size);
            counts.textContent = t('checking', { rows: count(p.rows, language()) });
          },
        });
        judge?.begin();
        for await (const batch of job) {
          await judge?.take(state, batch.bytes, signal);
          kept.take(batch);
        }
        judge?.end();
        state.summary = withHostErrors(await job.summary, judge);
        kept.finish();
        // An edit made while this check ran is not in it: only a check of the latest edits clears `stale`.
        if (version === state.version) {
          state.stale = false;
          state.kept = kept;
        }
        performance.mark('sluice:checked', { detail: { keptBytes: kept.bytes, complete: kept.complete } });
      } while (again);
    })();
    try {
      await checking;
    } catch (error) {
      counts.textContent = t('checkFailed', { detail: readError(error) });
      replace(gate, h('button', { type: 'button', class: 'secondary', 'data-action': 'recheck', on: { click: () => void check() } }, t('retry')));
      return;
    } finally {
      checking = null;
      shell.busy = false;
      progress.hidden = true;
      shell.refresh();
    }
    if (!grid) {
      grid = new Grid(state, columns(), changed);
      errors.attach(grid);
      replace(gridHolder, grid.element);
    }
    grid.reload();
    applyFilter(true);
    showCounts();
    shell.refresh();
  };
  let timer = 0;
  const changed = () => {
    state.stale = true;
    state.version += 1;
    restore.hidden = state.deleted.size === 0;
    shell.refresh();
    clearTimeout(timer);
    timer = window.setTimeout(() => void check(), 400);
  };

  const gridHolder = h('div', { class: 'grid-holder' });
  const errors = new ErrorsPanel(state, () => new Map(columns().map((c) => [c.key, c.label])));
  const restore = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      'data-action': 'restore',
      hidden: state.deleted.size === 0,
      on: {
        click: () => {
          state.deleted.clear();
          grid?.sync();
          changed();
        },
      },
    },
    t('undoDeletes'),
  );
  const bulk = fixes({
    state,
    shell,
    changed: () => {
      grid?.sync();
      changed();
    },
    columns: () => columns().filter((c) => c.editable),
    invalidRows: () => (state.summary ? invalidRows(state.summary, state.deleted) : []),
  });
  const body = h(
    'div',
    { class: 'review', on: { keydown: (event: Event) => bulk.keydown(event as KeyboardEvent) } },
    h('div', { class: 'summary' }, counts, progress, byColumn, advice),
    h('div', { class: 'toolbar' }, h('div', { class: 'check' }, errorsOnly, h('label', { for: errorsOnly.id }, t('errorsOnly'))), restore),
    bulk.element,
    h('p', { class: 'hint' }, t('editHint')),
    errors.element,
    gridHolder,
    gate,
  );
  if (state.summary && !state.stale) {
    grid = new Grid(state, columns(), changed);
    errors.attach(grid);
    replace(gridHolder, grid.element);
    showCounts();
  } else {
    void check();
  }
  return {
    title: 'stepReview',
    body,
    get nextLabel() {
      return t('submit', { n: count(state.summary ? rowsToSubmit(state, state.summary) : 0, language()) });
    },
    canNext: () => Boolean(state.summary) && !state.stale && gateMessage(state, state.summary!) === null,
    next: () => Boolean(state.summary) && !state.stale && gateMessage(state, state.summary!) === null,
  };
}

/** The host page's verdicts, when its `validateRows` judges this importer's rows. */
function hostJudges(state: State): HostChecks | null {
  if (!state.settings.hooks?.validateRows) return null;
  checkHostPageRows(state, 'validateRows');
  if (!hostHas(state, 'validateRows')) return null;
  state.hostChecks ??= new HostChecks();
  return state.hostChecks;
}

/** Why the file cannot be sent as it is, or null. */
function gateMessage(state: State, summary: Summary): string | null {
  const rows = rowsToSubmit(state, summary);
  const options = state.settings.options;
  const max = Math.min(options.maxRows ?? Infinity, state.config.limits.maxRows);
  const min = minRows(state);
  if (rows < min) return tn('minRows', min, String(min), { rows });
  if (rows > max) return t('maxRows', { n: max, rows });
  const invalid = summary.report.invalidRows;
  if (invalid > 0 && !options.allowInvalid) return t('invalidBlock', { n: invalid });
  return null;
}

/** What happens to rows with errors when they may be submitted. */
function invalidNote(state: State, summary: Summary): string {
  const invalid = summary.report.invalidRows;
  if (invalid === 0) return '';
  return t(state.config.invalidRows === 'record' ? 'invalidRecord' : 'invalidSkip', { n: invalid });
}

/** Rows that will be sent: valid ones, and invalid ones where the importer records them. */
export function rowsToSubmit(state: State, summary: Summary): number {
  const { validRows, invalidRows } = summary.report;
  return state.config.invalidRows === 'record' && state.settings.options.allowInvalid ? validRows + invalidRows : validRows;
}

function rowsLeft(summary: Summary): number {
  return fileRows(summary) - summary.report.deletedRows;
}

/** Data rows with errors, from the summary's row index, less the deleted ones. */
function invalidRows(summary: Summary, deleted: Set<number>): number[] {
  const out: number[] = [];
  summary.rowIndex.invalid.forEach((word, i) => {
    for (let bit = 0; word !== 0 && bit < 32; bit += 1) {
      if (word & (1 << bit)) {
        const row = i * 32 + bit + 1;
        if (!deleted.has(row)) out.push(row);
      }
    }
  });
  return out;
}
