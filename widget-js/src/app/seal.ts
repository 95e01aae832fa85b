// The browser's half of the transport (see the crypto section of docs/protocol.md), with
// WebCrypto: an ephemeral ECDH P-256 key pair, HKDF-SHA256 to the import's AES-256-GCM key, and
// each batch sealed under a fresh random 96-bit nonce with an AAD binding the import, the batch
// number, its first row, its row count and the schema digest.

const encoder = new TextEncoder();
const HKDF_SALT = encoder.encode('sluice/transport/v1');
const HKDF_INFO_PREFIX = 'sluice/batch-key/';
const BATCH_AAD_LABEL = encoder.encode('sluice/batch/v1');

/** A key pair made for one import; `publicKey` is the uncompressed point in base64url. */
export interface Handshake {
  publicKey: string;
  derive(serverKey: string, importId: string): Promise<CryptoKey>;
}

export async function handshake(): Promise<Handshake> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return {
    publicKey: base64url(raw),
    async derive(serverKey, importId) {
      const peer = await crypto.subtle.importKey('raw', fromBase64url(serverKey) as BufferSource, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
      const secret = await crypto.subtle.deriveBits({ name: 'ECDH', public: peer }, pair.privateKey, 256);
      const ikm = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
      const info = encoder.encode(HKDF_INFO_PREFIX + importId);
      return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: HKDF_SALT, info }, ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    },
  };
}

/** `"sluice/batch/v1" ‖ len8(import id) ‖ import id ‖ sequence (u64) ‖ first row (u64) ‖ row count (u32) ‖ digest (32)`. */
export function batchAad(importId: string, sequence: number, firstRow: number, rowCount: number, digestHex: string): Uint8Array {
  const id = encoder.encode(importId);
  const out = new Uint8Array(BATCH_AAD_LABEL.length + 1 + id.length + 8 + 8 + 4 + 32);
  const view = new DataView(out.buffer);
  let at = 0;
  out.set(BATCH_AAD_LABEL, at);
  at += BATCH_AAD_LABEL.length;
  out[at] = id.length;
  at += 1;
  out.set(id, at);
  at += id.length;
  view.setBigUint64(at, BigInt(sequence));
  at += 8;
  view.setBigUint64(at, BigInt(firstRow));
  at += 8;
  view.setUint32(at, rowCount);
  at += 4;
  out.set(fromHex(digestHex), at);
  return out;
}

/** `nonce (12) ‖ ciphertext ‖ tag (16)`. */
export async function seal(key: CryptoKey, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad as BufferSource }, key, plaintext as BufferSource),
  );
  const out = new Uint8Array(12 + sealed.length);
  out.set(nonce);
  out.set(sealed, 12);
  return out;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
