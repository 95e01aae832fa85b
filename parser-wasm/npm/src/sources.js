// Chunks of bytes from whatever a caller has: a File or Blob, a web ReadableStream, a Node
// stream, an async iterable, a Uint8Array or ArrayBuffer.

/** The size of a source in bytes, when it is known up front. */
export function sizeOf(source) {
  if (typeof Blob !== 'undefined' && source instanceof Blob) return source.size;
  if (source instanceof ArrayBuffer) return source.byteLength;
  if (ArrayBuffer.isView(source)) return source.byteLength;
  return undefined;
}

/**
 * Yields the source's bytes as Uint8Arrays of about `chunkSize` bytes; each is only good until
 * the next is asked for.
 */
export async function* chunks(source, chunkSize) {
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    // A Blob's stream reads ahead while the caller works on a chunk (a browser reads a File in
    // another process): several times faster than awaiting one slice after another.
    yield* streamed(source.stream(), chunkSize);
  } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
  } else if (source && typeof source.getReader === 'function') {
    yield* streamed(source, chunkSize);
  } else if (source && typeof source[Symbol.asyncIterator] === 'function') {
    for await (const value of source) yield toBytes(value);
  } else {
    throw new TypeError('the source must be a File, Blob, ReadableStream, stream, async iterable, Uint8Array or ArrayBuffer');
  }
}

/** A web ReadableStream's bytes: read into one buffer when it is a byte stream, else gathered. */
function streamed(stream, chunkSize) {
  let reader;
  try {
    reader = stream.getReader({ mode: 'byob' });
  } catch {
    return gathered(read(stream), chunkSize);
  }
  return filled(reader, chunkSize);
}

/**
 * Chunks read from a byte stream into one buffer that moves back and forth between the stream
 * and the caller: no buffer is allocated per chunk, which would otherwise pile up (a 1 GB file
 * makes thousands) until the garbage collector gets to them. A chunk is only good until the
 * next one is asked for.
 */
async function* filled(reader, chunkSize) {
  let buffer = new ArrayBuffer(chunkSize);
  try {
    for (;;) {
      let length = 0;
      let done = false;
      while (length < chunkSize && !done) {
        const result = await reader.read(new Uint8Array(buffer, length, chunkSize - length));
        done = result.done;
        if (result.value) {
          buffer = result.value.buffer;
          length += result.value.byteLength;
        }
      }
      if (length > 0) yield new Uint8Array(buffer, 0, length);
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

/** The values of a web ReadableStream. */
async function* read(stream) {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield toBytes(value);
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Small pieces gathered into chunks of `chunkSize` bytes: streams hand out pieces of 64 KiB or
 * less, and fewer, larger calls into the parser cost less. The one buffer is filled again for
 * every chunk, so a chunk is only good until the caller asks for the next one (the parser
 * copies what it is fed).
 */
async function* gathered(pieces, chunkSize) {
  const buffer = new Uint8Array(chunkSize);
  let filled = 0;
  for await (const piece of pieces) {
    if (filled === 0 && piece.length >= chunkSize) {
      yield piece;
      continue;
    }
    for (let at = 0; at < piece.length; ) {
      const take = Math.min(chunkSize - filled, piece.length - at);
      buffer.set(piece.subarray(at, at + take), filled);
      (filled += take), (at += take);
      if (filled === chunkSize) {
        yield buffer;
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
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

/** All the bytes of a source that can be read at any offset (a workbook is read whole). */
export const whole = (source) => slice(source, 0, sizeOf(source) ?? Infinity);
