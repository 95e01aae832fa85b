// The review step's bulk fixes: delete every invalid row, find and replace (text or regex, one
// column or all), fill empty cells, trim spaces, map an enum or boolean column's invalid values
// to allowed ones, download the rows left out, and undo. A bulk fix is a rule in the patches:
// the parser applies it in its Worker as the file streams, in the check that follows (with its
// progress) and in the pass that sends the rows alike, so it costs nothing per row held here.
import { Parser, parseFile, type PatchRule } from '@sluice/parser';
import { count, h, replace, uid } from './dom';
import { language, t, tn } from './strings';
import { allowedValues, mappingSpec, patches, readerOptions, type State } from './state';
import { readError } from './refusal';
import { remember, undoLast } from './undo';
import { leftOutButton } from './leftout';
import type { Shell } from './main';

export interface FixesContext {
  state: State;
  shell: Shell;
  /** The columns the user can fix, in order. */
  columns: () => Array<{ key: string; label: string }>;
  /** The rows with errors in the last check, deleted ones excepted. */
  invalidRows: () => number[];
  /** The state changed: redraw and check again. */
  changed: () => void;
}

export interface Fixes {
  element: HTMLElement;
  /** Shows what the last check found: each rule's cells, the values to map, the undo. */
  update(): void;
  /** Ctrl/Cmd+Z outside a text field undoes the last change. */
  keydown(event: KeyboardEvent): void;
}

export function fixes(ctx: FixesContext): Fixes {
  const { state } = ctx;
  const undo = undoBar(ctx);
  const apply: Apply = (label, change, revert) => {
    change();
    remember(state, { label, undo: revert });
    undo.show();
    ctx.changed();
  };
  const addRule = (rule: PatchRule, label: string) =>
    apply(
      label,
      () => state.rules.push(rule),
      () => void state.rules.splice(state.rules.lastIndexOf(rule), 1),
    );
  const rulesList = h('ul', { class: 'rules', 'data-field': 'rules' });
  const mapper = h('div', { class: 'map-values' });
  const deleteInvalid = deleteInvalidButton(ctx, apply);
  const element = h(
    'details',
    { class: 'fixes', 'data-field': 'fixes' },
    h('summary', {}, t('bulkFixes')),
    h('div', { class: 'fix-row' }, deleteInvalid, leftOutButton(state, ctx.shell)),
    findReplace(ctx, addRule),
    columnTools(ctx, addRule),
    mapper,
    rulesList,
  );
  return {
    element: h('div', { class: 'fixes-holder' }, undo.element, element),
    update: () => {
      undo.show();
      deleteInvalid.disabled = ctx.invalidRows().length === 0;
      showRules(state, ctx.columns(), rulesList);
      replace(mapper, ...valueMaps(state, ctx.columns(), addRule));
    },
    keydown: (event: KeyboardEvent) => {
      const field = event.target instanceof HTMLElement && event.target.closest('input, textarea, select');
      if (field || event.key.toLowerCase() !== 'z' || !(event.ctrlKey || event.metaKey) || event.shiftKey) return;
      event.preventDefault();
      undo.undo();
    },
  };
}

/** Makes a change that can be undone: `change` now, `revert` on undo. */
type Apply = (label: string, change: () => void, revert: () => void) => void;

/** "3 invalid rows deleted · Undo": the last change that can be undone, and its button. */
function undoBar(ctx: FixesContext): { element: HTMLElement; show: () => void; undo: () => void } {
  const { state } = ctx;
  const text = h('span', { 'data-field': 'undo-status' });
  const undo = () => {
    const entry = undoLast(state);
    if (!entry) return;
    ctx.shell.announce(t('undone', { what: entry.label }));
    show();
    ctx.changed();
  };
  const element = h(
    'p',
    { class: 'undo-bar', hidden: true },
    text,
    ' · ',
    h('button', { type: 'button', class: 'link', 'data-action': 'undo', on: { click: undo } }, t('undo')),
  );
  const show = () => {
    text.textContent = state.undo.at(-1)?.label ?? '';
    element.hidden = state.undo.length === 0;
  };
  return { element, show, undo };
}

/** Deletes the rows with errors in the last check. */
function deleteInvalidButton(ctx: FixesContext, apply: Apply): HTMLButtonElement {
  const click = () => {
    const rows = ctx.invalidRows();
    if (rows.length === 0) return;
    apply(
      tn('deletedInvalid', rows.length, count(rows.length, language())),
      () => rows.forEach((row) => ctx.state.deleted.add(row)),
      () => rows.forEach((row) => ctx.state.deleted.delete(row)),
    );
  };
  return h('button', { type: 'button', class: 'secondary', 'data-action': 'delete-invalid', on: { click } }, t('deleteInvalid'));
}

type AddRule = (rule: PatchRule, label: string) => void;

/** Escape in a text box clears it; it must not also close the importer. */
const keepEscape = { keydown: (event: Event) => (event as KeyboardEvent).key === 'Escape' && event.stopPropagation() };

/** Find and replace over the whole file: a preview count of matching cells, then a rule. */
function findReplace(ctx: FixesContext, addRule: AddRule): HTMLElement {
  const field = (name: string, props: Record<string, unknown> = {}) =>
    h('input', { type: 'text', id: uid(name), 'data-field': name, spellcheck: false, autocomplete: 'off', ...props, on: keepEscape });
  const find = field('find', { type: 'search' });
  const replacement = field('replace');
  const column = columnSelect(ctx, 'find-column', t('allColumns'));
  const checkbox = (name: string, label: string) => {
    const box = h('input', { type: 'checkbox', id: uid(name), 'data-field': name });
    return { box, element: h('span', { class: 'check' }, box, h('label', { for: box.id }, label)) };
  };
  const regex = checkbox('find-regex', t('useRegex'));
  const matchCase = checkbox('find-case', t('matchCase'));
  const whole = checkbox('find-whole', t('wholeCell'));
  const status = h('span', { class: 'find-status', role: 'status', 'data-field': 'find-status' });
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'data-field': 'find-progress' });
  const rule = (): PatchRule => ({
    kind: 'replace',
    ...(column.value ? { column: column.value } : {}),
    find: find.value,
    with: replacement.value,
    regex: regex.box.checked,
    ignoreCase: !matchCase.box.checked,
    wholeCell: whole.box.checked,
  });
  const refused = (candidate: PatchRule): string | null => {
    const problem = ruleProblem(ctx.state, candidate);
    status.textContent = problem ?? '';
    return problem;
  };
  const preview = async () => {
    const candidate = rule();
    if (!find.value || refused(candidate)) return;
    progress.hidden = false;
    try {
      const n = await countCells(ctx.state, candidate, (share) => (progress.value = share));
      status.textContent = tn('matches', n, count(n, language()));
    } catch (error) {
      status.textContent = t('checkFailed', { detail: readError(error) });
    } finally {
      progress.hidden = true;
    }
  };
  const run = () => {
    const candidate = rule();
    if (!find.value || refused(candidate)) return;
    const where = column.value ? (column.selectedOptions[0]?.textContent ?? column.value) : t('allColumns');
    addRule(candidate, t('replacedRule', { find: find.value, with: replacement.value, column: where }));
    status.textContent = '';
  };
  return h(
    'form',
    {
      class: 'find',
      on: {
        submit: (event: Event) => {
          event.preventDefault();
          run();
        },
      },
    },
    h('label', { for: find.id }, t('find')),
    find,
    h('label', { for: replacement.id }, t('replaceWith')),
    replacement,
    h('label', { for: column.id }, t('inColumn')),
    column,
    regex.element,
    matchCase.element,
    whole.element,
    h('button', { type: 'button', class: 'secondary', 'data-action': 'count-matches', on: { click: () => void preview() } }, t('countMatches')),
    h('button', { type: 'submit', class: 'secondary', 'data-action': 'replace-all' }, t('replaceAll')),
    progress,
    status,
  );
}

/** Trim spaces (one column or all) and fill a column's empty cells. */
function columnTools(ctx: FixesContext, addRule: AddRule): HTMLElement {
  const column = columnSelect(ctx, 'tool-column', t('allColumns'));
  const value = h('input', { type: 'text', id: uid('fill'), 'data-field': 'fill-value', spellcheck: false, autocomplete: 'off', on: keepEscape });
  const status = h('span', { class: 'find-status', role: 'status' });
  const label = () => (column.value ? (column.selectedOptions[0]?.textContent ?? column.value) : t('allColumns'));
  const trim = () => addRule({ kind: 'trim', ...(column.value ? { column: column.value } : {}) }, t('trimmedRule', { column: label() }));
  const fill = () => {
    status.textContent = column.value ? '' : t('fillNeedsColumn');
    if (!column.value) return;
    addRule({ kind: 'fillEmpty', column: column.value, value: value.value }, t('filledRule', { column: label(), value: value.value }));
  };
  return h(
    'div',
    { class: 'fix-row tools' },
    h('label', { for: column.id }, t('inColumn')),
    column,
    h('button', { type: 'button', class: 'secondary', 'data-action': 'trim', on: { click: trim } }, t('trimSpaces')),
    h('label', { for: value.id }, t('fillWith')),
    value,
    h('button', { type: 'button', class: 'secondary', 'data-action': 'fill-empty', on: { click: fill } }, t('fillEmpty')),
    status,
  );
}

function columnSelect(ctx: FixesContext, name: string, all: string): HTMLSelectElement {
  return h(
    'select',
    { id: uid(name), 'data-field': name },
    h('option', { value: '' }, all),
    ...ctx.columns().map((c) => h('option', { value: c.key }, c.label)),
  );
}

/** For each enum or boolean column with invalid values in the last check: each value with its
 * count, and a list of the allowed values to map it to. */
function valueMaps(state: State, columns: Array<{ key: string; label: string }>, addRule: AddRule): HTMLElement[] {
  const found = state.summary?.report.invalidValues ?? {};
  return columns.flatMap(({ key, label }) => {
    const allowed = allowedValues(state.schema, key);
    const values = Object.entries(found[key] ?? {});
    if (!allowed || values.length === 0) return [];
    const choices = values.map(([value, n]) => {
      const select = h(
        'select',
        { 'data-value': value, 'aria-label': t('mapValue', { value }) },
        h('option', { value: '' }, t('leaveAsIs')),
        ...allowed.map((a) => h('option', { value: a.value }, a.label)),
      );
      return { value, select, row: h('li', {}, h('span', { class: 'value' }, value), ` (${count(n, language())}) → `, select) };
    });
    const apply = () => {
      const values = Object.fromEntries(choices.filter((c) => c.select.value).map((c) => [c.value, c.select.value]));
      if (Object.keys(values).length) addRule({ kind: 'map', column: key, values }, t('mappedRule', { column: label, n: Object.keys(values).length }));
    };
    return [
      h(
        'fieldset',
        { class: 'map', 'data-map-column': key },
        h('legend', {}, t('mapValues', { column: label })),
        h('ul', {}, ...choices.map((c) => c.row)),
        h('button', { type: 'button', class: 'secondary', 'data-action': 'map-values', on: { click: apply } }, t('applyMap')),
      ),
    ];
  });
}

/** The rules in force, each with the cells it changed in the last check. */
function showRules(state: State, columns: Array<{ key: string; label: string }>, list: HTMLElement): void {
  const hits = state.summary?.report.ruleHits ?? [];
  const names = new Map(columns.map((c) => [c.key, c.label]));
  replace(
    list,
    ...state.rules.map((rule, i) => h('li', { 'data-rule': i }, ruleText(rule, names), ': ', tn('ruleCells', hits[i] ?? 0, count(hits[i] ?? 0, language())))),
  );
}

function ruleText(rule: PatchRule, names: Map<string, string>): string {
  const column = rule.column ? (names.get(rule.column) ?? rule.column) : t('allColumns');
  switch (rule.kind) {
    case 'replace':
      return t('replacedRule', { find: rule.find, with: rule.with ?? '', column });
    case 'trim':
      return t('trimmedRule', { column });
    case 'fillEmpty':
      return t('filledRule', { column, value: rule.value });
    case 'map':
      return t('mappedRule', { column, n: Object.keys(rule.values).length });
  }
}

/** Why the parser refuses this rule (a bad regex, with where), or null; checked at once, on this
 * thread, by building a parser with it. */
function ruleProblem(state: State, rule: PatchRule): string | null {
  try {
    new Parser({ schema: state.schema, patches: { rules: [rule] } }).free();
    return null;
  } catch (error) {
    const message = String((error as Error)?.message ?? error).replace(/^option "patches": rule \d+: /, '');
    return t('badFind', { detail: message });
  }
}

/** How many cells `rule` would change after the rules in force: a counting pass of the whole
 * file in the parser's Worker. */
async function countCells(state: State, rule: PatchRule, onShare: (share: number) => void): Promise<number> {
  const file = state.file!;
  const job = parseFile(file, {
    schema: state.schema,
    reader: readerOptions(state),
    mapping: mappingSpec(state),
    patches: { ...patches(state), rules: [...state.rules, rule] },
    batches: false,
    onProgress: (p) => onShare(p.bytes / Math.max(1, file.size)),
  });
  const summary = await job.summary;
  return summary.report.ruleHits?.at(-1) ?? 0;
}
