// Step 1: the file (CSV or other text, or a workbook), by drag and drop, file picker or paste,
// with a template to fill in for who has no file yet. A file the parser refuses outright (empty,
// a header without rows, a damaged workbook or another file that is neither text nor a
// spreadsheet) is refused here, saying what to do, before any other step.
import { templateCsv } from '@sluice/parser';
import { h, fileSize, uid } from './dom';
import { refusalOf } from './refusal';
import { language, t } from './strings';
import { minRows, type State } from './state';
import type { Shell, Step } from './main';

/** What the file input offers: text files and workbooks, by extension and by type. */
const ACCEPT = [
  '.csv',
  '.tsv',
  '.txt',
  '.xlsx',
  '.xlsm',
  '.xlsb',
  '.xls',
  '.ods',
  'text/csv',
  'text/tab-separated-values',
  'text/plain',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.ms-excel.sheet.macroEnabled.12',
  'application/vnd.ms-excel.sheet.binary.macroEnabled.12',
  'application/vnd.ms-excel',
  'application/vnd.oasis.opendocument.spreadsheet',
].join(',');

export function uploadStep(state: State, shell: Shell): Step {
  const max = state.config.limits.maxFileSize;
  const error = h('p', { class: 'error', role: 'alert' });
  const accept = async (file: File) => {
    if (file.size === 0 && minRows(state) > 0) {
      error.textContent = t('emptyFile');
      return;
    }
    if (file.size > max) {
      error.textContent = t('tooLarge', { size: fileSize(file.size, language()), max: fileSize(max, language()) });
      return;
    }
    const refused = await refusalOf(state, file);
    if (refused) {
      error.textContent = refused;
      // The same file chosen again (once fixed) must fire `change` again.
      input.value = '';
      return;
    }
    error.textContent = '';
    if (state.file !== file) resetFor(state, file);
    void shell.go(1);
  };
  const input = h('input', {
    type: 'file',
    id: uid('file'),
    class: 'visually-hidden',
    tabindex: '-1',
    accept: ACCEPT,
    on: { change: () => input.files?.[0] && void accept(input.files[0]) },
  });
  const chooseButton = h('button', { type: 'button', class: 'primary', 'data-action': 'choose', on: { click: () => input.click() } }, t('choose'));
  const zone = h(
    'div',
    { class: 'dropzone' },
    h('p', { class: 'drop-title' }, t('dropTitle')),
    h('p', {}, t('dropOr')),
    chooseButton,
    input,
    h('p', { class: 'hint', 'data-field': 'formats' }, t('formats')),
    h('p', { class: 'hint' }, t('dropHint', { size: fileSize(max, language()) })),
  );
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) void accept(file);
  });
  const pasteId = uid('paste');
  const paste = h('textarea', { id: pasteId, rows: 4, spellcheck: false, autocomplete: 'off', 'data-field': 'paste' });
  const usePaste = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      'data-action': 'use-paste',
      on: { click: () => paste.value.trim() && void accept(new File([paste.value], `${t('pasted')}.csv`, { type: 'text/csv' })) },
    },
    t('pasteUse'),
  );
  const templateHintId = uid('template');
  const template = h(
    'p',
    { class: 'template' },
    h(
      'button',
      { type: 'button', class: 'link', 'data-action': 'template', 'aria-describedby': templateHintId, on: { click: () => downloadTemplate(state) } },
      t('template'),
    ),
    ' ',
    h('span', { class: 'hint', id: templateHintId }, t('templateHint')),
  );
  const body = h(
    'div',
    { class: 'upload' },
    zone,
    template,
    h('div', { class: 'paste' }, h('label', { for: pasteId }, t('pasteLabel')), paste, usePaste),
    error,
  );
  const chosen = state.file;
  // Back from a later step: the same file goes on with everything decided for it.
  return chosen ? { title: 'stepUpload', body, next: () => true } : { title: 'stepUpload', body };
}

/** Saves the template of the schema in use (the host page's columns too): its labels in the
 * user's language and an example row, as `<importer name>-template.csv`. */
function downloadTemplate(state: State): void {
  const csv = templateCsv(state.schema, { language: language() });
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const link = h('a', { href: url, download: `${state.config.name}-template.csv`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** A new file: everything decided for the last one is forgotten. */
function resetFor(state: State, file: File): void {
  state.file = file;
  state.sheets = null;
  state.reader = {};
  state.preview = null;
  state.match = null;
  state.mapping = {};
  state.mappedHeaders = [];
  state.edits = new Map();
  state.deleted = new Set();
  state.rules = [];
  state.undo = [];
  state.summary = null;
  state.kept = null;
  state.stale = true;
}
