// Sealing of secret values: AES-256-GCM with a fresh random 12-byte IV per write and the
// tenant and secret name bound as additional authenticated data, so a sealed value copied to
// another tenant or name fails to open. Layout: key id (1 byte) + IV (12) + tag (16) + ciphertext.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SECRET_KEY_BYTES } from '../../core/secret-key.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

/** A master key and its id: one byte derived from the key, stored in front of every sealed value. */
export interface SealingKey {
  id: number;
  bytes: Buffer;
}

/** Why a sealed value could not be opened. */
export type OpenFailure = 'malformed' | 'other-key' | 'authentication';

export class OpenError extends Error {
  readonly reason: OpenFailure;
  constructor(reason: OpenFailure, message: string) {
    super(message);
    this.name = 'OpenError';
    this.reason = reason;
  }
}

export function sealingKey(bytes: Buffer): SealingKey {
  if (bytes.length !== SECRET_KEY_BYTES) throw new RangeError(`a sealing key has ${SECRET_KEY_BYTES} bytes`);
  // A fingerprint, not key material: one byte of a domain-separated hash.
  const id = createHash('sha256').update('airlock secret key id\0').update(bytes).digest()[0]!;
  return { id, bytes: Buffer.from(bytes) };
}

/** Length-prefixed tenant and name, so ("ab","c") and ("a","bc") never share an AAD. */
function aad(tenant: string, name: string): Buffer {
  const t = Buffer.from(tenant, 'utf8');
  const n = Buffer.from(name, 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt32BE(t.length, 0);
  head.writeUInt32BE(n.length, 4);
  return Buffer.concat([Buffer.from('airlock-secret-v1\0'), head, t, n]);
}

export function seal(key: SealingKey, tenant: string, name: string, value: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(tenant, name));
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([key.id]), iv, cipher.getAuthTag(), body]);
}

/** Opens a sealed value; throws OpenError when it is malformed, from another key, or tampered with. */
export function open(key: SealingKey, tenant: string, name: string, sealed: Uint8Array): string {
  return openWith([key], tenant, name, sealed).value;
}

/**
 * Opens a sealed value with whichever of `keys` sealed it (chosen by the id byte; keys whose
 * ids collide are each tried). Answers the value and the key that opened it.
 */
export function openWith(keys: readonly SealingKey[], tenant: string, name: string, sealed: Uint8Array): { value: string; key: SealingKey } {
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (buf.length < HEADER_BYTES) throw new OpenError('malformed', `sealed value is ${buf.length} bytes, shorter than its header`);
  const candidates = keys.filter((k) => k.id === buf[0]);
  if (candidates.length === 0) {
    throw new OpenError('other-key', `sealed with key id ${buf[0]}, but the configured keys have id ${keys.map((k) => k.id).join(', ')}`);
  }
  for (const key of candidates) {
    const value = tryOpen(key, tenant, name, buf);
    if (value !== undefined) return { value, key };
  }
  throw new OpenError('authentication', 'authentication failed (wrong key, or the row was altered or moved)');
}

function tryOpen(key: SealingKey, tenant: string, name: string, buf: Buffer): string | undefined {
  const iv = buf.subarray(1, 1 + IV_BYTES);
  const tag = buf.subarray(1 + IV_BYTES, HEADER_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key.bytes, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad(tenant, name));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(buf.subarray(HEADER_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
