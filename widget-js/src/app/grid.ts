// The review grid: a virtual window over every row of the file. Rows are read on demand through
// the parser's row index, 256 at a time, so a 1M-row file costs what is on screen. Invalid
// cells carry their messages, shown on screen for the focused or hovered cell (and under it on
// a narrow screen); cells edit in place; rows delete; arrow keys move between cells, F8 and
// Shift+F8 between invalid cells. The header and the rows take their column widths from one
// template, so they line up at any width and scroll.
import { readRows, type CellError, type GridRow } from '@sluice/parser';
import { cellMessage } from './cellmessages';
import { h, replace } from './dom';
import { t } from './strings';
import { allowedValues, cellPatches, mappingSpec, readerOptions, type State } from './state';
import { rememberDeletion, rememberEdit } from './undo';

const ROW_HEIGHT = 34;
const BLOCK = 256;
const OVERSCAN = 6;
const CACHE_BLOCKS = 48;
const MIN_COLUMN = 120;
/** Below this width the row numbers narrow and messages also show under the cell. */
const NARROW = 560;

/** Where an invalid cell is: a data row, and a column key (null: the row as a whole). */
export interface ErrorPlace {
  row: number;
  column: string | null;
}

export interface GridColumn {
  key: string;
  label: string;
  /** Schema columns edit; kept columns are shown as they are. */
  editable: boolean;
}

export class Grid {
  readonly element: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly body: HTMLElement;
  private readonly header: HTMLElement;
  private readonly blocks = new Map<number, Map<number, GridRow> | Promise<void>>();
  private order: number[] | null = null;
  private deleted: number[] = [];
  private active = { index: 0, col: 0 };
  private editing = false;
  private frame = 0;
  private listed = new Map<number, CellError[]>();
  private listedFor: unknown = null;
  /** The message of the focused or hovered invalid cell, on screen (polite live region). */
  readonly message: HTMLElement;
  /** The same message under the cell itself, on a narrow screen. */
  private readonly inline: HTMLElement;
  private hovered: HTMLElement | null = null;
  private touched = false;

  constructor(
    private readonly state: State,
    private readonly columns: GridColumn[],
    private readonly onChange: () => void,
  ) {
    this.header = h(
      'div',
      { class: 'grid-row grid-head', role: 'row' },
      h('div', { class: 'cell rowhead', role: 'columnheader' }, t('row')),
      ...columns.map((c) => h('div', { class: 'cell', role: 'columnheader', title: c.key }, c.label)),
    );
    this.body = h('div', { class: 'grid-body', role: 'rowgroup' });
    this.inline = h('div', { class: 'cell-inline-message', 'aria-hidden': 'true', hidden: true });
    this.message = h('p', { class: 'cell-message', 'aria-live': 'polite', 'data-field': 'cell-message' });
    this.spacer = h('div', { class: 'grid-spacer' }, this.body, this.inline);
    // The header scrolls sideways with the rows and stays on top (sticky) as they scroll down.
    this.viewport = h('div', { class: 'grid-viewport', tabindex: '-1' }, h('div', { role: 'rowgroup', class: 'grid-headgroup' }, this.header), this.spacer);
    this.element = h('div', { class: 'grid', role: 'grid', 'aria-label': t('grid'), 'aria-rowcount': 0, 'aria-colcount': columns.length + 1 }, this.viewport);
    this.element.style.setProperty('--columns', String(columns.length));
    this.viewport.addEventListener('scroll', () => this.schedule());
    this.element.addEventListener('keydown', (event) => this.key(event));
    this.body.addEventListener('focusin', () => this.showMessage());
    this.body.addEventListener('mouseover', (event) => this.hover(event));
    this.body.addEventListener('mouseleave', () => this.hover(null));
    // A grid taken off the page (another step) reports a last resize: it stops watching then.
    const resized = new ResizeObserver(() => (this.viewport.isConnected ? this.layout() : resized.disconnect()));
    resized.observe(this.viewport);
    this.layout();
    this.sync();
  }

  /** Shows only these rows (rows with errors), or every row with null; from the top unless
   * `keep` (a new check of the same view: the user stays where they are). */
  filter(rows: number[] | null, keep = false): void {
    this.order = rows;
    if (!keep) {
      this.active.index = 0;
      this.viewport.scrollTop = 0;
    }
    this.sync();
  }

  /** Reads rows again (after edits, another check): all, or the blocks holding `rows`. What is
   * on screen stays there until the new reading arrives, so nothing flickers or goes blank. */
  reload(rows?: number[]): void {
    const blocks = rows ? new Set(rows.map((row) => Math.floor((row - 1) / BLOCK))) : new Set(this.blocks.keys());
    for (const block of blocks) {
      if (this.blocks.get(block) instanceof Map) this.fetch(block, true);
      else this.blocks.delete(block);
    }
    this.sync();
  }

  /** Rows shown. */
  get length(): number {
    if (this.order) return this.order.length;
    return Math.max(0, (this.state.summary?.read.rows ?? 0) - this.deleted.length);
  }

  /** Recomputes sizes after rows were deleted or the summary changed, and draws. */
  sync(): void {
    this.deleted = [...this.state.deleted].sort((a, b) => a - b);
    if (this.order) this.order = this.order.filter((row) => !this.state.deleted.has(row));
    this.spacer.style.height = `${this.length * ROW_HEIGHT}px`;
    this.element.setAttribute('aria-rowcount', String(this.length + 1));
    this.active.index = Math.min(this.active.index, Math.max(0, this.length - 1));
    this.schedule();
  }

  focus(): void {
    (this.cellAt(this.active.index, this.active.col) ?? this.viewport).focus();
  }

  /** The data row number shown at position `index`. */
  rowAt(index: number): number {
    if (this.order) return this.order[index] ?? 0;
    let low = index + 1;
    let high = index + 1 + this.deleted.length;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (mid - countAtMost(this.deleted, mid) >= index + 1) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  /** Moves focus to an invalid cell anywhere in the file: scrolls to its row and reads it. */
  async goTo(place: ErrorPlace): Promise<void> {
    const index = this.indexOf(place.row);
    if (index < 0) return;
    await this.load(place.row);
    const col =
      place.column === null
        ? 0
        : Math.max(
            0,
            this.columns.findIndex((c) => c.key === place.column),
          );
    this.move(index, col);
    if (place.column === null) (this.cellAt(index, -1) ?? this.viewport).focus();
  }

  /** The invalid cells of data row `number`, by column key (null: the row), read if need be. */
  async invalidIn(number: number): Promise<(string | null)[]> {
    const row = await this.load(number);
    const listed = this.listedErrors().get(number) ?? [];
    const bad = new Set([...(row?.errors ?? []), ...listed, ...this.hostErrors(number)].map((e) => e.column));
    const cells = this.columns.filter((c) => bad.has(c.key)).map((c) => c.key);
    return bad.has(null) ? [null, ...cells] : cells;
  }

  /** Orders two column keys as the grid shows them (null, the row itself, first). */
  compare(a: string | null, b: string | null): number {
    const position = (key: string | null) => (key === null ? -1 : this.columns.findIndex((c) => c.key === key));
    return position(a) - position(b);
  }

  /** The cell the user was last on (null before they were on any). */
  get place(): ErrorPlace | null {
    if (!this.touched) return null;
    return { row: this.rowAt(this.active.index), column: this.columns[this.active.col]?.key ?? null };
  }

  /** Asks for the next (1) or previous (-1) invalid cell; the review step says where it is. */
  onStep: (direction: 1 | -1) => void = () => undefined;

  /** The position at which data row `number` shows, or -1 (deleted, or filtered out). */
  private indexOf(number: number): number {
    if (this.state.deleted.has(number)) return -1;
    if (this.order) return this.order.indexOf(number);
    return number <= (this.state.summary?.read.rows ?? 0) ? number - 1 - countAtMost(this.deleted, number) : -1;
  }

  /** Data row `number` as read by the parser, reading its block first if need be. */
  private async load(number: number): Promise<GridRow | undefined> {
    const block = Math.floor((number - 1) / BLOCK);
    if (!this.blocks.has(block)) this.fetch(block);
    const entry = this.blocks.get(block);
    if (entry instanceof Promise) await entry;
    const read = this.blocks.get(block);
    return read instanceof Map ? read.get(number) : undefined;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    if (this.editing) return;
    const height = this.viewport.clientHeight || 480;
    const scrolled = Math.max(0, this.viewport.scrollTop - this.header.offsetHeight);
    const first = Math.max(0, Math.floor(scrolled / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.length, Math.ceil((scrolled + height) / ROW_HEIGHT) + OVERSCAN);
    const hadFocus = this.element.contains(document.activeElement);
    // The grid's one tab stop must be on screen: scrolled away by the mouse, it follows.
    if (!hadFocus && this.length > 0 && (this.active.index < first || this.active.index >= last)) {
      this.active.index = Math.min(this.length - 1, first + OVERSCAN);
    }
    const rows: HTMLElement[] = [];
    for (let index = first; index < last; index += 1) rows.push(this.drawRow(index, this.rowAt(index)));
    this.body.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    replace(this.body, ...rows);
    this.hovered = null;
    if (hadFocus) this.focus();
    this.showMessage();
  }

  /** One column width for the header and every row: the room shared out, 120 px at least. */
  private layout(): void {
    const narrow = this.viewport.clientWidth > 0 && this.viewport.clientWidth < NARROW;
    const rowhead = narrow ? 56 : 76;
    const room = this.viewport.clientWidth - rowhead;
    const width = Math.max(MIN_COLUMN, Math.floor(room / Math.max(1, this.columns.length)));
    this.element.style.setProperty('--rowhead-width', `${rowhead}px`);
    this.element.style.setProperty('--column-width', `${width}px`);
    this.element.classList.toggle('narrow', narrow);
  }

  private hover(event: Event | null): void {
    const target = event?.target instanceof Element ? event.target.closest<HTMLElement>('.cell') : null;
    this.hovered = target?.classList.contains('invalid') ? target : null;
    this.showMessage();
  }

  /** Shows the hovered invalid cell's message, else the focused one's; under the cell too on a
   * narrow screen. */
  private showMessage(): void {
    const focused = document.activeElement instanceof HTMLElement && this.body.contains(document.activeElement) ? document.activeElement : null;
    const cell = this.hovered ?? (focused?.classList.contains('invalid') ? focused : null);
    const text = cell ? this.describe(cell) : '';
    if (this.message.textContent !== text) this.message.textContent = text;
    this.inline.hidden = !cell || !this.element.classList.contains('narrow');
    if (!cell || this.inline.hidden) return;
    this.inline.textContent = text;
    const { scrollLeft, clientWidth } = this.viewport;
    this.inline.style.maxWidth = `${clientWidth - 8}px`;
    this.inline.style.top = `${Number(cell.dataset['index']) * ROW_HEIGHT + ROW_HEIGHT}px`;
    const left = Math.min(cell.offsetLeft, scrollLeft + clientWidth - this.inline.offsetWidth - 4);
    this.inline.style.left = `${Math.max(scrollLeft, left)}px`;
  }

  /** "Row 4, E-mail: must be an email address" for an invalid cell on screen. */
  private describe(cell: HTMLElement): string {
    const col = Number(cell.dataset['col']);
    const column = col >= 0 ? (this.columns[col]?.label ?? '') : t('wholeRow');
    const row = cell.closest<HTMLElement>('.grid-row')?.dataset['row'] ?? '';
    return t('cellError', { row, column, message: cell.dataset['message'] ?? '' });
  }

  private drawRow(index: number, number: number): HTMLElement {
    const row = this.lookup(number);
    const listed = this.listedErrors().get(number) ?? [];
    const rowErrors = listed.filter((e) => e.column === null);
    const del = h(
      'button',
      {
        type: 'button',
        class: 'icon small',
        tabindex: '-1',
        'aria-label': t('deleteRow', { n: number }),
        'data-action': 'delete-row',
        on: { click: () => this.delete(number) },
      },
      '×',
    );
    const message = rowErrors.map(errorText).join('; ');
    const head = h(
      'div',
      {
        class: `cell rowhead${rowErrors.length ? ' invalid' : ''}`,
        role: 'rowheader',
        tabindex: '-1',
        'data-index': index,
        'data-col': -1,
        title: message || undefined,
        'data-message': message || undefined,
      },
      String(number),
      message ? h('span', { class: 'visually-hidden' }, `, ${message}`) : null,
      del,
    );
    const cells = this.columns.map((column, col) => this.drawCell(index, col, column, row, listed));
    return h(
      'div',
      {
        class: `grid-row${(row && !row.valid) || listed.length || this.hostErrors(number).length ? ' has-errors' : ''}`,
        role: 'row',
        'aria-rowindex': index + 2,
        'data-row': number,
      },
      head,
      ...cells,
    );
  }

  private drawCell(index: number, col: number, column: GridColumn, row: GridRow | undefined, listed: CellError[]): HTMLElement {
    const value = row ? this.valueOf(row, col, column) : '';
    const own = row?.errors.filter((e) => e.column === column.key) ?? [];
    // Duplicates only show in the whole-file check, and the host page's errors in its verdicts;
    // the row's own read cannot see either.
    const others = [...listed.filter((e) => e.code === 'duplicate'), ...(row ? this.hostErrors(row.row) : [])];
    const errors = [...own, ...others.filter((e) => e.column === column.key)];
    const edited = row ? Boolean(this.state.edits.get(row.row)?.[column.key] !== undefined) : false;
    const active = index === this.active.index && col === this.active.col;
    const cell = h(
      'div',
      {
        class: `cell${errors.length ? ' invalid' : ''}${edited ? ' edited' : ''}${row ? '' : ' loading'}`,
        role: 'gridcell',
        tabindex: active ? '0' : '-1',
        'data-index': index,
        'data-col': col,
        'data-key': column.key,
        'aria-invalid': errors.length ? 'true' : false,
        title: errors.map(errorText).join('\n') || undefined,
        'data-message': errors.map(errorText).join('; ') || undefined,
        'aria-readonly': column.editable ? false : 'true',
        on: {
          dblclick: () => this.edit(index, col),
          focus: () => {
            this.active = { index, col };
            this.touched = true;
          },
        },
      },
      value,
    );
    if (errors.length) cell.append(h('span', { class: 'visually-hidden' }, `, ${errors.map(errorText).join('; ')}`));
    return cell;
  }

  /** The host page's errors of data row `number` (`validateRows`), until an edit of the row is judged again. */
  private hostErrors(number: number): CellError[] {
    return this.state.edits.has(number) && this.state.stale ? [] : (this.state.hostChecks?.errors.get(number) ?? []);
  }

  /** The errors the last whole-file check listed in full, by row (the first 1,000). */
  private listedErrors(): Map<number, CellError[]> {
    const summary = this.state.summary;
    if (summary !== this.listedFor) {
      this.listedFor = summary;
      this.listed = new Map();
      for (const error of summary?.report.errors ?? []) {
        if (this.state.edits.has(error.row)) continue;
        this.listed.set(error.row, [...(this.listed.get(error.row) ?? []), error]);
      }
    }
    return this.listed;
  }

  /** What a cell shows: the user's edit at once, else what the parser read. */
  private valueOf(row: GridRow, col: number, column: GridColumn): string {
    return this.state.edits.get(row.row)?.[column.key] ?? row.values[col] ?? '';
  }

  private lookup(number: number): GridRow | undefined {
    const block = Math.floor((number - 1) / BLOCK);
    const entry = this.blocks.get(block);
    if (entry instanceof Map) return entry.get(number);
    if (!entry) this.fetch(block);
    return undefined;
  }

  private fetch(block: number, keep = false): void {
    const summary = this.state.summary;
    if (!summary || !this.state.file) return;
    const from = block * BLOCK + 1;
    const loading = readRows(this.state.file, {
      summary,
      schema: this.state.schema,
      from,
      to: from + BLOCK,
      reader: readerOptions(this.state),
      mapping: mappingSpec(this.state),
      patches: { set: cellPatches(this.state), rules: this.state.rules },
    }).then(
      (rows) => {
        this.blocks.set(block, new Map(rows.map((r) => [r.row, r])));
        while (this.blocks.size > CACHE_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number);
        this.schedule();
      },
      () => {
        if (!keep) this.blocks.delete(block);
      },
    );
    if (!keep) this.blocks.set(block, loading);
  }

  private cellAt(index: number, col: number): HTMLElement | null {
    return this.body.querySelector<HTMLElement>(`[data-index="${index}"][data-col="${col}"]`);
  }

  private move(index: number, col: number): void {
    this.touched = true;
    this.active = { index: Math.max(0, Math.min(this.length - 1, index)), col: Math.max(0, Math.min(this.columns.length - 1, col)) };
    const head = this.header.offsetHeight;
    const top = this.active.index * ROW_HEIGHT;
    if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
    else if (top + ROW_HEIGHT + head > this.viewport.scrollTop + this.viewport.clientHeight)
      this.viewport.scrollTop = top + ROW_HEIGHT + head - this.viewport.clientHeight;
    this.draw();
    this.reveal(this.cellAt(this.active.index, this.active.col));
    this.focus();
  }

  /** Scrolls sideways so that `cell` is clear of the sticky row numbers and the right edge. */
  private reveal(cell: HTMLElement | null): void {
    if (!cell) return;
    const rowhead = this.header.firstElementChild instanceof HTMLElement ? this.header.firstElementChild.offsetWidth : 0;
    const { scrollLeft, clientWidth } = this.viewport;
    if (cell.offsetLeft - rowhead < scrollLeft) this.viewport.scrollLeft = cell.offsetLeft - rowhead;
    else if (cell.offsetLeft + cell.offsetWidth > scrollLeft + clientWidth) this.viewport.scrollLeft = cell.offsetLeft + cell.offsetWidth - clientWidth;
  }

  private key(event: KeyboardEvent): void {
    if (this.editing) return;
    const { index, col } = this.active;
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / ROW_HEIGHT) - 1);
    const moves: Record<string, () => void> = {
      ArrowDown: () => this.move(index + 1, col),
      ArrowUp: () => this.move(index - 1, col),
      ArrowRight: () => this.move(index, col + 1),
      ArrowLeft: () => this.move(index, col - 1),
      PageDown: () => this.move(index + page, col),
      PageUp: () => this.move(index - page, col),
      Home: () => (event.ctrlKey ? this.move(0, 0) : this.move(index, 0)),
      End: () => (event.ctrlKey ? this.move(this.length - 1, col) : this.move(index, this.columns.length - 1)),
      Enter: () => this.edit(index, col),
      F2: () => this.edit(index, col),
      Delete: () => (event.shiftKey || event.ctrlKey ? this.delete(this.rowAt(index)) : undefined),
      F8: () => this.onStep(event.shiftKey ? -1 : 1),
    };
    const action = moves[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  }

  private edit(index: number, col: number): void {
    const column = this.columns[col];
    const cell = this.cellAt(index, col);
    const number = this.rowAt(index);
    const row = this.lookup(number);
    if (!column?.editable || !cell || !row) return;
    this.editing = true;
    const input = editor(this.state, column, this.valueOf(row, col, column), `${t('row')} ${number}, ${column.label}`);
    let done = false;
    const finish = (save: boolean) => {
      if (done) return;
      done = true;
      this.editing = false;
      if (save && input.value !== this.valueOf(row, col, column)) {
        rememberEdit(this.state, number, t('undoEdit', { row: number, column: column.label }));
        this.state.edits.set(number, { ...this.state.edits.get(number), [column.key]: input.value });
        this.state.stale = true;
        this.reload([number]);
        this.onChange();
      }
      this.draw();
      this.focus();
    };
    input.addEventListener('keydown', (event: Event) => {
      const { key } = event as KeyboardEvent;
      if (key === 'Enter') {
        event.preventDefault();
        event.stopPropagation();
        finish(true);
      } else if (key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        finish(false);
      } else if (key === 'Tab') {
        finish(true);
      }
    });
    input.addEventListener('blur', () => finish(true));
    replace(cell, input);
    input.focus();
    if (input instanceof HTMLInputElement) input.select();
  }

  private delete(number: number): void {
    if (!number || this.state.deleted.has(number)) return;
    rememberDeletion(this.state, [number], t('undoDelete', { n: number }));
    this.state.deleted.add(number);
    this.state.stale = true;
    this.sync();
    this.onChange();
  }
}

/** A cell's editor: for an enum or boolean column, a list of its allowed values (the cell's
 * own value first when it is not one of them, so leaving the list changes nothing); else text. */
function editor(state: State, column: GridColumn, value: string, label: string): HTMLInputElement | HTMLSelectElement {
  const allowed = allowedValues(state.schema, column.key);
  if (!allowed) return h('input', { type: 'text', class: 'cell-input', value, spellcheck: false, autocomplete: 'off', 'aria-label': label });
  const own = allowed.some((a) => a.value === value) ? [] : [{ value, label: value }];
  const select = h(
    'select',
    { class: 'cell-input', 'aria-label': label, 'data-field': 'cell-values' },
    ...[...own, ...allowed].map((a) => h('option', { value: a.value }, a.label)),
  );
  select.value = value;
  return select;
}

/** An error as the grid says it, in the user's language: a workbook's cell first
 * (`Customers!D6: …`), so that the user can find it in the spreadsheet too. */
function errorText(error: CellError): string {
  const message = cellMessage(error);
  return error.cell ? `${error.cell}: ${message}` : message;
}

/** How many of the sorted numbers are ≤ n. */
function countAtMost(sorted: number[], n: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid]! <= n) low = mid + 1;
    else high = mid;
  }
  return low;
}
