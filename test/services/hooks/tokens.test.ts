// Webhook tokens on a real SQLite store: issued once and kept across redeploys, checked against
// the stored sha256 only, rotated (the old token fails at once), issued by rotate for a function
// deployed before webhooks, never stored in clear, and still checked when a changed master key
// can no longer show them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAirlockError } from '../../../src/core/errors.js';
import { TOKEN_CACHE_MS, WebhookTokens } from '../../../src/services/hooks/tokens.js';
import type { Store } from '../../../src/store/port.js';
import { makeVersion } from '../../store/fixtures.js';
import { tempSqlite } from '../../store/temp-sqlite.js';

const key = randomBytes(32);

test('ensure issues once; show and verify agree; a wrong token, function or tenant fails', async () => {
  const db = await tempSqlite();
  try {
    await db.store.putFunctionVersion(makeVersion());
    const tokens = new WebhookTokens(db.store, { current: key });
    const first = await tokens.ensure('acme', 'hello');
    assert.match(first.token ?? '', /^whk_/);
    assert.deepEqual(await tokens.ensure('acme', 'hello'), first, 'a redeploy keeps the token');
    assert.deepEqual(await tokens.show('acme', 'hello'), first);
    assert.equal(await tokens.verify('acme', 'hello', first.token!), true);
    assert.equal(await tokens.verify('acme', 'hello', first.token! + 'x'), false);
    assert.equal(await tokens.verify('acme', 'other', first.token!), false);
    assert.equal(await tokens.verify('globex', 'hello', first.token!), false);
    const file = readFileSync(join(db.dir, 'airlock.db'));
    assert.equal(file.includes(Buffer.from(first.token!)), false, 'the token is not in the database file in clear');
  } finally {
    await db.cleanup();
  }
});

test('rotate replaces the token; the old one fails at once', async () => {
  const db = await tempSqlite();
  try {
    await db.store.putFunctionVersion(makeVersion());
    const tokens = new WebhookTokens(db.store, { current: key });
    const old = await tokens.ensure('acme', 'hello');
    assert.equal(await tokens.verify('acme', 'hello', old.token!), true, 'its hash is now cached');
    const fresh = await tokens.rotate('acme', 'hello');
    assert.notEqual(fresh.token, old.token);
    assert.equal(await tokens.verify('acme', 'hello', old.token!), false);
    assert.equal(await tokens.verify('acme', 'hello', fresh.token!), true);
    assert.equal((await tokens.show('acme', 'hello')).token, fresh.token);
  } finally {
    await db.cleanup();
  }
});

test('a function without a token (deployed before webhooks) gets its first from rotate; no function is FUNCTION_NOT_FOUND', async () => {
  const db = await tempSqlite();
  try {
    await db.store.putFunctionVersion(makeVersion());
    const tokens = new WebhookTokens(db.store, { current: key });
    await assert.rejects(tokens.show('acme', 'hello'), (err) => isAirlockError(err) && err.code === 'NOT_FOUND' && /rotate/.test(err.message));
    const issued = await tokens.rotate('acme', 'hello');
    assert.equal(await tokens.verify('acme', 'hello', issued.token!), true);
    await assert.rejects(tokens.rotate('acme', 'nope'), (err) => isAirlockError(err) && err.code === 'FUNCTION_NOT_FOUND');
    await assert.rejects(tokens.show('acme', 'nope'), (err) => isAirlockError(err) && err.code === 'FUNCTION_NOT_FOUND');
  } finally {
    await db.cleanup();
  }
});

test('after a master key change the token is still checked, shown only while the old key is configured', async () => {
  const db = await tempSqlite();
  try {
    await db.store.putFunctionVersion(makeVersion());
    const issued = await new WebhookTokens(db.store, { current: key }).ensure('acme', 'hello');
    const next = randomBytes(32);
    const withPrevious = new WebhookTokens(db.store, { current: next, previous: [key] });
    assert.equal((await withPrevious.show('acme', 'hello')).token, issued.token);
    const without = new WebhookTokens(db.store, { current: next });
    assert.deepEqual([(await without.show('acme', 'hello')).token, (await without.show('acme', 'hello')).path], [null, null]);
    assert.equal(await without.verify('acme', 'hello', issued.token!), true, 'deliveries keep working');
  } finally {
    await db.cleanup();
  }
});

test('deliveries reuse the stored token hash for a moment instead of reading the store each time', async () => {
  const db = await tempSqlite();
  try {
    await db.store.putFunctionVersion(makeVersion());
    let reads = 0;
    const counting = new Proxy(db.store, {
      get(target, prop, receiver) {
        if (prop === 'getWebhook') return (...args: Parameters<Store['getWebhook']>) => (reads++, target.getWebhook(...args));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    let now = 1_000_000;
    const tokens = new WebhookTokens(counting, { current: key }, () => now);
    const { token } = await tokens.ensure('acme', 'hello');
    for (let i = 0; i < 5; i++) assert.equal(await tokens.verify('acme', 'hello', token!), true);
    assert.equal(await tokens.verify('acme', 'hello', 'whk_wrong'), false);
    assert.equal(reads, 1, 'one store read for six deliveries');
    now += TOKEN_CACHE_MS;
    assert.equal(await tokens.verify('acme', 'hello', token!), true);
    assert.equal(reads, 2, 'read again once the cached hash is old');
    assert.equal(await tokens.verify('acme', 'nope', token!), false);
    assert.equal(await tokens.verify('acme', 'nope', token!), false);
    assert.equal(reads, 4, 'an unknown function is looked up every time (misses are not cached)');
  } finally {
    await db.cleanup();
  }
});

test('master key rotation: reseal moves every token to the current key, so it stays showable without the previous one', async () => {
  const db = await tempSqlite();
  try {
    await db.store.putFunctionVersion(makeVersion());
    await db.store.putFunctionVersion(makeVersion({ name: 'other' }));
    const old = new WebhookTokens(db.store, { current: key });
    const hello = await old.ensure('acme', 'hello');
    const other = await old.ensure('acme', 'other');
    const next = randomBytes(32);
    const rotating = new WebhookTokens(db.store, { current: next, previous: [key] });
    assert.deepEqual(await rotating.reseal(), { resealed: 2, unreadable: [] });
    assert.deepEqual(await rotating.reseal(), { resealed: 0, unreadable: [] }, 'nothing left under the previous key');
    const after = new WebhookTokens(db.store, { current: next });
    assert.deepEqual(await after.show('acme', 'hello'), hello, 'the same token, opened by the new key alone');
    assert.deepEqual(await after.show('acme', 'other'), other);
    assert.equal(await after.verify('acme', 'hello', hello.token!), true);
    // A token no configured key opens is reported, and left as it is.
    const stranger = new WebhookTokens(db.store, { current: randomBytes(32), previous: [randomBytes(32)] });
    assert.deepEqual(await stranger.reseal(), { resealed: 0, unreadable: ['acme/hello', 'acme/other'] });
    assert.deepEqual(await after.show('acme', 'hello'), hello);
  } finally {
    await db.cleanup();
  }
});

test('a reseal never overwrites a token rotated after it was read (another server sharing the database)', async () => {
  const db = await tempSqlite();
  try {
    await db.store.putFunctionVersion(makeVersion());
    await new WebhookTokens(db.store, { current: key }).ensure('acme', 'hello');
    const [read] = await db.store.allWebhooks();
    assert.ok(read);
    const rotated = await new WebhookTokens(db.store, { current: key }).rotate('acme', 'hello');
    assert.equal(await db.store.resealWebhook('acme', 'hello', read.sealed, Buffer.from('stale')), false);
    assert.deepEqual((await new WebhookTokens(db.store, { current: key }).show('acme', 'hello')).token, rotated.token);
  } finally {
    await db.cleanup();
  }
});
