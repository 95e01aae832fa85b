// Rows handed to the host page (`onData`), for importers with `host_page_rows`: each batch's
// rows in the webhook's row shape, one chunk at a time, and the next chunk only once the host
// page's function has finished with this one (a returned promise is awaited), so a slow page
// slows the import instead of filling its memory.
import { batchRowDigests, batchRowsJson } from '@sluice/parser';
import { ApiError, type Created } from './api';
import { tell, type State } from './state';
import type { DataMeta, ToApp, ToHost } from '../messages';

type Answer = Extract<ToApp, { type: 'hostAnswer' }>;
type Calls = Extract<ToHost, { type: 'data' | 'validateRows' | 'transformRows' }>;
/** A call to the host page as posted, less the id the call is answered by. */
type Call = Calls extends infer M ? (M extends Calls ? Omit<M, 'id'> : never) : never;

/** The host page's function behind each call, as its developer named it. */
const FUNCTIONS: Record<Call['type'], string> = { data: 'onData', validateRows: 'validateRows', transformRows: 'transformRow' };

/** Calls to the host page's functions, each answered by id when the function is done. */
export class HostCalls {
  private next = 1;
  private readonly pending = new Map<number, (answer: Answer) => void>();

  constructor(private readonly parentOrigin: string) {}

  /** Posts `call` and waits for the host page's answer, what its function returned (or `signal`'s abort). */
  call(call: Call, signal: AbortSignal): Promise<unknown> {
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
        if (answer.error === undefined) resolve(answer.value);
        else reject(new ApiError(0, 'host_page_failed', `the page's ${FUNCTIONS[call.type]} failed: ${answer.error}`));
      });
      tell({ parentOrigin: this.parentOrigin }, { ...call, id } as ToHost);
    });
  }

  /** The host page's answer to a call. */
  answer(message: Answer): void {
    this.pending.get(message.id)?.(message);
  }
}

/** Whether the host page's function `hook` gets rows: the page has it and the importer allows it. */
export function hostHas(state: State, hook: 'data' | 'validateRows' | 'transformRow'): boolean {
  return Boolean(state.settings.hooks?.[hook]) && Boolean(state.config.hostPageRows);
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
  async hand(bytes: Uint8Array): Promise<void> {
    const rows = batchRowsJson(bytes);
    const numbers = rowNumbers(bytes);
    const meta = this.meta(numbers);
    this.rows += numbers.length;
    this.chunks += 1;
    await this.state.host.call({ sluice: 1, type: 'data', rows, meta }, this.signal);
  }

  private meta(numbers: number[]): DataMeta {
    const { state } = this;
    return {
      importId: this.created.importId,
      importer: state.importerKey,
      chunk: { index: this.chunks },
      firstRow: numbers[0] ?? 0,
      lastRow: numbers.at(-1) ?? 0,
      totalRows: this.totalRows,
      file: { name: state.file?.name ?? '', size: state.file?.size ?? 0 },
      user: state.settings.user,
      attributes: state.settings.attributes,
    };
  }
}

/** A batch's rows, each with a digest of its values: `[row, digest]` pairs, from the module. */
export function rowDigests(bytes: Uint8Array): Array<[number, number]> {
  const flat = batchRowDigests(bytes);
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  return pairs;
}

/** A batch's row numbers. */
function rowNumbers(bytes: Uint8Array): number[] {
  return rowDigests(bytes).map(([row]) => row);
}

/** Tells the host page, once per function, that `name` gets no rows from an importer without `host_page_rows`. */
export function checkHostPageRows(state: State, name: string): void {
  if (state.config.hostPageRows || told.has(name)) return;
  told.add(name);
  const message = `${name} is set, but importer "${state.importerKey}" does not hand rows to the host page: set host_page_rows = true in its configuration`;
  console.error(`Sluice: ${message}`);
  tell(state, { sluice: 1, type: 'error', code: 'host_page_rows_off', message });
}

const told = new Set<string>();
