// The review grid: a virtual window over every row of the file. Rows are read on demand through
// the parser's row index, 256 at a time, so a 1M-row file costs what is on screen. Invalid
// cells carry their messages; cells edit in place; rows delete; arrow keys move between cells.
import { readRows, type CellError, type GridRow } from '@sluice/parser';
import { cellMessage } from './cellmessages';
import { h, replace } from './dom';
import { t } from './strings';
import { allowedValues, mappingSpec, readerOptions, type State } from './state';
import { rememberDeletion, rememberEdit } from './undo';

const ROW_HEIGHT = 34;
const BLOCK = 256;
const OVERSCAN = 6;
const CACHE_BLOCKS = 48;

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

  constructor(
    private readonly state: State,
    private readonly columns: GridColumn[],
    private readonly onChange: () => void,
  ) {
    this.header = h('div', { class: 'grid-row grid-head', role: 'row' },
      h('div', { class: 'cell rowhead', role: 'columnheader' }, t('row')),
      ...columns.map((c) => h('div', { class: 'cell', role: 'columnheader', title: c.key }, c.label)));
    this.body = h('div', { class: 'grid-body', role: 'rowgroup' });
    this.spacer = h('div', { class: 'grid-spacer' }, this.body);
    // The header scrolls sideways with the rows and stays on top (sticky) as they scroll down.
    this.viewport = h('div', { class: 'grid-viewport', tabindex: '-1' }, h('div', { role: 'rowgroup', class: 'grid-headgroup' }, this.header), this.spacer);
    this.element = h('div', { class: 'grid', role: 'grid', 'aria-label': t('grid'), 'aria-rowcount': 0, 'aria-colcount': columns.length + 1 }, this.viewport);
    this.element.style.setProperty('--columns', String(columns.length));
    this.viewport.addEventListener('scroll', () => this.schedule());
    this.element.addEventListener('keydown', (event) => this.key(event));
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
    if (hadFocus) this.focus();
  }

  private drawRow(index: number, number: number): HTMLElement {
    const row = this.lookup(number);
    const listed = this.listedErrors().get(number) ?? [];
    const rowErrors = listed.filter((e) => e.column === null);
    const del = h('button', {
      type: 'button', class: 'icon small', tabindex: '-1', 'aria-label': t('deleteRow', { n: number }), 'data-action': 'delete-row',
      on: { click: () => this.delete(number) },
    }, '×');
    const message = rowErrors.map(errorText).join('; ');
    const head = h('div', {
      class: `cell rowhead${rowErrors.length ? ' invalid' : ''}`, role: 'rowheader', tabindex: '-1', 'data-index': index, 'data-col': -1,
      title: message || undefined,
    }, String(number), message ? h('span', { class: 'visually-hidden' }, `, ${message}`) : null, del);
    const cells = this.columns.map((column, col) => this.drawCell(index, col, column, row, listed));
    return h('div', { class: `grid-row${(row && !row.valid) || listed.length ? ' has-errors' : ''}`, role: 'row', 'aria-rowindex': index + 2, 'data-row': number }, head, ...cells);
  }

  private drawCell(index: number, col: number, column: GridColumn, row: GridRow | undefined, listed: CellError[]): HTMLElement {
    const value = row ? this.valueOf(row, col, column) : '';
    const own = row?.errors.filter((e) => e.column === column.key) ?? [];
    // Duplicates only show in the whole-file check; the row's own read cannot see them.
    const errors = [...own, ...listed.filter((e) => e.column === column.key && e.code === 'duplicate')];
    const edited = row ? Boolean(this.state.edits.get(row.row)?.[column.key] !== undefined) : false;
    const active = index === this.active.index && col === this.active.col;
    const cell = h('div', {
      class: `cell${errors.length ? ' invalid' : ''}${edited ? ' edited' : ''}${row ? '' : ' loading'}`,
      role: 'gridcell', tabindex: active ? '0' : '-1', 'data-index': index, 'data-col': col, 'data-key': column.key,
      'aria-invalid': errors.length ? 'true' : false,
      title: errors.map(errorText).join('\n') || undefined,
      'aria-readonly': column.editable ? false : 'true',
      on: { dblclick: () => this.edit(index, col), focus: () => (this.active = { index, col }) },
    }, value);
    if (errors.length) cell.append(h('span', { class: 'visually-hidden' }, `, ${errors.map(errorText).join('; ')}`));
    return cell;
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
      summary, schema: this.state.schema, from, to: from + BLOCK,
      reader: readerOptions(this.state), mapping: mappingSpec(this.state),
      patches: { set: Object.fromEntries(this.state.edits), rules: this.state.rules },
    }).then((rows) => {
      this.blocks.set(block, new Map(rows.map((r) => [r.row, r])));
      while (this.blocks.size > CACHE_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number);
      this.schedule();
    }, () => {
      if (!keep) this.blocks.delete(block);
    });
    if (!keep) this.blocks.set(block, loading);
  }

  private cellAt(index: number, col: number): HTMLElement | null {
    return this.body.querySelector<HTMLElement>(`[data-index="${index}"][data-col="${col}"]`);
  }

  private move(index: number, col: number): void {
    this.active = { index: Math.max(0, Math.min(this.length - 1, index)), col: Math.max(0, Math.min(this.columns.length - 1, col)) };
    const head = this.header.offsetHeight;
    const top = this.active.index * ROW_HEIGHT;
    if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
    else if (top + ROW_HEIGHT + head > this.viewport.scrollTop + this.viewport.clientHeight) this.viewport.scrollTop = top + ROW_HEIGHT + head - this.viewport.clientHeight;
    this.draw();
    this.focus();
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
  const select = h('select', { class: 'cell-input', 'aria-label': label, 'data-field': 'cell-values' },
    ...[...own, ...allowed].map((a) => h('option', { value: a.value }, a.label)));
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
