// What the importer knows as the user goes through its steps.
import { checkSchema, type ColumnMatch, type Patches, type Preview, type ReaderOptions, type Schema, type SchemaColumn, type Summary } from '@sluice/parser';
import type { Api, PublicConfig } from './api';
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
  /** The user's overrides of what was detected. */
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
  /** The last full check of the file with the edits, and whether edits came after it. */
  summary: Summary | null;
  stale: boolean;
  /** Counts changes to edits and deletions, so a check knows whether it saw the latest. */
  version: number;
  startedAt: string;
  /** Asks the host page for a start token (null when it has none to give). */
  startToken: () => Promise<string | null>;
}

/** The edits as the parser takes them. */
export function patches(state: State): Patches {
  return { set: Object.fromEntries(state.edits), delete: [...state.deleted] };
}

/** Posts to the host page, at its exact origin. */
export function tell(state: Pick<State, 'parentOrigin'>, message: ToHost): void {
  if (window.parent !== window) window.parent.postMessage(message, state.parentOrigin);
}

/** How the file is read: the user's overrides; the rest detected. */
export function readerOptions(state: State): ReaderOptions {
  return { ...state.reader };
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
