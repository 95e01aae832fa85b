// Mappings remembered on the server, per importer and file layout, so that a file with the same
// headers maps itself on any device. The layout is sent as a hash (SHA-256 of the importer key
// and the trimmed, lowercased header names, as docs/protocol.md says) and the mapping as field
// keys and header indexes: no header name and no cell value leaves the browser. Memory is a
// convenience: when it fails (no WebCrypto outside a secure context, the network), the mapping
// step goes on without it.
import type { State } from './state';

const SEPARATOR = '\u001f';

/** The layout's hash: hex SHA-256 of the importer key and the normalised header names. */
export async function layoutHash(importerKey: string, headers: string[]): Promise<string> {
  const text = [importerKey, ...headers.map((header) => header.trim().toLowerCase())].join(SEPARATOR);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The mapping the server remembers for `headers` (field key → header name), if any. */
export async function recall(state: State, headers: string[]): Promise<Record<string, string> | null> {
  try {
    const fields = await state.api.rememberedMapping(await layoutHash(state.importerKey, headers));
    if (!fields) return null;
    const keys = new Set(state.schema.columns.map((c) => c.key));
    const mapping = Object.entries(fields)
      .filter(([key, index]) => keys.has(key) && Number.isInteger(index) && headers[index] !== undefined)
      .map(([key, index]) => [key, headers[index]!] as const);
    return mapping.length ? Object.fromEntries(mapping) : null;
  } catch {
    return null;
  }
}

/** Remembers `mapping` (field key → header name) for `headers` on the server, in the background. */
export function keep(state: State, headers: string[], mapping: Record<string, string>): void {
  const fields = Object.fromEntries(
    Object.entries(mapping)
      .map(([key, header]) => [key, headers.indexOf(header)] as const)
      .filter(([, index]) => index >= 0),
  );
  if (Object.keys(fields).length === 0) return;
  layoutHash(state.importerKey, headers)
    .then((hash) => state.api.rememberMapping(hash, fields))
    .catch(() => {
      // Not remembered this time: the next import is mapped from its headers and values.
    });
}
