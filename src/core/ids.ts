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

// Random bytes are drawn 4 KiB at a time: one getrandom() per 256 ids instead of one per id
// (a per-call randomBytes() was a visible share of the invoke path).
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

function random16(): Buffer {
  if (randomOffset + 16 > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomOffset = 0;
  }
  const out = randomPool.subarray(randomOffset, randomOffset + 16);
  randomOffset += 16;
  return out;
}

/** A time-ordered id: 10 chars of milliseconds then 16 random chars (80 random bits). */
export function sortableId(prefix: string, now = Date.now()): string {
  const bytes = random16();
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b & 31];
  return `${prefix}_${encodeTime(now)}${rand}`;
}

/**
 * The lowest id sortableId(prefix, ms) can make: every id of `prefix` made before `ms` sorts
 * below it, so "made before ms" is a key range (retention deletes by it without a time index).
 */
export function idTimeFloor(prefix: string, ms: number): string {
  return `${prefix}_${encodeTime(Math.max(0, Math.floor(ms)))}`;
}

export function executionId(): string {
  return sortableId('ex');
}

/** A random secret token, base64url, 32 bytes of entropy. */
export function secretToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}
