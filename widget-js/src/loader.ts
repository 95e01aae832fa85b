// @sluice/widget's loader: opens the importer served by a Sluice server in a modal frame on the
// host page and relays its events. A script tag (`<script src="https://sluice.example.com/sluice.js">`)
// defines `window.Sluice` and `window.CSVBoxImporter`; `import { importer } from '@sluice/widget'`
// gives the same in a bundle.
import { type CsvboxColumn, fromCsvbox } from './csvbox-columns.js';
import type {
  Attribute,
  DataMeta,
  DynamicColumn,
  HostError,
  HostRow,
  ImportResult,
  Settings,
  StartToken,
  ToApp,
  ToHost,
  ValidateMeta,
  WidgetOptions,
} from './messages.js';

export type { CsvboxColumn } from './csvbox-columns.js';
export type {
  Attribute,
  DataMeta,
  DynamicColumn,
  HostError,
  HostRow,
  ImportResult,
  StartToken,
  StringOverrides,
  ValidateMeta,
  WidgetOptions,
} from './messages.js';

/**
 * When the importer's frame, app and WebAssembly load: `'none'` (the default) on the first
 * `open()`, so a page view that never imports downloads nothing but the loader; `'idle'` once
 * the page is idle after construction. `importer.preload()` loads at any moment (on a button's
 * hover or focus, say).
 */
export type Preload = 'none' | 'idle';

export interface ImporterConfig {
  /** The importer's key, as in the server's configuration. */
  importer: string;
  /** The Sluice server's URL; by default the one the loader script came from. */
  server?: string;
  user?: Record<string, Attribute>;
  attributes?: Record<string, Attribute>;
  options?: WidgetOptions;
  dynamicColumns?: DynamicColumn[];
  /** For an importer that requires signed starts: the token, or a function that gets a fresh one from your server for each start. */
  startToken?: StartToken;
  /** When to load the importer before the first `open()`: `'none'` (the default) or `'idle'`. */
  preload?: Preload;
  /** @deprecated Use `preload`; `lazy: false` (load at once, the old default) is `preload: 'idle'`. */
  lazy?: boolean;
  onReady?: () => void;
  onLoadStart?: () => void;
  onSubmit?: (info: { rows: number; file: { name: string; size: number } }) => void;
  onComplete?: (result: ImportResult) => void;
  /**
   * The checked rows, chunk by chunk in the file's order, for importers with `host_page_rows =
   * true` (otherwise the app is told with onError `host_page_rows_off`). The next chunk comes only
   * once this returns, or once the promise it returns settles; a rejection (or a throw) stops the
   * import and its message is shown. Retrying an import hands its rows again under a new importId.
   */
  onData?: (rows: HostRow[], meta: DataMeta) => void | Promise<void>;
  /**
   * Your own checks of the rows on the review step (importers with `host_page_rows`), beside the
   * schema's: gets rows in chunks, returns (or resolves to) the cells that are wrong with your
   * message for each, shown in the grid like the schema's errors; run again for the rows whose
   * values change (an edit, a fix, another mapping).
   */
  validateRows?: (rows: HostRow[], meta: ValidateMeta) => HostError[] | Promise<HostError[]>;
  /** Rewrites each row before it is checked (importers with `host_page_rows`): gets a row, returns its new `data` (schema key → value). */
  transformRow?: (row: HostRow) => HostRow['data'] | Promise<HostRow['data']>;
  onClose?: () => void;
  onError?: (error: { code: string; message: string }) => void;
}

/** The server the loader script came from, when it came by a script tag. */
const scriptServer = (() => {
  const script = typeof document === 'undefined' ? null : (document.currentScript as HTMLScriptElement | null);
  return script?.src ? script.src.replace(/\/sluice\.js(\?.*)?$/, '') : undefined;
})();

/** One importer on the host page. Calls made before the frame is ready are kept and replayed. */
export class Importer {
  private readonly config: ImporterConfig;
  private readonly server: string;
  private readonly origin: string;
  private settings: Settings;
  private overlay: HTMLDivElement | null = null;
  private frame: HTMLIFrameElement | null = null;
  private ready = false;
  private openWanted = false;
  private returnFocus: Element | null = null;
  private overflow = '';
  private readonly onMessage = (event: MessageEvent) => this.receive(event);

  constructor(config: ImporterConfig) {
    const server = config.server ?? scriptServer;
    if (!config.importer) throw new Error('Sluice.importer: `importer` (the importer key) is required');
    if (!server) throw new Error('Sluice.importer: `server` is required when the loader is not loaded by a script tag');
    this.config = config;
    this.server = server.replace(/\/+$/, '');
    this.origin = new URL(this.server).origin;
    this.settings = {
      user: { ...config.user },
      attributes: { ...config.attributes },
      options: { ...config.options },
      dynamicColumns: [...(config.dynamicColumns ?? [])],
      hooks: {
        data: typeof config.onData === 'function',
        validateRows: typeof config.validateRows === 'function',
        transformRow: typeof config.transformRow === 'function',
      },
    };
    window.addEventListener('message', this.onMessage);
    if ((config.preload ?? (config.lazy === false ? 'idle' : 'none')) === 'idle') whenIdle(() => this.preload());
  }

  /** Loads the importer's frame (its app and WebAssembly) now, without opening it. */
  preload(): this {
    this.mount();
    return this;
  }

  /** Opens the importer (loading it first if needed). */
  open(): this {
    this.mount();
    if (this.overlay?.style.display === 'flex') return this;
    this.returnFocus = document.activeElement;
    this.overflow = document.body.style.overflow;
    document.body.style.overflow = 'hidden';
    if (this.overlay) this.overlay.style.display = 'flex';
    this.frame?.focus();
    this.openWanted = true;
    this.post({ sluice: 1, type: 'open' });
    return this;
  }

  /** Closes the modal; the importer keeps its state until the page reloads. */
  close(): this {
    if (this.overlay?.style.display !== 'none' && this.overlay) {
      this.overlay.style.display = 'none';
      document.body.style.overflow = this.overflow;
      (this.returnFocus as HTMLElement | null)?.focus?.();
    }
    this.openWanted = false;
    return this;
  }

  setUser(user: Record<string, Attribute>): this {
    return this.update({ user: { ...user } });
  }

  setAttributes(attributes: Record<string, Attribute>): this {
    return this.update({ attributes: { ...attributes } });
  }

  setOptions(options: WidgetOptions): this {
    return this.update({ options: { ...this.settings.options, ...options } });
  }

  setDynamicColumns(columns: DynamicColumn[]): this {
    return this.update({ dynamicColumns: [...columns] });
  }

  /** Removes the frame and stops listening. */
  destroy(): void {
    window.removeEventListener('message', this.onMessage);
    this.close();
    this.overlay?.remove();
    this.overlay = null;
    this.frame = null;
    this.ready = false;
  }

  private update(change: Partial<Settings>): this {
    this.settings = { ...this.settings, ...change };
    this.post({ sluice: 1, type: 'settings', settings: this.settings });
    return this;
  }

  private mount(): void {
    if (this.overlay) return;
    const overlay = document.createElement('div');
    overlay.setAttribute('data-sluice-importer', this.config.importer);
    Object.assign(overlay.style, {
      position: 'fixed',
      inset: '0',
      display: 'none',
      alignItems: 'center',
      justifyContent: 'center',
      background: 'rgba(15, 23, 42, 0.55)',
      zIndex: '2147483000',
    });
    const frame = document.createElement('iframe');
    const query = new URLSearchParams({ origin: location.origin });
    frame.src = `${this.server}/embed/${encodeURIComponent(this.config.importer)}?${query}`;
    frame.title = this.settings.options.title ?? 'Import data';
    Object.assign(frame.style, {
      width: 'min(1120px, calc(100vw - 24px))',
      height: 'min(800px, calc(100vh - 24px))',
      border: '0',
      borderRadius: '12px',
      background: 'transparent',
      boxShadow: '0 24px 64px rgba(0,0,0,.35)',
    });
    overlay.append(frame);
    document.body.append(overlay);
    this.overlay = overlay;
    this.frame = frame;
  }

  private post(message: ToApp): void {
    if (this.ready) this.frame?.contentWindow?.postMessage(message, this.origin);
  }

  /** Answers the app's request for a start token: the one given, or a fresh one from the function. */
  private async giveStartToken(id: number): Promise<void> {
    const source = this.config.startToken;
    try {
      const token = typeof source === 'function' ? await source() : (source ?? null);
      if (token !== null && typeof token !== 'string') throw new Error('startToken must give a string');
      this.post({ sluice: 1, type: 'startToken', id, token });
    } catch (error) {
      this.post({ sluice: 1, type: 'startToken', id, token: null, error: String((error as Error)?.message ?? error) });
    }
  }

  /** Runs one of the host page's functions for the app and answers with what it gave back. */
  private async answer(id: number, run: () => unknown): Promise<void> {
    try {
      const value = await run();
      this.post({ sluice: 1, type: 'hostAnswer', id, value });
    } catch (error) {
      this.post({ sluice: 1, type: 'hostAnswer', id, error: String((error as Error)?.message ?? error) });
    }
  }

  private receive(event: MessageEvent): void {
    if (event.origin !== this.origin || !this.frame || event.source !== this.frame.contentWindow) return;
    const message = event.data as ToHost;
    if (message?.sluice !== 1) return;
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.post({ sluice: 1, type: 'settings', settings: this.settings });
        if (this.openWanted) this.post({ sluice: 1, type: 'open' });
        this.config.onReady?.();
        break;
      case 'loadStart':
        this.config.onLoadStart?.();
        break;
      case 'startToken':
        void this.giveStartToken(message.id);
        break;
      case 'data':
        void this.answer(message.id, () => this.config.onData?.(rowsOf(message.rows), message.meta));
        break;
      case 'validateRows':
        void this.answer(message.id, () => this.config.validateRows?.(rowsOf(message.rows), message.meta) ?? []);
        break;
      case 'transformRows': {
        const transform = this.config.transformRow;
        const rows = rowsOf(message.rows);
        void this.answer(message.id, async () => JSON.stringify(await Promise.all(rows.map((row) => transform?.(row) ?? row.data))));
        break;
      }
      case 'submit':
        this.config.onSubmit?.({ rows: message.rows, file: message.file });
        break;
      case 'complete':
        this.config.onComplete?.(message.result);
        break;
      case 'error':
        this.config.onError?.({ code: message.code, message: message.message });
        break;
      case 'close':
        this.close();
        this.config.onClose?.();
        break;
    }
  }
}

/** Rows the app posted as JSON text. */
function rowsOf(json: string): HostRow[] {
  return JSON.parse(json) as HostRow[];
}

/** Runs `task` when the page is idle (or soon, where the browser cannot tell). */
function whenIdle(task: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(task, { timeout: 5000 });
  else setTimeout(task, 1000);
}

/** Makes an importer: `Sluice.importer({ importer: 'contacts', onComplete }).open()`. */
export function importer(config: ImporterConfig): Importer {
  return new Importer(config);
}

type CsvboxCallback = (ok: boolean, data: Record<string, unknown>) => void;
type CsvboxEvent = 'onReady' | 'onClose' | 'onSubmit' | 'onLoadStart';

/**
 * csvbox.io's API over Sluice, so that moving over is one changed line: the first argument is
 * the Sluice importer key, and the callback gets csvbox's field names.
 */
export class CSVBoxImporter {
  private readonly importer: Importer;
  private readonly listeners: Partial<Record<CsvboxEvent, () => void>> = {};

  private readonly callback: CsvboxCallback | undefined;
  /** The rows of the import in progress, for the callback (with `options.rows`). */
  private rows: CsvboxRow[] = [];

  /**
   * As csvbox, the importer loads when the page is idle unless `options.lazy` is true (then on the
   * first open); `preload` says it directly. With `rows: true`, for an importer with
   * `host_page_rows`, the callback's data also holds the rows (`data.rows`, csvbox's client-side
   * rows: `row_number`, `row_data`, …), as with csvbox's data handed to the browser.
   */
  constructor(
    key: string,
    user: Record<string, Attribute> = {},
    callback?: CsvboxCallback,
    options: { lazy?: boolean; preload?: Preload; server?: string; startToken?: StartToken; rows?: boolean } = {},
  ) {
    this.callback = callback;
    this.importer = new Importer({
      ...(options.rows ? { onData: (rows: HostRow[], meta: DataMeta) => this.collect(rows, meta) } : {}),
      importer: key,
      ...(options.server ? { server: options.server } : {}),
      ...(options.startToken ? { startToken: options.startToken } : {}),
      user,
      preload: options.preload ?? (options.lazy ? 'none' : 'idle'),
      onReady: () => this.listeners.onReady?.(),
      onClose: () => this.listeners.onClose?.(),
      onSubmit: () => this.listeners.onSubmit?.(),
      onLoadStart: () => this.listeners.onLoadStart?.(),
      onComplete: (result) => {
        const data = csvboxData(result);
        if (options.rows) data['rows'] = this.rows;
        this.rows = [];
        callback?.(csvboxSucceeded(result), data);
      },
      onError: (error) => callback?.(false, { import_status: 'failure', error: error.message }),
    });
  }

  setUser(user: Record<string, Attribute>): void {
    this.importer.setUser(user);
  }

  setOptions(options: WidgetOptions & Record<string, unknown>): void {
    const mapped: WidgetOptions = { ...options };
    if (typeof options['max_rows'] === 'number') mapped.maxRows = options['max_rows'] as number;
    if (typeof options['allow_invalid'] === 'boolean') mapped.allowInvalid = options['allow_invalid'] as boolean;
    if (typeof options['language'] === 'string') mapped.language = options['language'] as string;
    this.importer.setOptions(mapped);
  }

  /**
   * csvbox's dynamic columns (or Sluice's). A column with an option Sluice cannot use is left
   * out, and the host page's developer is told which column and option: on the console and
   * through the callback (`callback(false, { import_status: 'failure', error_code: 'bad_dynamic_column', error })`).
   */
  setDynamicColumns(columns: CsvboxColumn[]): void {
    const translated = fromCsvbox(columns);
    for (const problem of translated.problems) {
      console.error(`CSVBoxImporter.setDynamicColumns: ${problem}`);
      this.callback?.(false, { import_status: 'failure', error_code: 'bad_dynamic_column', error: problem });
    }
    this.importer.setDynamicColumns(translated.columns);
  }

  listen(event: CsvboxEvent, callback: () => void): void {
    this.listeners[event] = callback;
  }

  openModal(): void {
    this.importer.open();
  }

  private collect(rows: HostRow[], meta: DataMeta): void {
    if (meta.chunk.index === 0) this.rows = [];
    for (const row of rows) {
      this.rows.push({
        import_id: meta.importId,
        row_number: row.row,
        total_rows: meta.totalRows,
        row_data: { ...row.data, ...row.kept },
        custom_fields: meta.attributes,
      });
    }
  }
}

/** A row as csvbox hands it over: its number, the import's, and the values by column name. */
interface CsvboxRow {
  import_id: string;
  row_number: number;
  total_rows: number;
  row_data: Record<string, string | null>;
  custom_fields: Record<string, Attribute>;
}

/** Whether csvbox would call the import a success: some rows went somewhere. */
function csvboxSucceeded(result: ImportResult): boolean {
  return Math.max(result.rows, result.hostPageRows ?? 0) > 0;
}

/** A Sluice result under csvbox's field names. */
function csvboxData(result: ImportResult): Record<string, unknown> {
  const imported = Math.max(result.rows, result.hostPageRows ?? 0);
  return {
    import_id: result.importId,
    row_count: result.totalRows,
    row_success: imported - result.invalidRows,
    row_fail: result.skippedRows + result.invalidRows,
    import_status: imported > 0 ? 'success' : 'failure',
    import_starttime: result.startedAt,
    import_endtime: result.completedAt,
    original_filename: result.file.name,
    custom_fields: result.attributes,
    column_mappings: Object.entries(result.mapping).map(([key, header]) => ({ [key]: header })),
    raw_columns: result.keptColumns,
    user: result.user,
  };
}
