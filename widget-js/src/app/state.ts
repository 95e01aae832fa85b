// What the importer knows as the user goes through its steps.
import {
  checkSchema,
  isWorkbook,
  ready,
  type ColumnMatch,
  type Patches,
  type PatchRule,
  type Preview,
  type ReaderOptions,
  type Schema,
  type SchemaColumn,
  type SheetInfo,
  type Summary,
} from '@sluice/parser';
import type { Api, PublicConfig } from './api';
import type { HostCalls } from './host';
import type { HostChecks } from './hooks';
import type { Kept } from './kept';
import type { UndoEntry } from './undo';
import type { DynamicColumn, Settings, ToHost } from '../messages';

export interface State {
  api: Api;
  importerKey: string;
  /** The host page's origin, the only one messages go to. */
  parentOrigin: string;
  config: PublicConfig;
  /** The importer's schema with the host page's dynamic columns, fixed when a file is chosen. */
  schema: Schema;
  /** The dynamic columns in `schema`, sent when the import starts. */
  dynamicColumns: SchemaColumn[];
  settings: Settings;
  file: File | null;
  /** A workbook's sheets (null for a text file, or before they are listed). */
  sheets: SheetInfo[] | null;
  /** The user's overrides of what was detected (for a workbook, the sheet too). */
  reader: ReaderOptions;
  preview: Preview | null;
  match: ColumnMatch | null;
  /** Schema column key → header name (absent: not in the file). */
  mapping: Record<string, string>;
  unmapped: 'keep' | 'ignore';
  /** The headers the mapping was made for. */
  mappedHeaders: string[];
  /** Cells the user changed (row → column key → value) and rows deleted. */
  edits: Map<number, Record<string, string>>;
  deleted: Set<number>;
  /** Bulk fixes for every row, in order (see `PatchRule`); an edit wins over them. */
  rules: PatchRule[];
  /** Changes the user can undo on the review step, the last one last. */
  undo: UndoEntry[];
  /** The last full check of the file with the edits, and whether edits came after it. */
  summary: Summary | null;
  stale: boolean;
  /** The batches that check made, for the submission (kept.ts). */
  kept: Kept | null;
  /** Counts changes to edits and deletions, so a check knows whether it saw the latest. */
  version: number;
  startedAt: string;
  /** Asks the host page for a start token (null when it has none to give). */
  startToken: () => Promise<string | null>;
  /** Calls to the host page's functions that take rows (`onData`, `validateRows`, `transformRow`). */
  host: HostCalls;
  /** The host page's `validateRows` verdicts, kept across checks (null until it judges). */
  hostChecks: HostChecks | null;
  /** Cells the host page's `transformRow` changed (row → column key → value); the user's edits win. */
  hostPatches: Map<number, Record<string, string>>;
  /** What `hostPatches` were made for (file, reading, mapping), or null. */
  transformedFor: string | null;
}

/** Bytes read for detection and the preview (the parser decides from its first 64 KiB too). */
export const HEAD_BYTES = 64 * 1024;

/** The start of the file, as the parser's detection reads it; a workbook whole (it is read at
 * its end), with the spreadsheet module loaded for it, which only a workbook fetches. */
export async function fileHead(file: File): Promise<Uint8Array> {
  const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  if (!isWorkbook(head)) return head;
  await ready({ spreadsheets: true });
  return file.size > head.length ? new Uint8Array(await file.arrayBuffer()) : head;
}

/** Reader options for reading `head`, the start of `file`: a file longer than its head is not
 * judged empty by it. */
export function headOptions(state: State, file: File, head: Uint8Array): ReaderOptions {
  const options = readerOptions(state);
  return { ...options, allowEmpty: Boolean(options.allowEmpty) || file.size > head.length };
}

/** The edits as the parser takes them. */
export function patches(state: State): Patches {
  return { set: cellPatches(state), delete: [...state.deleted], rules: state.rules };
}

/** The cells set by hand and by the host page's `transformRow`, by row; the user's edit of a cell wins. */
export function cellPatches(state: Pick<State, 'edits' | 'hostPatches'>): Record<string, Record<string, string>> {
  const set: Record<string, Record<string, string>> = Object.fromEntries(state.hostPatches);
  for (const [row, cells] of state.edits) set[row] = { ...set[row], ...cells };
  return set;
}

/** Posts to the host page, at its exact origin. */
export function tell(state: Pick<State, 'parentOrigin'>, message: ToHost): void {
  if (window.parent !== window) window.parent.postMessage(message, state.parentOrigin);
}

/** How the file is read: the user's overrides; the rest detected. A file without data rows is
 * read as 0 rows only when the import may be empty. */
export function readerOptions(state: State): ReaderOptions {
  return { ...state.reader, allowEmpty: minRows(state) === 0 };
}

/** The fewest rows the file must have: the host page's `minRows` or the importer's, the larger
 * (an importer that does not say takes 1). */
export function minRows(state: Pick<State, 'config' | 'settings'>): number {
  return Math.max(state.settings.options.minRows ?? 0, state.config.limits.minRows ?? 1);
}

/** What happens to the file's unmapped columns before the user says: kept only when the
 * importer keeps them; left out when it leaves them out or asks ("leave out" preselected). */
export function unmappedDefault(config: Pick<PublicConfig, 'unmappedColumns'>): 'keep' | 'ignore' {
  return config.unmappedColumns === 'keep' ? 'keep' : 'ignore';
}

/** What a new import starts from: no file, no decisions yet. */
export function freshImport(config: Pick<PublicConfig, 'unmappedColumns'>) {
  return {
    file: null,
    sheets: null,
    reader: {},
    preview: null,
    match: null,
    mapping: {},
    unmapped: unmappedDefault(config),
    mappedHeaders: [],
    edits: new Map(),
    deleted: new Set(),
    rules: [],
    undo: [],
    summary: null,
    stale: true,
    kept: null,
    hostChecks: null,
    hostPatches: new Map(),
    transformedFor: null,
    startedAt: new Date().toISOString(),
  } satisfies Partial<State>;
}

/** The mapping as the parser takes it. */
export function mappingSpec(state: State): { columns: Record<string, string>; unmapped: 'keep' | 'ignore' } {
  return { columns: { ...state.mapping }, unmapped: state.unmapped };
}

/** The file's data rows, the deleted ones included (the report counts those apart). */
export function fileRows(summary: Summary): number {
  return summary.report.validRows + summary.report.invalidRows + summary.report.deletedRows;
}

/** The importer's schema with the host page's columns added (checked as any schema is). */
export function schemaFor(config: PublicConfig, added: DynamicColumn[]): { schema: Schema; dynamicColumns: SchemaColumn[] } {
  const dynamicColumns = added.map((c) => ({ ...c, type: c.type ?? 'text' }) as SchemaColumn);
  const schema: Schema = { ...config.schema, columns: [...config.schema.columns, ...dynamicColumns] };
  if (dynamicColumns.length > 0) checkSchema(schema);
  return { schema, dynamicColumns };
}

/** The values a user may pick for an enum or boolean column (value and what it shows), or null. */
export function allowedValues(schema: Schema, key: string): Array<{ value: string; label: string }> | null {
  const column = schema.columns.find((c) => c.key === key);
  if (column?.type === 'boolean') {
    return [column.trueValues?.[0] ?? 'true', column.falseValues?.[0] ?? 'false'].map((value) => ({ value, label: value }));
  }
  if (column?.type !== 'enum') return null;
  return (column.values ?? []).map((v) => (typeof v === 'string' ? { value: v, label: v } : { value: v.value, label: v.label ?? v.value }));
}
