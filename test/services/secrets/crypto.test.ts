// Sealing: round trip, a fresh IV per write, and every kind of tampering (IV, tag, ciphertext,
// key id, tenant or name moved) or a wrong key is detected rather than yielding a value.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { open, OpenError, seal, sealingKey } from '../../../src/services/secrets/crypto.js';
import type { OpenFailure } from '../../../src/services/secrets/crypto.js';

const key = sealingKey(randomBytes(32));
const VALUE = 'sk_live_Zq8-ünïcødé-✓';

function flip(buf: Buffer, index: number): Buffer {
  const copy = Buffer.from(buf);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

function rejects(fn: () => unknown, reason: OpenFailure): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof OpenError, String(err));
    assert.equal(err.reason, reason);
    assert.doesNotMatch(err.message, /sk_live/);
    return true;
  });
}

describe('secret sealing (AES-256-GCM)', () => {
  it('round-trips a value and lays it out as key id + IV + tag + ciphertext', () => {
    const sealed = seal(key, 'acme', 'token', VALUE);
    assert.equal(sealed[0], key.id);
    assert.equal(sealed.length, 1 + 12 + 16 + Buffer.byteLength(VALUE));
    assert.equal(sealed.includes(Buffer.from(VALUE)), false, 'plaintext is not in the sealed bytes');
    assert.equal(open(key, 'acme', 'token', sealed), VALUE);
  });

  it('uses a fresh IV for every write of the same value', () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 50; i++) ivs.add(seal(key, 'acme', 'token', VALUE).subarray(1, 13).toString('hex'));
    assert.equal(ivs.size, 50);
  });

  it('detects a changed IV, tag or ciphertext byte', () => {
    const sealed = seal(key, 'acme', 'token', VALUE);
    for (const index of [1, 12, 13, 28, 29, sealed.length - 1]) {
      rejects(() => open(key, 'acme', 'token', flip(sealed, index)), 'authentication');
    }
    rejects(() => open(key, 'acme', 'token', sealed.subarray(0, sealed.length - 1)), 'authentication');
  });

  it('refuses a value moved to another tenant or name (they are authenticated data)', () => {
    const sealed = seal(key, 'acme', 'token', VALUE);
    rejects(() => open(key, 'globex', 'token', sealed), 'authentication');
    rejects(() => open(key, 'acme', 'other', sealed), 'authentication');
    // Length-prefixed: shifting characters between tenant and name is not the same AAD.
    const ab = seal(key, 'ab', 'c', VALUE);
    rejects(() => open(key, 'a', 'bc', ab), 'authentication');
  });

  it('refuses another key: by its id byte, and by authentication when the ids collide', () => {
    const sealed = seal(key, 'acme', 'token', VALUE);
    let other = sealingKey(randomBytes(32));
    while (other.id === key.id) other = sealingKey(randomBytes(32));
    rejects(() => open(other, 'acme', 'token', sealed), 'other-key');
    // Same id byte, different key material (forged header): GCM still refuses it.
    const relabelled = Buffer.from(sealed);
    relabelled[0] = other.id;
    rejects(() => open(other, 'acme', 'token', relabelled), 'authentication');
  });

  it('refuses a truncated header as malformed', () => {
    rejects(() => open(key, 'acme', 'token', Buffer.alloc(20)), 'malformed');
  });

  it('derives the same key id from the same key bytes', () => {
    const bytes = randomBytes(32);
    assert.equal(sealingKey(bytes).id, sealingKey(Buffer.from(bytes)).id);
    assert.throws(() => sealingKey(randomBytes(16)), RangeError);
  });
});
