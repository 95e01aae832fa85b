// Step 3: which column of the file feeds each field of the schema. Suggestions come with their
// confidence and how well the column's sample values fit the field (see fit.ts); every choice
// can be changed; required fields must have a column; the file's other columns are left out,
// kept, or (when the importer asks) the user's choice. Choices are remembered on this device
// when the host page allows it (`rememberMapping`), and on the server per file layout
// (memory.ts), used when the device has none.
import { matchColumns, type SchemaColumn } from '@sluice/parser';
import { h, replace, uid } from './dom';
import { fitNotes, sampleRows } from './fit';
import { fieldHint, fieldLabel } from './labels';
import { keep, recall } from './memory';
import { t } from './strings';
import type { State } from './state';
import type { Shell, Step } from './main';

export async function mappingStep(state: State, shell: Shell): Promise<Step> {
  const headers = state.preview?.layout?.header.names ?? [];
  const remembered = restore(state, headers) ?? (await recalled(state, headers));
  if (remembered) {
    state.mapping = remembered.mapping;
    if (state.config.unmappedColumns === 'ask') state.unmapped = remembered.unmapped;
    state.mappedHeaders = headers;
  } else if (Object.keys(state.mapping).length === 0 || !sameHeaders(state, headers)) {
    suggest(state, headers);
  }
  const samples = sampleValues(state);
  const problems = h('p', { class: 'error', role: 'alert' });
  const unused = h('div', { class: 'unmapped' });
  const rows = h('tbody');
  const render = () => {
    replace(rows, ...state.schema.columns.map((column) => mappingRow(state, column, headers, samples, render)));
    const missing = missingRequired(state);
    problems.textContent = missing.length ? t('requiredMissing', { fields: missing.join(', ') }) : '';
    replace(unused, ...unmappedChoice(state, headers));
    state.stale = true;
    state.summary = null;
    state.kept = null;
    shell.refresh();
  };
  render();
  const body = h(
    'div',
    { class: 'mapping' },
    h('p', {}, t('mapIntro')),
    remembered ? h('p', { class: 'note' }, t('remembered')) : null,
    h(
      'table',
      { class: 'map-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('field')), h('th', { scope: 'col' }, t('fileColumn')), h('th', { scope: 'col' }, t('sample')))),
      rows,
    ),
    problems,
    unused,
  );
  return {
    title: 'stepMap',
    body,
    canNext: () => missingRequired(state).length === 0,
    next: () => {
      remember(state, headers);
      keep(state, headers, state.mapping);
      return missingRequired(state).length === 0;
    },
  };
}

/** The parser's suggestions, one header per field at most. */
function suggest(state: State, headers: string[]): void {
  const match = matchColumns(headers, state.schema, sampleRows(state));
  state.match = match;
  state.mapping = Object.fromEntries(match.suggestions.map((s) => [s.columnKey, s.header]));
  state.mappedHeaders = headers;
}

function sameHeaders(state: State, headers: string[]): boolean {
  return state.mappedHeaders.join('\u001f') === headers.join('\u001f');
}

function mappingRow(state: State, column: SchemaColumn, headers: string[], samples: Map<string, string[]>, render: () => void): HTMLElement {
  const id = uid('map');
  const current = state.mapping[column.key] ?? '';
  const suggestion = state.match?.suggestions.find((s) => s.columnKey === column.key && s.header === current);
  const use = (header: string) => {
    choose(state, column.key, header);
    render();
    document.querySelector<HTMLElement>(`[data-column="${CSS.escape(column.key)}"]`)?.focus();
  };
  const select = h(
    'select',
    { id, 'data-column': column.key, on: { change: () => use(select.value) } },
    h('option', { value: '' }, t('notInFile')),
    ...headers.map((header) => h('option', { value: header, selected: header === current }, header)),
  );
  const hint = fieldHint(state, column);
  return h(
    'tr',
    { class: column.required && !current ? 'missing' : '' },
    h(
      'th',
      { scope: 'row' },
      h('label', { for: id }, fieldLabel(state, column)),
      column.required ? h('span', { class: 'badge required' }, t('required')) : null,
      hint ? h('p', { class: 'field-hint', 'data-field': 'hint' }, hint) : null,
    ),
    h(
      'td',
      {},
      select,
      suggestion
        ? h('span', { class: 'badge', title: `${suggestion.method} ${t('match')}` }, t('confidence', { p: Math.round(suggestion.confidence * 100) }))
        : null,
      ...fitNotes(suggestion, use),
    ),
    h('td', { class: 'samples' }, (samples.get(current) ?? []).join(' · ')),
  );
}

/** Maps `header` to the field `key` (nothing when empty), taking it from any other field. */
function choose(state: State, key: string, header: string): void {
  for (const [other, value] of Object.entries(state.mapping)) if (value === header && other !== key) delete state.mapping[other];
  if (header) state.mapping[key] = header;
  else delete state.mapping[key];
}

function unmappedChoice(state: State, headers: string[]): HTMLElement[] {
  const used = new Set(Object.values(state.mapping));
  const rest = headers.filter((header) => !used.has(header));
  if (rest.length === 0) return [];
  const chips = h('p', { class: 'chips' }, ...rest.map((header) => h('span', { class: 'chip' }, header)));
  const policy = state.config.unmappedColumns ?? 'leave_out';
  if (policy !== 'ask') {
    return [
      h('h3', {}, t('unmappedTitle')),
      chips,
      h('p', { class: 'note', 'data-field': 'unmapped-note' }, t(policy === 'keep' ? 'unmappedKept' : 'unmappedLeftOut')),
    ];
  }
  const name = uid('unmapped');
  const radio = (value: 'keep' | 'ignore', text: string) => {
    const id = uid('unmapped');
    return h(
      'div',
      { class: 'radio' },
      h('input', { type: 'radio', id, name, value, checked: state.unmapped === value, on: { change: () => (state.unmapped = value) } }),
      h('label', { for: id }, text),
    );
  };
  return [
    h('h3', {}, t('unmappedTitle')),
    chips,
    h('fieldset', {}, h('legend', { class: 'visually-hidden' }, t('unmappedTitle')), radio('ignore', t('unmappedIgnore')), radio('keep', t('unmappedKeep'))),
  ];
}

function missingRequired(state: State): string[] {
  return state.schema.columns.filter((c) => c.required && !state.mapping[c.key] && c.default === undefined).map((c) => fieldLabel(state, c));
}

/** The first few values of each header, from the preview. */
function sampleValues(state: State): Map<string, string[]> {
  const names = state.preview?.layout?.header.names ?? [];
  const out = new Map<string, string[]>();
  names.forEach((name, i) =>
    out.set(
      name,
      (state.preview?.rows ?? [])
        .slice(0, 3)
        .map((r) => r.fields[i] ?? '')
        .filter(Boolean),
    ),
  );
  return out;
}

/** The server's memory of this layout, when the page's own memory has none. */
async function recalled(state: State, headers: string[]): Promise<{ mapping: Record<string, string>; unmapped: 'keep' | 'ignore' } | null> {
  if (Object.keys(state.mapping).length > 0) return null;
  const mapping = await recall(state, headers);
  return mapping ? { mapping, unmapped: state.unmapped } : null;
}

function storageKey(state: State, headers: string[]): string {
  return `sluice:mapping:${state.importerKey}:${headers.join('\u001f')}`;
}

function restore(state: State, headers: string[]): { mapping: Record<string, string>; unmapped: 'keep' | 'ignore' } | null {
  if (!state.settings.options.rememberMapping || Object.keys(state.mapping).length > 0) return null;
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey(state, headers)) ?? 'null');
    if (!saved || typeof saved.mapping !== 'object') return null;
    const known = new Set(headers);
    const mapping = Object.fromEntries(
      Object.entries(saved.mapping as Record<string, string>).filter(([key, header]) => known.has(header) && state.schema.columns.some((c) => c.key === key)),
    );
    return { mapping, unmapped: saved.unmapped === 'keep' ? 'keep' : 'ignore' };
  } catch {
    return null;
  }
}

function remember(state: State, headers: string[]): void {
  if (!state.settings.options.rememberMapping) return;
  try {
    localStorage.setItem(storageKey(state, headers), JSON.stringify({ mapping: state.mapping, unmapped: state.unmapped }));
  } catch {
    // Storage full or refused: the choice is simply not remembered.
  }
}
