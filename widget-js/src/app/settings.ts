// Step 2: how the file is read — encoding, delimiter, header row — as detected, each
// overridable, with a live preview of the first rows.
import { sniff, type Preview } from '@sluice/parser';
import { h, replace, uid } from './dom';
import { readError } from './refusal';
import { t, type StringKey } from './strings';
import { fileHead, headOptions, type State } from './state';
import type { Shell, Step } from './main';

const PREVIEW_ROWS = 12;
const NOTHING: Preview = { layout: null, rows: [] };
const ENCODINGS = ['utf-8', 'windows-1252', 'iso-8859-15', 'utf-16le', 'utf-16be', 'macintosh', 'shift_jis', 'gb18030', 'big5', 'euc-kr', 'windows-1251', 'iso-8859-2'];
const DELIMITERS: Array<[string, StringKey | null]> = [[',', 'comma'], [';', 'semicolon'], ['\t', 'tab'], ['|', 'pipe']];

export async function settingsStep(state: State, shell: Shell): Promise<Step> {
  const file = state.file!;
  const head = await fileHead(file);
  const table = h('div', { class: 'preview', role: 'region', 'aria-label': t('preview'), tabindex: '0' });
  const controls = h('div', { class: 'controls' });
  const problem = h('p', { class: 'error', role: 'alert', 'data-field': 'read-error' });
  const render = (changed?: string) => {
    // A choice can make the file unreadable (a header row with no rows below it): say so and
    // keep the choices, so that another can be made.
    try {
      state.preview = sniff(head, { ...headOptions(state, file, head), previewRows: PREVIEW_ROWS + 1 });
      problem.textContent = '';
    } catch (error) {
      state.preview = null;
      problem.textContent = readError(error);
    }
    state.stale = true;
    state.summary = null;
    if (changed) {
      // Rows are numbered anew: fixes and deletions made for the old reading would hit other rows.
      state.edits = new Map();
      state.deleted = new Set();
      state.version += 1;
    }
    replace(controls, ...selects(state, state.preview ?? NOTHING, render));
    if (changed) controls.querySelector<HTMLElement>(`[data-field="${changed}"]`)?.focus();
    replace(table, previewTable(state.preview ?? NOTHING));
    shell.refresh();
  };
  render();
  const body = h('div', { class: 'settings' }, h('p', { class: 'file-name' }, file.name), controls, problem, h('h3', {}, t('preview')), table);
  return { title: 'stepSettings', body, next: () => true, canNext: () => Boolean(state.preview?.layout) };
}

function selects(state: State, preview: Preview, render: (changed?: string) => void): HTMLElement[] {
  const layout = preview.layout;
  const detected = (text: string) => `${text} (${t('detected')})`;
  const encoding = layout?.encoding.encoding.toLowerCase() ?? 'utf-8';
  const encodings = ENCODINGS.includes(encoding) ? ENCODINGS : [encoding, ...ENCODINGS];
  const delimiter = layout?.dialect.delimiter ?? ',';
  const headerRecord = layout?.header.record ?? null;
  return [
    field(t('encoding'), 'encoding', encodings.map((e) => [e, e === encoding && !state.reader.encoding ? detected(e) : e]), encoding, (value) => {
      state.reader = { ...state.reader, encoding: value };
      render('encoding');
    }),
    field(t('delimiter'), 'delimiter', DELIMITERS.map(([d, key]) => [d, d === delimiter && !state.reader.delimiter ? detected(key ? t(key) : d) : key ? t(key) : d]), delimiter, (value) => {
      state.reader = { ...state.reader, delimiter: value };
      render('delimiter');
    }),
    field(t('headerRow'), 'header', [['none', t('noHeader')], ...Array.from({ length: 10 }, (_, i) => [String(i + 1), t('rowN', { n: i + 1 })] as [string, string])],
      headerRecord === null ? 'none' : String(headerRecord), (value) => {
        state.reader = { ...state.reader, header: value === 'none' ? 'none' : Number(value) };
        render('header');
      }),
  ];
}

function field(label: string, name: string, options: Array<[string, string]>, value: string, change: (value: string) => void): HTMLElement {
  const id = uid(name);
  const select = h('select', { id, 'data-field': name, on: { change: () => change(select.value) } },
    ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  return h('div', { class: 'field' }, h('label', { for: id }, label), select);
}

function previewTable(preview: Preview): HTMLElement {
  const names = preview.layout?.header.names ?? [];
  const rows = preview.rows.slice(0, PREVIEW_ROWS);
  return h('table', {},
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '#'), ...names.map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, h('th', { scope: 'row' }, row.row), ...row.fields.map((f) => h('td', {}, f))))));
}
