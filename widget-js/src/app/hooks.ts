// The host page's own checks and rewrites on the review step, for importers with
// `host_page_rows`: `transformRow` rewrites every row once per file and mapping (its changes
// become patches under the user's own edits, so the schema checks what it returns), and
// `validateRows` judges the rows the check would send, chunk by chunk as the check makes its
// batches, again only for rows whose values changed. Its errors join the check's summary, so the
// counts, the errors panel, the grid and the gate treat them as the schema's own.
import { batchInfo, batchRowsJson, parseFile, type CellError, type Summary } from '@sluice/parser';
import { checkHostPageRows, hostHas, rowDigests } from './host';
import { batchOptions } from './kept';
import { mappingSpec, readerOptions, type State } from './state';
import type { HostRow } from '../messages';

/** The longest message of the host page's shown; longer ones are cut. */
const MAX_MESSAGE = 500;

/** Most errors the summary lists in full, as the parser's check does. */
const MAX_LISTED = 1000;

/** The host page's verdicts, kept across checks: what each row held when judged (the module's digest), and its errors. */
export class HostChecks {
  readonly errors = new Map<number, CellError[]>();
  private readonly judged = new Map<number, number>();
  private seen = new Set<number>();

  /** A check begins: rows it does not send (deleted, or now invalid by the schema) lose their verdicts when it ends. */
  begin(): void {
    this.seen = new Set();
  }

  /** Judges a batch's rows whose values changed since they were last judged (the bytes are read at once). */
  async take(state: State, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
    const digests = rowDigests(bytes);
    const fresh = new Map<number, number>();
    for (const [row, digest] of digests) {
      this.seen.add(row);
      if (this.judged.get(row) !== digest) fresh.set(row, digest);
    }
    if (fresh.size === 0) return;
    const json = batchRowsJson(bytes);
    // On the first check every row is fresh, and the text goes as the module wrote it.
    const rows = fresh.size === digests.length ? json : JSON.stringify((JSON.parse(json) as HostRow[]).filter((r) => fresh.has(r.row)));
    const keys = new Set(batchInfo(bytes).columns.flatMap((c) => (c.kind === 'schema' ? [c.name] : [])));
    const meta = { importer: state.importerKey, file: fileOf(state), user: state.settings.user, attributes: state.settings.attributes };
    const found = await state.host.call({ sluice: 1, type: 'validateRows', rows, meta }, signal);
    for (const [row, digest] of fresh) {
      this.judged.set(row, digest);
      this.errors.delete(row);
    }
    for (const error of hostErrors(new Set(fresh.keys()), keys, found)) this.errors.set(error.row, [...(this.errors.get(error.row) ?? []), error]);
  }

  /** The check ended: rows it did not send are forgotten. */
  end(): void {
    for (const row of [...this.judged.keys()]) {
      if (this.seen.has(row)) continue;
      this.judged.delete(row);
      this.errors.delete(row);
    }
  }
}

/** The host page's answer made into cell errors; entries that are not `{ row, column, message }` of these rows are told to the developer and left out. */
function hostErrors(numbers: Set<number>, keys: Set<string>, found: unknown): CellError[] {
  const list = Array.isArray(found) ? found : [found];
  const out: CellError[] = [];
  for (const entry of list) {
    const { row, column, message } = (entry ?? {}) as Record<string, unknown>;
    if (!numbers.has(row as number) || !(column === null || keys.has(column as string)) || typeof message !== 'string') {
      console.error('Sluice: validateRows: not { row, column, message } of a row given, left out:', entry);
      continue;
    }
    const text = message.slice(0, MAX_MESSAGE);
    out.push({ row: row as number, line: 0, byte: 0, column: column as string | null, code: 'host', message: text, params: { custom: true } });
  }
  return out;
}

/** The check's summary with the host page's errors counted in: rows marked invalid, errors by column and code, the first ones listed. */
export function withHostErrors(summary: Summary, checks: HostChecks | null): Summary {
  if (!checks || checks.errors.size === 0) return summary;
  const report = structuredClone(summary.report);
  const invalid = [...summary.rowIndex.invalid];
  for (const [row, errors] of checks.errors) {
    const word = Math.floor((row - 1) / 32);
    const bit = 1 << ((row - 1) % 32);
    if (((invalid[word] ?? 0) & bit) === 0) {
      invalid[word] = (invalid[word] ?? 0) | bit;
      report.invalidRows += 1;
      report.validRows -= 1;
    }
    report.errorCount += errors.length;
    report.errorsByCode['host'] = (report.errorsByCode['host'] ?? 0) + errors.length;
    for (const error of errors) {
      if (error.column !== null) report.errorsByColumn[error.column] = (report.errorsByColumn[error.column] ?? 0) + 1;
    }
    report.errors.push(...errors);
  }
  report.errors.sort((a, b) => a.row - b.row);
  report.errorsTruncated ||= report.errors.length > MAX_LISTED;
  report.errors.length = Math.min(report.errors.length, MAX_LISTED);
  return { ...summary, report, rowIndex: { ...summary.rowIndex, invalid } };
}

/** The rows the host page found wrong, which a submission leaves out. */
export function hostRejected(state: State): number[] {
  return [...(state.hostChecks?.errors.keys() ?? [])];
}

/** What the host page's rewrites were made for: the file and how it is read and mapped. */
function transformKey(state: State): string {
  const file = state.file;
  return JSON.stringify([file?.name, file?.size, file?.lastModified, readerOptions(state), mappingSpec(state), state.schema]);
}

/** Whether the rows must go through the host page's `transformRow` (again) before the check. */
export function needsTransform(state: State): boolean {
  if (!state.settings.hooks?.transformRow) return false;
  checkHostPageRows(state, 'transformRow');
  return hostHas(state, 'transformRow') && state.transformedFor !== transformKey(state);
}

/**
 * Hands every row of the file (those with errors too, not the deleted ones) to the host page's
 * `transformRow`, a batch at a time, and keeps what it changed as patches under the user's edits.
 */
export async function transformRows(state: State, signal: AbortSignal): Promise<void> {
  const key = transformKey(state);
  const options = batchOptions(state);
  const changed = new Map<number, Record<string, string>>();
  const job = parseFile(state.file!, {
    ...options,
    patches: { delete: [...state.deleted], rules: state.rules },
    includeInvalid: true,
    signal,
  });
  for await (const batch of job) {
    const json = batchRowsJson(batch.bytes);
    batch.release?.();
    const answer = await state.host.call({ sluice: 1, type: 'transformRows', rows: json }, signal);
    const returned = JSON.parse(String(answer)) as unknown[];
    (JSON.parse(json) as HostRow[]).forEach((row, i) => {
      const patch = differences(row, returned[i]);
      if (patch) changed.set(row.row, patch);
    });
  }
  await job.summary;
  state.hostPatches = changed;
  state.transformedFor = key;
}

/** The schema cells `returned` changes in `row`, or null; a value that is not a string, number or null is left as it was. */
function differences(row: HostRow, returned: unknown): Record<string, string> | null {
  if (typeof returned !== 'object' || returned === null) return null;
  const patch: Record<string, string> = {};
  for (const [key, before] of Object.entries(row.data)) {
    const after = (returned as Record<string, unknown>)[key];
    if (after === undefined || !(after === null || typeof after === 'string' || typeof after === 'number')) continue;
    const text = after === null ? '' : String(after);
    if (text !== (before ?? '')) patch[key] = text;
  }
  return Object.keys(patch).length > 0 ? patch : null;
}

function fileOf(state: State): { name: string; size: number } {
  return { name: state.file?.name ?? '', size: state.file?.size ?? 0 };
}
