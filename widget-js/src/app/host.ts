// Rows handed to the host page (`onData`), for importers with `host_page_rows`: each batch's
// rows in the webhook's row shape, one chunk at a time, and the next chunk only once the host
// page's function has finished with this one (a returned promise is awaited), so a slow page
// slows the import instead of filling its memory.
import { decodeBatch, type BatchInfo } from '@sluice/parser';
import { ApiError, type Created } from './api';
import { tell, type State } from './state';
import type { DataMeta, HostRow, ToApp, ToHost } from '../messages';

type Answer = Extract<ToApp, { type: 'hostAnswer' }>;
type Call = Omit<Extract<ToHost, { type: 'data' }>, 'id'>;

/** Calls to the host page's functions, each answered by id when the function is done. */
export class HostCalls {
  private next = 1;
  private readonly pending = new Map<number, (answer: Answer) => void>();

  constructor(private readonly parentOrigin: string) {}

  /** Posts `call` and waits for the host page's answer (or `signal`'s abort). */
  call(call: Call, signal: AbortSignal): Promise<void> {
    const id = this.next;
    this.next += 1;
    return new Promise((resolve, reject) => {
      const aborted = () => {
        this.pending.delete(id);
        reject(signal.reason);
      };
      signal.addEventListener('abort', aborted, { once: true });
      this.pending.set(id, (answer) => {
        signal.removeEventListener('abort', aborted);
        this.pending.delete(id);
        if (answer.error === undefined) resolve();
        else reject(new ApiError(0, 'host_page_failed', `the page's onData failed: ${answer.error}`));
      });
      tell({ parentOrigin: this.parentOrigin }, { ...call, id } as ToHost);
    });
  }

  /** The host page's answer to a call. */
  answer(message: Answer): void {
    this.pending.get(message.id)?.(message);
  }
}

/** Whether this import hands its rows to the host page: it has `onData` and the importer allows it. */
export function handsRows(state: State): boolean {
  return Boolean(state.settings.hooks?.data) && Boolean(state.config.hostPageRows);
}

/** The rows of one import on their way to the host page, chunk by chunk. */
export class RowsToHost {
  /** Rows handed over so far. */
  rows = 0;
  private chunks = 0;

  constructor(
    private readonly state: State,
    private readonly created: Created,
    private readonly totalRows: number,
    private readonly signal: AbortSignal,
  ) {}

  /** Reads the batch's rows now (its bytes may be reused once this returns), and hands them over. */
  hand(bytes: Uint8Array): Promise<void> {
    const batch = decodeBatch(bytes);
    const rows = batch.rows.map((row) => hostRow(batch.columns, row));
    const meta = this.meta(rows);
    this.rows += rows.length;
    this.chunks += 1;
    return this.state.host.call({ sluice: 1, type: 'data', rows, meta }, this.signal);
  }

  private meta(rows: HostRow[]): DataMeta {
    const { state } = this;
    return {
      importId: this.created.importId,
      importer: state.importerKey,
      chunk: { index: this.chunks },
      firstRow: rows[0]?.row ?? 0,
      lastRow: rows.at(-1)?.row ?? 0,
      totalRows: this.totalRows,
      file: { name: state.file?.name ?? '', size: state.file?.size ?? 0 },
      user: state.settings.user,
      attributes: state.settings.attributes,
    };
  }
}

type DecodedRow = ReturnType<typeof decodeBatch>['rows'][number];

/** A decoded row as the webhook writes it: schema columns under `data`, kept ones under `kept`. */
function hostRow(columns: BatchInfo['columns'], row: DecodedRow): HostRow {
  const data: Record<string, string | null> = {};
  const kept: Record<string, string | null> = {};
  columns.forEach((column, i) => {
    (column.kind === 'schema' ? data : kept)[column.name] = row.cells[i] ?? null;
  });
  const shaped: HostRow = { row: row.number, invalid: row.invalid, data, kept };
  if (row.extras.length > 0) shaped.extras = row.extras;
  return shaped;
}

/** A developer's mistake the importer cannot work around: said to the host page once, in English. */
export function tellHostOnce(state: State, code: string, message: string): void {
  if (told.has(code)) return;
  told.add(code);
  console.error(`Sluice: ${message}`);
  tell(state, { sluice: 1, type: 'error', code, message });
}

const told = new Set<string>();
