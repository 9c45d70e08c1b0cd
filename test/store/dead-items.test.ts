// The queue tells its DeadItemListener of every item that became dead, once the transaction
// committed, on each path there is to death: a failed last attempt (fail), a last run whose lease
// expired (found by claim), a last run whose server is gone (expireLeases). Items queued again for
// a retry, and items failed permanently, are not dead and are not told.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { QueueItem } from '../../src/queue/port.js';
import { SqliteQueue } from '../../src/store/sqlite/queue/store.js';
import { TestClock, testPolicy } from '../queue/support.js';

async function withQueue(fn: (queue: SqliteQueue, dead: QueueItem[], clock: TestClock) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-dead-'));
  const clock = new TestClock();
  const dead: QueueItem[] = [];
  const queue = new SqliteQueue(join(dir, 'airlock.db'), {
    policy: testPolicy({ leaseMs: 1_000 }), now: clock.now, random: () => 0, onDead: (item) => dead.push(item),
  });
  await queue.migrate();
  try {
    await fn(queue, dead, clock);
  } finally {
    await queue.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function claimOne(queue: SqliteQueue, owner = 'w1') {
  const [claimed] = await queue.claim({ owner, max: 1 });
  assert.ok(claimed, 'an item to claim');
  return claimed;
}

test('a failed last attempt is told, with its attempts and last error; a retry and a permanent failure are not', () =>
  withQueue(async (queue, dead, clock) => {
    const { item } = await queue.enqueue({ tenant: 'acme', function: 'sync', lane: 'background', payload: { input: 1 }, maxAttempts: 2 });
    assert.equal((await queue.fail((await claimOne(queue)).lease, { code: 'FUNCTION_FAILED', message: 'first' })).status, 'queued');
    assert.equal(dead.length, 0, 'a retry is not a death');
    clock.advance(60_000);
    const after = await queue.fail((await claimOne(queue)).lease, { code: 'FUNCTION_FAILED', message: 'second' });
    assert.equal(after.status, 'dead');
    assert.deepEqual(dead.map((d) => [d.id, d.status, d.attempts, d.lastError?.code]), [[item.id, 'dead', 2, 'FUNCTION_FAILED']]);
    const other = await queue.enqueue({ tenant: 'acme', function: 'gone', lane: 'background', payload: null });
    clock.advance(1);
    const claimed = await claimOne(queue);
    assert.equal(claimed.item.id, other.item.id);
    assert.equal((await queue.fail(claimed.lease, { code: 'FUNCTION_NOT_FOUND', message: 'deleted' }, { retryable: false })).status, 'failed');
    assert.equal(dead.length, 1, 'a permanent failure ends failed, not dead');
  }));

test("a last run whose lease expired is told when a claim finds it, after the claim's transaction", () =>
  withQueue(async (queue, dead, clock) => {
    const { item } = await queue.enqueue({ tenant: 'acme', function: 'sync', lane: 'background', payload: null, maxAttempts: 1 });
    await claimOne(queue);
    clock.advance(5_000);
    assert.deepEqual(await queue.claim({ owner: 'w2', max: 1 }), []);
    assert.deepEqual(dead.map((d) => [d.id, d.status, d.lastError?.code]), [[item.id, 'dead', 'LEASE_EXPIRED']]);
    assert.equal((await queue.get('acme', item.id))?.status, 'dead', 'committed when told');
  }));

test('a last run whose server is gone is told by expireLeases', () =>
  withQueue(async (queue, dead) => {
    const { item } = await queue.enqueue({ tenant: 'acme', function: 'sync', lane: 'background', payload: null, maxAttempts: 1 });
    await claimOne(queue, 'gone-server');
    assert.equal(await queue.expireLeases(['gone-server']), 1);
    assert.deepEqual(dead.map((d) => [d.id, d.lastError?.code]), [[item.id, 'SERVER_GONE']]);
  }));

test("a listener's throw is ignored: the item is dead and the call answers", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-dead-'));
  const queue = new SqliteQueue(join(dir, 'airlock.db'), {
    policy: testPolicy(), onDead: () => {
      throw new Error('listener broke');
    },
  });
  await queue.migrate();
  try {
    const { item } = await queue.enqueue({ tenant: 'acme', function: 'sync', lane: 'background', payload: null, maxAttempts: 1 });
    const after = await queue.fail((await claimOne(queue)).lease, { code: 'FUNCTION_FAILED', message: 'x' });
    assert.equal(after.status, 'dead');
    assert.equal((await queue.get('acme', item.id))?.status, 'dead');
  } finally {
    await queue.close();
    await rm(dir, { recursive: true, force: true });
  }
});
