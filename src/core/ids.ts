// Identifiers: sortable, random, URL-safe. Execution ids start with `ex_`, keys with `ak_`.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function encodeTime(ms: number): string {
  let out = '';
  let n = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/** A time-ordered id: 10 chars of milliseconds then 16 random chars. */
export function sortableId(prefix: string, now = Date.now()): string {
  const bytes = randomBytes(16);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b & 31];
  return `${prefix}_${encodeTime(now)}${rand}`;
}

export function executionId(): string {
  return sortableId('ex');
}

/** A random secret token, base64url, 32 bytes of entropy. */
export function secretToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}
