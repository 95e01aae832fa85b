// The review step's errors panel: the errors of the last check grouped by column and kind, each
// group a button to its first error; Next and Previous error (F8, Shift+F8 in the grid or the
// panel) through
// every invalid cell of the file, in order; and the focused or hovered cell's message on screen.
// The check lists the first errors in full and marks every invalid row, so the walk goes row by
// row through the marks and reads each row's cells from the grid.
import type { CellError, Summary } from '@sluice/parser';
import { count, h, replace } from './dom';
import type { ErrorPlace, Grid } from './grid';
import { language, t } from './strings';
import type { State } from './state';

/** Errors of one column and code among those the check listed. */
interface Group {
  column: string | null;
  code: string;
  first: CellError;
  count: number;
}

export class ErrorsPanel {
  readonly element: HTMLElement;
  private readonly groups = h('ul', { class: 'error-groups', 'data-field': 'error-groups' });
  private readonly note = h('p', { class: 'note' });
  private readonly summaryLine = h('summary', { 'data-field': 'errors-summary' });
  private readonly status = h('span', { class: 'error-nav-status', role: 'status' });
  private readonly messageSlot = h('div', { class: 'message-slot' });
  private grid: Grid | null = null;

  constructor(
    private readonly state: State,
    private readonly labels: () => Map<string, string>,
  ) {
    const button = (direction: 1 | -1, action: string, label: string) =>
      h('button', { type: 'button', class: 'secondary', 'data-action': action, on: { click: () => void this.step(direction) } }, label);
    const sheet = h(
      'details',
      { class: 'errors-panel', 'data-field': 'errors-panel', open: !window.matchMedia('(max-width: 560px)').matches },
      this.summaryLine,
      h('div', { class: 'error-nav' }, button(-1, 'previous-error', t('previousError')), button(1, 'next-error', t('nextError')), this.status),
      h('p', { class: 'hint' }, t('errorKeys')),
      this.groups,
      this.note,
    );
    this.element = h('div', { class: 'errors', hidden: true }, this.messageSlot, sheet);
    sheet.addEventListener('keydown', (event) => {
      if (event.key !== 'F8') return;
      event.preventDefault();
      void this.step(event.shiftKey ? -1 : 1);
    });
  }

  /** The grid the panel moves through; its message area shows above the panel. */
  attach(grid: Grid): void {
    this.grid = grid;
    grid.onStep = (direction) => void this.step(direction);
    replace(this.messageSlot, grid.message);
  }

  /** Redraws the panel from the last check. */
  update(summary: Summary): void {
    const report = summary.report;
    this.element.hidden = report.errorCount === 0;
    this.summaryLine.textContent = t('errorsPanel', { n: count(report.errorCount, language()) });
    const names = this.labels();
    replace(
      this.groups,
      ...groupErrors(report.errors).map((group) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'error-group',
              'data-action': 'error-group',
              'data-column': group.column ?? '',
              'data-code': group.code,
              on: { click: () => void this.grid?.goTo({ row: group.first.row, column: group.first.column }) },
            },
            h('span', { class: 'badge error' }, count(group.count, language())),
            ' ',
            h('strong', {}, group.column === null ? t('wholeRow') : (names.get(group.column) ?? group.column)),
            ': ',
            group.first.message,
          ),
        ),
      ),
    );
    this.note.textContent = report.errorsTruncated
      ? t('errorsListed', { shown: count(report.errors.length, language()), total: count(report.errorCount, language()) })
      : '';
    this.status.textContent = '';
  }

  /** Moves focus to the next (1) or previous (-1) invalid cell after the focused one. */
  private async step(direction: 1 | -1): Promise<void> {
    const grid = this.grid;
    const summary = this.state.summary;
    if (!grid || !summary) return;
    const next = await nextPlace(grid, summary, this.state.deleted, grid.place, direction);
    this.status.textContent = next ? '' : t(direction === 1 ? 'noNextError' : 'noPreviousError');
    if (next) await grid.goTo(next);
  }
}

/** The listed errors by column and code, in the order they first occur. */
export function groupErrors(errors: CellError[]): Group[] {
  const groups = new Map<string, Group>();
  for (const error of errors) {
    const key = `${error.column ?? ''}\u001f${error.code}`;
    const group = groups.get(key);
    if (group) group.count += 1;
    else groups.set(key, { column: error.column, code: error.code, first: error, count: 1 });
  }
  return [...groups.values()];
}

/** The invalid cell after (or before) `from`: later cells of the same row, then the marked rows. */
async function nextPlace(grid: Grid, summary: Summary, deleted: Set<number>, at: ErrorPlace | null, direction: 1 | -1): Promise<ErrorPlace | null> {
  const order = (cells: (string | null)[]) => (direction === 1 ? cells : [...cells].reverse());
  // Before the user is on any cell, Next starts above the first row and Previous below the last.
  const from = at ?? { row: direction === 1 ? 0 : summary.read.rows + 1, column: null };
  const here = at ? order(await grid.invalidIn(from.row)) : [];
  const on = here.indexOf(from.column);
  const rest = on < 0 ? here.filter((column) => grid.compare(column, from.column) * direction > 0) : here.slice(on + 1);
  if (rest.length > 0) return { row: from.row, column: rest[0]! };
  for (let row = from.row + direction; row >= 1 && row <= summary.read.rows; row += direction) {
    if (deleted.has(row) || !isInvalid(summary, row)) continue;
    const cells = order(await grid.invalidIn(row));
    return { row, column: cells[0] ?? null };
  }
  return null;
}

/** Whether the check marked data row `row` invalid. */
function isInvalid(summary: Summary, row: number): boolean {
  const word = summary.rowIndex.invalid[Math.floor((row - 1) / 32)] ?? 0;
  return (word & (1 << ((row - 1) % 32))) !== 0;
}
