// Step 5: the rows sent, sealed, batch after batch (a few in flight), with progress, rows, MB
// and time left; a dropped connection is retried until it comes back (a batch sent twice is
// stored once); then completion, the result, and the host page's onComplete.
import { parseFile, type Batch, type Summary } from '@sluice/parser';
import { ApiError, type Completion, type Created } from './api';
import { count, h, fileSize, replace } from './dom';
import { batchAad, handshake, seal } from './seal';
import { language, t, tn } from './strings';
import { fileRows, tell, type State } from './state';
import { batchOptions, keptFor, markParse, type KeptBatch } from './kept';
import { rowsToSubmit } from './review';
import { leftOutButton } from './leftout';
import { checkHostPageRows, hostHas, RowsToHost } from './host';
import { hostRejected } from './hooks';
import type { Shell, Step } from './main';
import type { ImportResult } from '../messages';

const IN_FLIGHT = 4;
const MAX_BACKOFF_MS = 8000;

interface View {
  bar: HTMLProgressElement;
  text: HTMLElement;
  notice: HTMLElement;
}

export function submitStep(state: State, shell: Shell): Step {
  const view: View = {
    bar: h('progress', { max: 1, value: 0, 'aria-label': t('sending') }),
    text: h('p', { class: 'progress-text', 'data-field': 'progress' }, t('sending')),
    notice: h('p', { class: 'notice', role: 'status' }),
  };
  const body = h('div', { class: 'submit' }, view.bar, view.text, view.notice);
  let controller: AbortController | null = null;
  const run = async () => {
    controller?.abort();
    const current = new AbortController();
    controller = current;
    shell.busy = true;
    shell.refresh();
    view.notice.textContent = '';
    try {
      const result = await send(state, view, current.signal);
      shell.busy = false;
      showResult(state, shell, body, result);
      tell(state, { sluice: 1, type: 'complete', result });
    } catch (error) {
      if (current.signal.aborted) return;
      shell.busy = false;
      const detail = error instanceof ApiError ? `${error.message} (${error.code})` : String((error as Error)?.message ?? error);
      replace(
        view.notice,
        t('failed', { detail }),
        ' ',
        h('button', { type: 'button', class: 'secondary', 'data-action': 'retry', on: { click: () => void run() } }, t('retry')),
      );
      view.notice.setAttribute('role', 'alert');
      tell(state, { sluice: 1, type: 'error', code: error instanceof ApiError ? error.code : 'failed', message: detail });
      shell.refresh();
    }
  };
  void run();
  return { title: 'stepSubmit', body, final: true, cancel: () => controller?.abort() };
}

async function send(state: State, view: View, signal: AbortSignal): Promise<ImportResult> {
  const file = state.file!;
  const summary = state.summary!;
  const total = rowsToSubmit(state, summary);
  checkWhereRowsGo(state);
  performance.mark('sluice:submit');
  tell(state, { sluice: 1, type: 'submit', rows: total, file: { name: file.name, size: file.size } });
  const keys = await handshake();
  // A fresh start token for each attempt: a token is used once, also by a start whose answer was lost.
  const created = await retrying(view, signal, async () => {
    const startToken = state.config.signedStart ? await state.startToken() : null;
    return state.api.create({
      clientKey: keys.publicKey,
      file: { name: file.name, size: file.size, ...(file.type ? { type: file.type } : {}) },
      user: state.settings.user,
      attributes: state.settings.attributes,
      ...(state.dynamicColumns.length ? { dynamicColumns: state.dynamicColumns } : {}),
      ...(startToken ? { startToken } : {}),
    });
  });
  const key = await keys.derive(created.serverKey, created.importId);
  performance.mark('sluice:sending');
  const toHost = hostHas(state, 'data') ? new RowsToHost(state, created, total, signal) : null;
  const sent = await sendBatches({ state, file, view, signal, created, key, total, toHost });
  performance.mark('sluice:sent');
  view.text.textContent = t('finishing');
  const mapping = columnMapping(summary);
  const counts = { ...sent, ...(toHost ? { hostPageRows: toHost.rows } : {}) };
  const done = await retrying(view, signal, () => state.api.complete(created, counts, mapping));
  performance.mark('sluice:complete');
  state.kept = null;
  return result(state, summary, created, done, toHost?.rows);
}

/**
 * Rows must go somewhere: an importer that stores none hands them to the host page, which must
 * then have `onData`. A host page with `onData` for an importer that does not allow it is told.
 */
function checkWhereRowsGo(state: State): void {
  const onData = Boolean(state.settings.hooks?.data);
  if (onData) checkHostPageRows(state, 'onData');
  if (state.config.storesRows === false && !onData) {
    const message = `importer "${state.importerKey}" hands rows to the host page only, and this page has no onData to take them`;
    throw new ApiError(409, 'no_on_data', message);
  }
}

interface Sending {
  state: State;
  file: File;
  view: View;
  signal: AbortSignal;
  created: Created;
  key: CryptoKey;
  /** Rows the import will hold. */
  total: number;
  /** Where the rows also go (or only go, when the server stores none): the host page's onData. */
  toHost: RowsToHost | null;
}

/**
 * Seals and sends every batch, a few requests in flight: batch n + 1 is sealed while batch n is
 * on its way. Progress moves as each batch is acknowledged, with the bytes sent. With `toHost`,
 * each batch's rows also go to the host page, the next batch only once the page took them; an
 * importer that stores no rows sends none to the server, and progress moves as the page takes them.
 */
async function sendBatches({ state, file, view, signal, created, key, total, toHost }: Sending): Promise<{ batches: number; rows: number }> {
  const started = performance.now();
  let acked = 0;
  let bytes = 0;
  const update = () => {
    if (signal.aborted) return;
    const done = total ? acked / total : 1;
    view.bar.value = done;
    const elapsed = (performance.now() - started) / 1000;
    const left = done > 0.02 ? Math.max(0, Math.round((elapsed * (1 - done)) / done)) : null;
    view.text.textContent = t('progress', {
      rows: count(acked, language()),
      total: count(total, language()),
      mb: fileSize(bytes, language()),
      left: left === null ? '' : t('secondsLeft', { n: left }),
    });
  };
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  let batches = 0;
  let rows = 0;
  // Leaving the loop early (a failure) ends the batches' source, which stops its parser.
  const stores = state.config.storesRows !== false;
  for await (const batch of batchesToSend(state, file, signal)) {
    if (failure) throw failure;
    const { sequence, firstRow, rowCount } = batch;
    const handed = toHost?.hand(batch.bytes);
    if (!stores) {
      batch.release?.();
      await handed;
      acked += rowCount;
      update();
      continue;
    }
    const sealed = await seal(key, batchAad(created.importId, sequence, firstRow, rowCount, created.schemaDigest), batch.bytes);
    batch.release?.();
    const sending = retrying(view, signal, () => state.api.putBatch(created, sequence, firstRow, rowCount, sealed)).then(
      () => {
        acked += rowCount;
        bytes += sealed.byteLength;
        update();
      },
      (error) => {
        failure ??= error;
      },
    );
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    batches += 1;
    rows += rowCount;
    await handed;
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { batches, rows };
}

/** A batch to send: a kept one, or one from a new parse (handed back to its parser once sealed). */
type Sendable = KeptBatch & Partial<Pick<Batch, 'release'>>;

/**
 * The batches to send, in order: those the review's check kept when they were made for what is
 * sent now; otherwise (a file past the budget, the host page's settings changed since the check)
 * every batch from a new parse of the file.
 */
async function* batchesToSend(state: State, file: File, signal: AbortSignal): AsyncGenerator<Sendable, void, undefined> {
  const options = batchOptions(state);
  const kept = keptFor(state, options);
  // Rows the host page's validateRows found wrong are left out (the user allowed invalid rows).
  const rejected = hostRejected(state);
  if (kept && rejected.length === 0) {
    yield* kept.batches;
    return;
  }
  markParse();
  const patches = { ...options.patches, delete: [...(options.patches?.delete ?? []), ...rejected] };
  yield* parseFile(file, { ...options, patches, signal });
}

/** Schema key → the file header mapped to it, or null. */
function columnMapping(summary: Summary): Record<string, string | null> {
  const mapping: Record<string, string | null> = {};
  for (const column of summary.mapping.columns) mapping[column.key] = column.header;
  return mapping;
}

/** Sends until it works or fails for a reason other than the network or a busy server. */
async function retrying<T>(view: View, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  let wait = 500;
  for (;;) {
    signal.throwIfAborted();
    try {
      const value = await call();
      if ([t('offline'), t('busy')].includes(view.notice.textContent ?? '')) view.notice.textContent = '';
      return value;
    } catch (error) {
      if (!(error instanceof ApiError) || !error.transient) throw error;
      // 429: too many requests or imports open at once; the rest: the network or the server.
      view.notice.textContent = error.status === 429 ? t('busy') : t('offline');
      await pause(wait);
      wait = Math.min(MAX_BACKOFF_MS, wait * 2);
    }
  }
}

/** Waits `ms`, or less if the browser says it is back online. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener('online', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    window.addEventListener('online', done);
  });
}

function result(state: State, summary: Summary, created: Created, done: Completion, hostPageRows?: number): ImportResult {
  const mapping = columnMapping(summary);
  const handed = hostPageRows ?? 0;
  return {
    importId: created.importId,
    rows: done.rows,
    invalidRows: done.invalidRows,
    skippedRows: Math.max(0, fileRows(summary) - summary.report.deletedRows - Math.max(done.rows, handed)),
    deletedRows: summary.report.deletedRows,
    totalRows: fileRows(summary),
    batches: done.batches,
    file: { name: state.file?.name ?? '', size: state.file?.size ?? 0 },
    mapping,
    keptColumns: state.unmapped === 'keep' ? summary.mapping.kept : [],
    startedAt: state.startedAt,
    completedAt: new Date(done.completedAt * 1000).toISOString(),
    user: state.settings.user,
    attributes: state.settings.attributes,
    ...(hostPageRows === undefined ? {} : { hostPageRows }),
  };
}

function showResult(state: State, shell: Shell, body: HTMLElement, result: ImportResult): void {
  const n = (value: number) => count(value, language());
  // Imported: into the server, or for an importer that stores none, into the host page.
  const imported = Math.max(result.rows, result.hostPageRows ?? 0);
  replace(
    body,
    h(
      'div',
      { class: 'result', 'data-field': 'result' },
      h('p', { class: 'done-title' }, '✓ ', t('doneTitle')),
      h(
        'ul',
        {},
        h('li', { 'data-count': 'rows' }, tn('doneRows', imported, n(imported))),
        result.invalidRows ? h('li', { 'data-count': 'invalid' }, tn('doneInvalid', result.invalidRows, n(result.invalidRows))) : null,
        result.skippedRows ? h('li', { 'data-count': 'skipped' }, tn('doneSkipped', result.skippedRows, n(result.skippedRows))) : null,
        result.deletedRows ? h('li', { 'data-count': 'deleted' }, tn('doneDeleted', result.deletedRows, n(result.deletedRows))) : null,
      ),
      h('p', { class: 'hint' }, t('doneId', { id: result.importId })),
      result.skippedRows || result.deletedRows ? leftOutButton(state, shell) : null,
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          'data-action': 'done',
          on: {
            click: () => {
              tell(state, { sluice: 1, type: 'close' });
              shell.restart();
            },
          },
        },
        t('done'),
      ),
    ),
  );
  shell.announce(tn('doneRows', imported, n(imported)));
  shell.focusFirst();
}
