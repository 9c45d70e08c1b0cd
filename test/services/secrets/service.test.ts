// SecretService over a real SQLite store: SecretSource.get decrypts what put sealed, replace keeps
// createdAt, validation (names, size in bytes, hosts syntax and count, per-tenant count) and a
// wrong key or a moved row give SECRET_UNREADABLE naming the secret, never its value; the
// operator's side (key ids, what to do) goes to the server log once a minute per secret, and
// the tenant's message holds no operator advice.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { isAirlockError } from '../../../src/core/errors.js';
import type { ErrorCode } from '../../../src/core/errors.js';
import { sealingKey } from '../../../src/services/secrets/crypto.js';
import { SecretService } from '../../../src/services/secrets/service.js';
import { tempSqlite } from '../../store/temp-sqlite.js';
import type { TempSqlite } from '../../store/temp-sqlite.js';

const LIMITS = { maxValueBytes: 64, maxHosts: 3, maxPerTenant: 3 };
const VALUE = 'ghp_service-test-value-7f3a';

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isAirlockError(err), String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    assert.equal(err.message.includes(VALUE), false, 'the value is never in an error');
    return true;
  });
}

describe('SecretService', () => {
  let db: TempSqlite;
  let clock: number;
  let key: Buffer;
  let service: SecretService;
  beforeEach(async () => {
    db = await tempSqlite();
    clock = 1_000;
    key = randomBytes(32);
    service = new SecretService(db.store, { current: key }, LIMITS, { now: () => clock });
  });
  afterEach(() => db.cleanup());

  it('get (SecretSource) returns the value and normalized hosts; unknown names are undefined', async () => {
    const put = await service.put('acme', 'gh-token', VALUE, ['API.github.com', '*.github.com', 'api.github.com']);
    assert.equal(put.created, true);
    assert.deepEqual(put.meta.hosts, ['api.github.com', '*.github.com']);
    assert.equal('value' in put.meta, false);
    assert.deepEqual(await service.get('acme', 'gh-token'), { name: 'gh-token', hosts: ['api.github.com', '*.github.com'], value: VALUE });
    assert.equal(await service.get('acme', 'nope'), undefined);
    assert.equal(await service.get('globex', 'gh-token'), undefined);
  });

  it('replacing keeps createdAt, moves updatedAt, and get sees the new value at once', async () => {
    await service.put('acme', 'gh-token', VALUE, ['api.github.com']);
    clock = 5_000;
    const again = await service.put('acme', 'gh-token', 'second-value', ['uploads.github.com']);
    assert.equal(again.created, false);
    assert.equal(again.meta.createdAt, 1_000);
    assert.equal(again.meta.updatedAt, 5_000);
    assert.deepEqual(await service.describe('acme', 'gh-token'), {
      tenant: 'acme', name: 'gh-token', hosts: ['uploads.github.com'], createdAt: 1_000, updatedAt: 5_000,
    });
    assert.equal((await service.get('acme', 'gh-token'))?.value, 'second-value');
  });

  it('delete removes it from get, describe and list; a second delete is SECRET_NOT_FOUND', async () => {
    await service.put('acme', 'gh-token', VALUE, ['api.github.com']);
    await service.delete('acme', 'gh-token');
    assert.equal(await service.get('acme', 'gh-token'), undefined);
    assert.deepEqual(await service.list('acme'), []);
    await rejectsWith(service.describe('acme', 'gh-token'), 'SECRET_NOT_FOUND', /GET \/v1\/tenants\/acme\/secrets/);
    await rejectsWith(service.delete('acme', 'gh-token'), 'SECRET_NOT_FOUND', /no secret gh-token/);
  });

  it('validates name, value size in UTF-8 bytes, hosts (none: a signing key) and the per-tenant count', async () => {
    await rejectsWith(service.put('acme', 'Bad Name', VALUE, ['a.com']), 'VALIDATION_FAILED', /secret name .* is invalid/);
    await rejectsWith(service.put('acme', 'x', '', ['a.com']), 'VALIDATION_FAILED', /value is empty/);
    // 22 characters but 66 bytes: over the 64-byte cap.
    await rejectsWith(service.put('acme', 'x', '€'.repeat(22), ['a.com']), 'VALIDATION_FAILED', /66 bytes, more than the 64.*AIRLOCK_SECRET_MAX_BYTES/);
    await service.put('acme', 'x', '€'.repeat(21), ['a.com']);
    for (const bad of ['*.com', '*', 'a..com', '-a.com', 'a.com/path', 'https://a.com', 'a.*.com', 'x'.repeat(64) + '.com', '']) {
      await rejectsWith(service.put('acme', 'y', VALUE, [bad]), 'VALIDATION_FAILED', /host .* is invalid|hosts/);
    }
    // No host at all: a signing key (checks webhook signatures on the host; never sent anywhere).
    assert.deepEqual((await service.put('acme', 'y', VALUE, [])).meta.hosts, []);
    await rejectsWith(service.put('acme', 'y', VALUE, ['a.com', 'b.com', 'c.com', 'd.com']), 'VALIDATION_FAILED', /AIRLOCK_SECRET_MAX_HOSTS/);
    await service.put('acme', 'y', VALUE, ['localhost', '10.0.0.1', '*.b.example.com']);
    await service.put('acme', 'z', VALUE, ['a.com']);
    await rejectsWith(service.put('acme', 'w', VALUE, ['a.com']), 'VALIDATION_FAILED', /AIRLOCK_SECRETS_PER_TENANT/);
    // At the cap, replacing an existing secret still works.
    assert.equal((await service.put('acme', 'z', 'new', ['a.com'])).created, false);
    assert.deepEqual((await service.list('acme')).map((m) => m.name), ['x', 'y', 'z']);
  });

  it('a different master key gives SECRET_UNREADABLE naming the secret, and nothing else breaks', async () => {
    await service.put('acme', 'gh-token', VALUE, ['api.github.com']);
    const other = new SecretService(db.store, { current: randomBytes(32) }, LIMITS);
    await rejectsWith(other.get('acme', 'gh-token'), 'SECRET_UNREADABLE', /secret gh-token of tenant acme cannot be used/);
    // Metadata stays readable, and the right key still opens it.
    assert.equal((await other.describe('acme', 'gh-token')).name, 'gh-token');
    assert.equal((await service.get('acme', 'gh-token'))?.value, VALUE);
  });

  it('an unreadable secret is logged for the operator with the key ids, once a minute; the tenant is told the operator knows', async () => {
    await service.put('acme', 'gh-token', VALUE, ['api.github.com']);
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino({ base: null, timestamp: false }, sink);
    const otherKey = randomBytes(32);
    const other = new SecretService(db.store, { current: otherKey }, LIMITS, { now: () => clock, logger });
    await assert.rejects(other.get('acme', 'gh-token'), (err: unknown) => {
      assert.ok(isAirlockError(err));
      assert.equal(err.code, 'SECRET_UNREADABLE');
      assert.match(err.message, /^secret gh-token of tenant acme cannot be used: .*The operator has been told/);
      // Operator advice stays in the server log.
      assert.doesNotMatch(err.message, /AIRLOCK_SECRET_KEY|master key|key id/);
      return true;
    });
    assert.equal(lines.length, 1);
    const { msg, ...fields } = lines[0]!;
    const sameId = sealingKey(otherKey).id === sealingKey(key).id;
    assert.deepEqual(fields, {
      level: 50, code: 'SECRET_UNREADABLE', tenant: 'acme', secret: 'gh-token', reason: sameId ? 'authentication' : 'other-key',
      sealedKeyId: sealingKey(key).id, currentKeyId: sealingKey(otherKey).id, previousKeyIds: [],
    });
    if (!sameId) assert.match(String(msg), /AIRLOCK_SECRET_KEY_PREVIOUS/);
    assert.equal(JSON.stringify(lines).includes(VALUE), false);
    // Every use fails, but the log says it once a minute per secret.
    await assert.rejects(other.get('acme', 'gh-token'));
    assert.equal(lines.length, 1);
    clock += 60_000;
    await assert.rejects(other.get('acme', 'gh-token'));
    assert.equal(lines.length, 2);
  });

  it('a sealed row copied to another tenant or name does not open there', async () => {
    await service.put('acme', 'gh-token', VALUE, ['api.github.com']);
    await service.put('globex', 'gh-token', 'globex-value', ['api.github.com']);
    await service.put('acme', 'other', 'other-value', ['api.github.com']);
    const raw = new Database(db.store.file);
    try {
      const copy = raw.prepare('UPDATE secrets SET sealed = (SELECT sealed FROM secrets WHERE tenant = ? AND name = ?) WHERE tenant = ? AND name = ?');
      copy.run('acme', 'gh-token', 'globex', 'gh-token');
      copy.run('acme', 'gh-token', 'acme', 'other');
    } finally {
      raw.close();
    }
    await rejectsWith(service.get('globex', 'gh-token'), 'SECRET_UNREADABLE', /secret gh-token of tenant globex/);
    await rejectsWith(service.get('acme', 'other'), 'SECRET_UNREADABLE', /secret other of tenant acme/);
    assert.equal((await service.get('acme', 'gh-token'))?.value, VALUE);
  });

  it('rotation: previous keys still open values, rotate() re-seals them with the current key', async () => {
    await service.put('acme', 'gh-token', VALUE, ['api.github.com']);
    clock = 2_000;
    await service.put('globex', 'slack', 'globex-value', ['slack.com']);
    const stranger = new SecretService(db.store, { current: randomBytes(32) }, LIMITS, { now: () => 3_000 });
    await stranger.put('acme', 'lost', 'lost-value', ['a.com']);
    const before = await db.store.allSecrets();

    const next = randomBytes(32);
    const rotating = new SecretService(db.store, { current: next, previous: [key] }, LIMITS);
    assert.equal((await rotating.get('acme', 'gh-token'))?.value, VALUE, 'a previous key opens values before rotation');
    assert.deepEqual(await rotating.rotate(), { resealed: 2, unreadable: ['acme/lost'] });
    assert.deepEqual(await rotating.rotate(), { resealed: 0, unreadable: ['acme/lost'] });

    const after = new SecretService(db.store, { current: next }, LIMITS);
    assert.equal((await after.get('acme', 'gh-token'))?.value, VALUE);
    assert.equal((await after.get('globex', 'slack'))?.value, 'globex-value');
    await rejectsWith(new SecretService(db.store, { current: key }, LIMITS).get('acme', 'gh-token'), 'SECRET_UNREADABLE', /operator has been told/);
    const rotated = await db.store.allSecrets();
    for (const [i, rec] of rotated.entries()) {
      const old = before[i]!;
      assert.deepEqual([rec.tenant, rec.name, rec.createdAt, rec.updatedAt, rec.hosts], [old.tenant, old.name, old.createdAt, old.updatedAt, old.hosts]);
      if (rec.name !== 'lost') assert.equal(rec.sealed[0], sealingKey(next).id);
    }
  });

  it('rotation never overwrites a value set after it was read (another server sharing the database)', async () => {
    await service.put('acme', 'gh-token', VALUE, ['api.github.com']);
    const [read] = await db.store.allSecrets();
    assert.ok(read);
    await service.put('acme', 'gh-token', 'newer-value', ['api.github.com']);
    assert.equal(await db.store.resealSecret('acme', 'gh-token', read.sealed, Buffer.from('stale')), false);
    assert.equal((await service.get('acme', 'gh-token'))?.value, 'newer-value');
  });

  it('rotation works when the old and new keys share an id byte', async () => {
    let next = randomBytes(32);
    for (let i = 0; i < 100_000 && sealingKey(next).id !== sealingKey(key).id; i++) next = randomBytes(32);
    assert.equal(sealingKey(next).id, sealingKey(key).id);
    await service.put('acme', 'gh-token', VALUE, ['api.github.com']);
    const rotating = new SecretService(db.store, { current: next, previous: [key] }, LIMITS);
    assert.deepEqual(await rotating.rotate(), { resealed: 1, unreadable: [] });
    assert.equal((await new SecretService(db.store, { current: next }, LIMITS).get('acme', 'gh-token'))?.value, VALUE);
  });
});
