// Protocol v1 (docs/protocol.md) from the frame: the importer's config, creating an import,
// sealed batches, status, completion, remembered mappings. Every answer that is not a success is an ApiError with
// the server's problem code.
import type { Schema } from '@sluice/parser';

export interface PublicConfig {
  protocol: number;
  key: string;
  name: string;
  schema: Schema;
  schemaDigest: string;
  invalidRows: 'refuse' | 'record';
  /** The file's unmapped columns: left out (the default, and what an older server means by
   * leaving it out), kept, or the end user's choice with "leave out" preselected. */
  unmappedColumns?: 'leave_out' | 'keep' | 'ask';
  /** Imports start only with a start token the host app's server signed. */
  signedStart?: boolean;
  /** The host page's `onData` may have the rows (`host_page_rows`). */
  hostPageRows?: boolean;
  /** False when the server takes no rows: they go to the host page only (absent from older servers: true). */
  storesRows?: boolean;
  /** `minRows`: the fewest rows an import may complete with (0: an empty file may be imported). */
  limits: { maxRows: number; minRows: number; maxFileSize: number; batchRows: number; batchBytes: number; maxBody: number };
}

export interface Created {
  importId: string;
  serverKey: string;
  uploadToken: string;
  tokenExpiresAt: number;
  expiresAt: number;
  schemaDigest: string;
}

export interface Completion {
  importId: string;
  status: string;
  batches: number;
  rows: number;
  invalidRows: number;
  completedAt: number;
}

/** A problem the server answered (`status` 0 when the network failed). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problem: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Worth sending again: the network, a timeout, rate limits, the server's own failures. */
  get transient(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export class Api {
  constructor(private readonly base: string) {}

  config(): Promise<PublicConfig> {
    return this.call('GET', '');
  }

  create(body: {
    clientKey: string;
    file: { name: string; size: number; type?: string };
    user: object;
    attributes: object;
    dynamicColumns?: object[];
    startToken?: string;
  }): Promise<Created> {
    return this.call('POST', '/imports', { body: JSON.stringify(body), json: true });
  }

  putBatch(created: Created, sequence: number, firstRow: number, rowCount: number, body: Uint8Array): Promise<unknown> {
    return this.call('PUT', `/imports/${created.importId}/batches/${sequence}`, {
      body: body as BodyInit,
      token: created.uploadToken,
      headers: { 'sluice-first-row': String(firstRow), 'sluice-row-count': String(rowCount), 'content-type': 'application/octet-stream' },
    });
  }

  /**
   * Completes the import; `mapping` (schema key → file header) goes, sealed, into the webhook's
   * `import.completed`; `hostPageRows`, the rows handed to the host page, into the import's log.
   */
  complete(created: Created, counts: { batches: number; rows: number; hostPageRows?: number }, mapping: Record<string, string | null>): Promise<Completion> {
    return this.call('POST', `/imports/${created.importId}/complete`, {
      body: JSON.stringify({ ...counts, mapping }),
      json: true,
      token: created.uploadToken,
    });
  }

  /** The mapping remembered for a file layout (field key → header index), or null (204). */
  async rememberedMapping(hash: string): Promise<Record<string, number> | null> {
    const body = await this.call<{ fields?: Record<string, number> }>('GET', `/mappings/${hash}`);
    return body.fields ?? null;
  }

  /** Remembers the mapping chosen for a file layout: field keys and header indexes only. */
  rememberMapping(hash: string, fields: Record<string, number>): Promise<unknown> {
    return this.call('PUT', `/mappings/${hash}`, { body: JSON.stringify({ fields }), json: true });
  }

  private async call<T>(
    method: string,
    path: string,
    options: { body?: BodyInit; json?: boolean; token?: string; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.json) headers['content-type'] = 'application/json';
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, { method, headers, body: options.body ?? null, credentials: 'omit', cache: 'no-store' });
    } catch (error) {
      throw new ApiError(0, 'network', String((error as Error)?.message ?? error));
    }
    const text = await response.text().catch(() => '');
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = {};
    }
    if (!response.ok) {
      throw new ApiError(response.status, String(body['code'] ?? 'http_error'), String(body['detail'] ?? response.statusText), body);
    }
    return body as T;
  }
}
