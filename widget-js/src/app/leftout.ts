// The rows left out of the import (rows with errors that are not sent, and rows the user
// deleted) as a CSV file for the user to fix later: the file's own columns as they were, then an
// `errors` column. Built in this browser from the rows read again chunk by chunk, each chunk a
// Blob part (never the whole file as one string); it is never sent anywhere.
import { readRows, rowHasErrors, type CellError, type GridRow, type Summary } from '@sluice/parser';
import { h } from './dom';
import { t } from './strings';
import { mappingSpec, readerOptions, type State } from './state';
import { readError } from './refusal';
import type { Shell } from './main';

const CHUNK = 4096;

/** A button that builds the left-out rows' CSV and downloads it. */
export function leftOutButton(state: State, shell: Shell): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'secondary', 'data-action': 'download-left-out' }, t('downloadLeftOut'));
  button.addEventListener('click', () => {
    if (button.disabled || !state.summary || !state.file) return;
    button.disabled = true;
    void (async () => {
      try {
        const { blob, rows } = await leftOutCsv(state, (share) => (button.textContent = t('preparing', { percent: Math.round(share * 100) })));
        if (rows === 0) shell.announce(t('noneLeftOut'));
        else offer(button, blob, leftOutName(state.file?.name ?? 'import'));
      } catch (error) {
        shell.announce(t('checkFailed', { detail: readError(error) }));
      } finally {
        button.disabled = false;
        button.textContent = t('downloadLeftOut');
      }
    })();
  });
  return button;
}

/** The CSV: header names and `errors`, then each row left out; and how many rows it holds. */
export async function leftOutCsv(state: State, onShare: (share: number) => void): Promise<{ blob: Blob; rows: number }> {
  const summary = state.summary!;
  const leftOut = (row: number) => state.deleted.has(row) || (!invalidSent(state) && rowHasErrors(summary, row));
  const parts: BlobPart[] = ['\uFEFF', csvLine([...summary.layout.header.names, 'errors'])];
  let rows = 0;
  for (let from = 1; from <= summary.read.rows; from += CHUNK) {
    onShare((from - 1) / Math.max(1, summary.read.rows));
    const to = Math.min(from + CHUNK, summary.read.rows + 1);
    if (!anyIn(from, to, leftOut)) continue;
    const read = await readRows(state.file!, {
      summary,
      schema: state.schema,
      from,
      to,
      reader: readerOptions(state),
      mapping: mappingSpec(state),
      patches: { set: Object.fromEntries(state.edits), rules: state.rules },
    });
    const lines = read.filter((row) => leftOut(row.row)).map((row) => csvLine([...row.fields, errorsOf(state, row, summary)]));
    rows += lines.length;
    if (lines.length) parts.push(new Blob(lines));
  }
  return { blob: new Blob(parts, { type: 'text/csv;charset=utf-8' }), rows };
}

/** Whether rows with errors are sent (the importer records them and the host allows it). */
function invalidSent(state: State): boolean {
  return state.config.invalidRows === 'record' && Boolean(state.settings.options.allowInvalid);
}

function anyIn(from: number, to: number, test: (row: number) => boolean): boolean {
  for (let row = from; row < to; row += 1) if (test(row)) return true;
  return false;
}

/** "email: must be an email address…; age: must be at least 0"; a duplicate, which only the
 * whole-file check finds, from its list of errors; a deleted row without errors says so. */
function errorsOf(state: State, row: GridRow, summary: Summary): string {
  const listed = summary.report.errors.filter((e) => e.row === row.row && e.code === 'duplicate');
  const errors = [...row.errors, ...listed].map((e: CellError) => `${e.column ?? t('row')}: ${e.message}`).join('; ');
  return errors || (state.deleted.has(row.row) ? t('deletedByYou') : '');
}

/** One CSV record (RFC 4180): a field with a comma, quote, line break or outer space is quoted. */
export function csvLine(fields: string[]): string {
  return `${fields.map((f) => (/[",\r\n]|^\s|\s$/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',')}\r\n`;
}

function leftOutName(name: string): string {
  return `${name.replace(/\.[^.]*$/, '') || 'import'}-left-out.csv`;
}

/** Downloads the file at once while the click that asked for it still counts as the user's
 * (a browser refuses a download from a frame of another origin without one); after a long
 * build, a link beside the button for the user to click. */
function offer(button: HTMLElement, blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name, class: 'save-left-out', 'data-action': 'save-left-out' }, t('saveLeftOut', { name }));
  button.parentElement?.querySelector('.save-left-out')?.remove();
  if (navigator.userActivation?.isActive ?? true) {
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } else {
    button.after(link);
    link.focus();
  }
}
