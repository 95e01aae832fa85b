// Step 2: how the file is read, as detected and overridable: for a text file its encoding and
// delimiter, for a workbook its sheet; for both the header row, picked by clicking it in a
// preview of the first rows as they are in the file.
import { isWorkbook, listSheets, sniff, type Preview, type SheetInfo } from '@sluice/parser';
import { count, h, replace, uid } from './dom';
import { readError } from './refusal';
import { language, t, tn, type StringKey } from './strings';
import { fileHead, headOptions, type State } from './state';
import type { Shell, Step } from './main';

const PREVIEW_ROWS = 12;
const NOTHING: Preview = { layout: null, rows: [] };
const ENCODINGS = [
  'utf-8',
  'windows-1252',
  'iso-8859-15',
  'utf-16le',
  'utf-16be',
  'macintosh',
  'shift_jis',
  'gb18030',
  'big5',
  'euc-kr',
  'windows-1251',
  'iso-8859-2',
];
const DELIMITERS: Array<[string, StringKey | null]> = [
  [',', 'comma'],
  [';', 'semicolon'],
  ['\t', 'tab'],
  ['|', 'pipe'],
];

export async function settingsStep(state: State, shell: Shell): Promise<Step> {
  const file = state.file!;
  const head = await fileHead(file);
  const problem = h('p', { class: 'error', role: 'alert', 'data-field': 'read-error' });
  if (isWorkbook(head)) await pickSheet(state, head, problem);
  const table = h('div', { class: 'preview', role: 'region', 'aria-label': t('preview'), tabindex: '0' });
  const controls = h('div', { class: 'controls' });
  let raw = NOTHING;
  const render = (changed?: string) => {
    // A choice can make the file unreadable (a header row with no rows below it): say so and
    // keep the choices, so that another can be made.
    try {
      if (changed !== 'header') raw = sniff(head, { ...headOptions(state, file, head), header: 'none', previewRows: PREVIEW_ROWS });
      state.preview = sniff(head, { ...headOptions(state, file, head), previewRows: PREVIEW_ROWS + 1 });
      problem.textContent = '';
    } catch (error) {
      state.preview = null;
      problem.textContent = readError(error);
    }
    state.stale = true;
    state.summary = null;
    state.kept = null;
    if (changed) {
      // Rows are numbered anew: fixes and deletions made for the old reading would hit other rows.
      state.edits = new Map();
      state.deleted = new Set();
      state.rules = [];
      state.undo = [];
      state.version += 1;
    }
    replace(
      controls,
      ...(state.sheets ? [sheetField(state, state.sheets, render)] : selects(state, state.preview ?? NOTHING, render)),
      noHeader(state, render),
    );
    replace(table, rawTable(state, raw, render));
    if (changed === 'header') table.querySelector<HTMLElement>('[aria-pressed="true"]')?.focus();
    else if (changed) controls.querySelector<HTMLElement>(`[data-field="${changed}"]`)?.focus();
    shell.refresh();
  };
  render();
  const body = h(
    'div',
    { class: 'settings' },
    h('p', { class: 'file-name' }, file.name),
    controls,
    problem,
    h('h3', {}, t('preview')),
    h('p', { class: 'hint' }, t('headerPick')),
    table,
  );
  return { title: 'stepSettings', body, next: () => true, canNext: () => Boolean(state.preview?.layout) };
}

/** Lists a workbook's sheets once, and picks the first visible one with rows unless one is. */
async function pickSheet(state: State, workbook: Uint8Array, problem: HTMLElement): Promise<void> {
  try {
    state.sheets ??= await listSheets(workbook);
  } catch (error) {
    state.sheets = [];
    problem.textContent = readError(error);
  }
  const first = state.sheets.find((s) => s.kind === 'worksheet' && s.visible && (s.rows ?? 0) > 0);
  if (!state.reader.sheet && first) state.reader = { ...state.reader, sheet: first.name };
}

function sheetField(state: State, sheets: SheetInfo[], render: (changed?: string) => void): HTMLElement {
  const label = (sheet: SheetInfo) => {
    if (sheet.kind === 'chart') return t('sheetChart', { name: sheet.name });
    const rows = sheet.rows ?? 0;
    return tn(sheet.visible ? 'sheetRows' : 'sheetHidden', rows, count(rows, language()), { name: sheet.name });
  };
  const id = uid('sheet');
  const select = h(
    'select',
    {
      id,
      'data-field': 'sheet',
      on: {
        change: () => {
          // Another sheet has its own header row.
          state.reader = { ...state.reader, sheet: select.value, header: undefined };
          render('sheet');
        },
      },
    },
    ...sheets.map((sheet) => h('option', { value: sheet.name, disabled: sheet.kind === 'chart', selected: sheet.name === state.reader.sheet }, label(sheet))),
  );
  return h('div', { class: 'field' }, h('label', { for: id }, t('sheet')), select);
}

function selects(state: State, preview: Preview, render: (changed?: string) => void): HTMLElement[] {
  const layout = preview.layout;
  const detected = (text: string) => `${text} (${t('detected')})`;
  const encoding = layout?.encoding.encoding.toLowerCase() ?? 'utf-8';
  const encodings = ENCODINGS.includes(encoding) ? ENCODINGS : [encoding, ...ENCODINGS];
  const delimiter = layout?.dialect.delimiter ?? ',';
  return [
    field(
      t('encoding'),
      'encoding',
      encodings.map((e) => [e, e === encoding && !state.reader.encoding ? detected(e) : e]),
      encoding,
      (value) => {
        state.reader = { ...state.reader, encoding: value };
        render('encoding');
      },
    ),
    field(
      t('delimiter'),
      'delimiter',
      DELIMITERS.map(([d, key]) => [d, d === delimiter && !state.reader.delimiter ? detected(key ? t(key) : d) : key ? t(key) : d]),
      delimiter,
      (value) => {
        state.reader = { ...state.reader, delimiter: value };
        render('delimiter');
      },
    ),
  ];
}

/** "No header row": the columns are then named column_1, column_2, … */
function noHeader(state: State, render: (changed?: string) => void): HTMLElement {
  const id = uid('no-header');
  const box = h('input', {
    type: 'checkbox',
    id,
    'data-field': 'no-header',
    checked: state.reader.header === 'none',
    on: {
      change: () => {
        state.reader = { ...state.reader, header: box.checked ? 'none' : undefined };
        render('no-header');
      },
    },
  });
  return h('div', { class: 'check' }, box, h('label', { for: id }, t('noHeader')));
}

function field(label: string, name: string, options: Array<[string, string]>, value: string, change: (value: string) => void): HTMLElement {
  const id = uid(name);
  const select = h(
    'select',
    { id, 'data-field': name, on: { change: () => change(select.value) } },
    ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
  );
  return h('div', { class: 'field' }, h('label', { for: id }, label), select);
}

/**
 * The first rows as they are in the file; the header row is marked (detected or chosen) and the
 * rows above it are dimmed as skipped. Clicking a row, or Enter on its button, makes it the
 * header: its number is the record in a text file, the sheet's own row number in a workbook.
 */
function rawTable(state: State, raw: Preview, render: (changed?: string) => void): HTMLElement {
  const header = state.preview?.layout?.header.record ?? null;
  const width = Math.max(0, ...raw.rows.map((row) => row.fields.length));
  const numbered = raw.rows.map((row) => ({ row, n: state.sheets ? row.line : row.row }));
  const choose = (n: number) => {
    state.reader = { ...state.reader, header: n };
    render('header');
  };
  return h(
    'table',
    { class: 'raw' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('row')), ...Array.from({ length: width }, (_, i) => h('th', { scope: 'col' }, i + 1)))),
    h(
      'tbody',
      {},
      ...numbered.map(({ row, n }) => {
        const chosen = n === header;
        const skipped = header !== null && n < header;
        const button = h(
          'button',
          {
            type: 'button',
            class: 'row-pick',
            'data-header-row': n,
            'aria-pressed': chosen ? 'true' : 'false',
            'aria-label': t('useAsHeader', { n }),
          },
          String(n),
        );
        return h(
          'tr',
          { class: chosen ? 'header-row' : skipped ? 'skipped' : '', 'data-line': n, on: { click: () => choose(n) } },
          h(
            'th',
            { scope: 'row' },
            button,
            chosen ? h('span', { class: 'badge' }, t('headerBadge')) : skipped ? h('span', { class: 'note' }, ` ${t('skipped')}`) : null,
          ),
          ...row.fields.map((f) => h('td', {}, f)),
        );
      }),
    ),
  );
}
