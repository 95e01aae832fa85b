// The messages between the loader (on the host page) and the importer app (in the frame). Both
// sides post with the other's exact origin and check `event.origin` and `event.source`.

/** A value a host page passes through: user attributes and custom attributes. */
export type Attribute = string | number | boolean | null;

/** What the host page can set for one importer. */
export interface WidgetOptions {
  /** "en", "fr", "de", "es", "pt" or "nl" (a tag such as "pt-BR" or "de-AT" is shown in its
   * language); by default the browser's language when the app has it, else English. */
  language?: string;
  /** Your own words for any of the importer's strings (see the README for the keys). */
  strings?: StringOverrides;
  /** "light", "dark" or "auto" (the system's; the default). */
  theme?: 'light' | 'dark' | 'auto';
  /** The importer's CSS variables to override, such as `{ '--sl-accent': '#0f766e' }` (see the README for the list). */
  cssVariables?: Record<string, string>;
  /** The fewest rows a file may have to be submitted. */
  minRows?: number;
  /** The most rows (never above the importer's own limit). */
  maxRows?: number;
  /** Submit even with invalid rows: they are left out (or sent with their errors where the importer records them). */
  allowInvalid?: boolean;
  /** Remember the user's column choices on this device (localStorage in the frame's origin). */
  rememberMapping?: boolean;
  /** A title instead of the importer's name. */
  title?: string;
}

/**
 * Text for the importer's strings, by key (`{ title: 'Import contacts' }`, for whichever language
 * is shown) or by language and key (`{ de: { title: 'Kontakte importieren' } }`); a language's
 * entries win over flat ones. Keep the placeholders of the key's English text (`{n}`, `{rows}`).
 * Unknown keys and values that are not strings are reported in the browser console and left out.
 */
export type StringOverrides = { [keyOrLanguage: string]: string | { [key: string]: string } };

/** A column the host page adds at run time. */
export interface DynamicColumn {
  key: string;
  label?: string;
  type?: string;
  required?: boolean;
  [setting: string]: unknown;
}

/** Everything the loader tells the app; sent whole whenever it changes. */
export interface Settings {
  user: Record<string, Attribute>;
  attributes: Record<string, Attribute>;
  options: WidgetOptions;
  dynamicColumns: DynamicColumn[];
  /** Which of the host page's functions that take rows are set (the functions stay on the host page). */
  hooks?: { data?: boolean; validateRows?: boolean; transformRow?: boolean };
}

/** One row as `onData` receives it: the shape of a row in the webhook's `import.rows`. */
export interface HostRow {
  /** The data row number in the user's file (the header is not counted; deleted rows leave gaps). */
  row: number;
  /** True only for importers that record invalid rows. */
  invalid: boolean;
  /** Schema column key → value (canonical when the row is valid), or null when empty. */
  data: Record<string, string | null>;
  /** The file's unmapped columns by header, when the importer keeps them. */
  kept: Record<string, string | null>;
  /** Fields beyond the header, when the row had any. */
  extras?: Array<string | null>;
}

/** What `onData` receives beside a chunk of rows. */
export interface DataMeta {
  importId: string;
  importer: string;
  /** The chunk's place among the import's chunks, from 0 (the rows' order). */
  chunk: { index: number };
  firstRow: number;
  lastRow: number;
  /** Rows the import hands over in all: the last chunk ends the count. */
  totalRows: number;
  file: { name: string; size: number };
  user: Record<string, Attribute>;
  attributes: Record<string, Attribute>;
}

/** The result of a finished import, as the host page's onComplete receives it. */
export interface ImportResult {
  importId: string;
  /** Rows the server stored. */
  rows: number;
  /** Rows stored with errors (importers that record invalid rows). */
  invalidRows: number;
  /** Rows with errors that were not sent (deleted rows are counted in `deletedRows`). */
  skippedRows: number;
  /** Rows the user deleted while reviewing. */
  deletedRows: number;
  /** Data rows in the file. */
  totalRows: number;
  batches: number;
  file: { name: string; size: number };
  /** Schema column key → the file's header it was read from (null when not in the file). */
  mapping: Record<string, string | null>;
  /** The file's columns kept as they are (not in the schema). */
  keptColumns: string[];
  startedAt: string;
  completedAt: string;
  user: Record<string, Attribute>;
  attributes: Record<string, Attribute>;
  /** Rows handed to the host page's `onData` (absent when it has none, or the importer gives none). */
  hostPageRows?: number;
}

/** What the host page's `validateRows` receives beside the rows (before the import starts). */
export interface ValidateMeta {
  importer: string;
  file: { name: string; size: number };
  user: Record<string, Attribute>;
  attributes: Record<string, Attribute>;
}

/** A cell (or with `column` null, a whole row) the host page's `validateRows` finds wrong. */
export interface HostError {
  row: number;
  column: string | null;
  /** Shown to the person importing as written. */
  message: string;
}

/**
 * A start token for an importer that requires signed starts (docs/protocol.md §4.8): the token
 * itself, or a function the widget calls for each start to get a fresh one from the host app's
 * server (tokens are used once and expire within the hour).
 */
export type StartToken = string | (() => string | Promise<string>);

export type ToApp =
  | { sluice: 1; type: 'settings'; settings: Settings }
  | { sluice: 1; type: 'open' }
  | { sluice: 1; type: 'startToken'; id: number; token: string | null; error?: string }
  | { sluice: 1; type: 'hostAnswer'; id: number; error?: string; value?: unknown };
// A `transformRows` answer's value is JSON text too: the rows' new data, in order.

export type ToHost =
  | { sluice: 1; type: 'ready' }
  | { sluice: 1; type: 'startToken'; id: number }
  // Rows travel as JSON text (`HostRow[]`): one string is far cheaper to post than the objects.
  | { sluice: 1; type: 'data'; id: number; rows: string; meta: DataMeta }
  | { sluice: 1; type: 'validateRows'; id: number; rows: string; meta: ValidateMeta }
  | { sluice: 1; type: 'transformRows'; id: number; rows: string }
  | { sluice: 1; type: 'loadStart' }
  | { sluice: 1; type: 'submit'; rows: number; file: { name: string; size: number } }
  | { sluice: 1; type: 'complete'; result: ImportResult }
  | { sluice: 1; type: 'error'; code: string; message: string }
  | { sluice: 1; type: 'close' };
