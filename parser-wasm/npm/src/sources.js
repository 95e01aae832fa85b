// Chunks of bytes from whatever a caller has: a File or Blob, a web ReadableStream, a Node
// stream, an async iterable, a Uint8Array or ArrayBuffer.

/** The size of a source in bytes, when it is known up front. */
export function sizeOf(source) {
  if (typeof Blob !== 'undefined' && source instanceof Blob) return source.size;
  if (source instanceof ArrayBuffer) return source.byteLength;
  if (ArrayBuffer.isView(source)) return source.byteLength;
  return undefined;
}

/** Yields the source's bytes as Uint8Arrays of about `chunkSize` bytes. */
export async function* chunks(source, chunkSize) {
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    for (let at = 0; at < source.size; at += chunkSize) {
      yield new Uint8Array(await source.slice(at, at + chunkSize).arrayBuffer());
    }
  } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer
      ? new Uint8Array(source)
      : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
  } else if (source && typeof source.getReader === 'function') {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield toBytes(value);
      }
    } finally {
      reader.releaseLock();
    }
  } else if (source && typeof source[Symbol.asyncIterator] === 'function') {
    for await (const value of source) yield toBytes(value);
  } else {
    throw new TypeError('the source must be a File, Blob, ReadableStream, stream, async iterable, Uint8Array or ArrayBuffer');
  }
}

function toBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return new TextEncoder().encode(value);
  throw new TypeError('a stream chunk must be bytes (Uint8Array, ArrayBuffer) or a string');
}

/** Bytes `[start, end)` of a source that can be read at any offset. */
export async function slice(source, start, end) {
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    return new Uint8Array(await source.slice(start, end).arrayBuffer());
  }
  if (source instanceof ArrayBuffer) return new Uint8Array(source, start, Math.max(0, Math.min(end, source.byteLength) - start));
  if (ArrayBuffer.isView(source)) {
    const bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    return bytes.subarray(start, end);
  }
  throw new TypeError('reading rows again needs a File, Blob, Uint8Array or ArrayBuffer (a stream cannot be read twice)');
}
