// The record of a job run lost with its server: a run noted with markRun becomes a `killed`
// execution when its lease ends without its holder (expireLeases: SERVER_GONE; an expired lease
// found by claim: LEASE_EXPIRED), written in the same transaction, ending when the holder was last
// heard from. Runs that settled, or never noted a run, leave no such record.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunRecord } from '../../src/queue/port.js';
import { SqliteQueue } from '../../src/store/sqlite/queue/store.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { TestClock, rejectsWith, testPolicy } from '../queue/support.js';

interface Setup {
  queue: SqliteQueue;
  store: SqliteStore;
  clock: TestClock;
}

async function withQueue(fn: (s: Setup) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-lost-'));
  const file = join(dir, 'airlock.db');
  const clock = new TestClock();
  const queue = new SqliteQueue(file, { policy: testPolicy({ leaseMs: 1_000 }), now: clock.now, random: () => 0 });
  await queue.migrate();
  const store = new SqliteStore(file);
  await store.migrate();
  try {
    await fn({ queue, store, clock });
  } finally {
    await queue.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function runOf(tenant: string, jobId: string, id: string, startedAt: number): RunRecord {
  return {
    id, tenant, function: 'sync', version: 'v1', start: 'pool', isolation: 'bwrap',
    layers: ['namespaces', 'seccomp'], queuedAt: startedAt - 5, startedAt, jobId,
  };
}

async function claimOne(queue: SqliteQueue, owner: string) {
  const [claimed] = await queue.claim({ owner, max: 1 });
  assert.ok(claimed, 'an item to claim');
  return claimed;
}

test('a run noted by a server that is gone becomes a killed execution (ServerGone), ending at its last heartbeat', () =>
  withQueue(async ({ queue, store, clock }) => {
    const { item } = await queue.enqueue({ tenant: 'acme', function: 'sync', lane: 'background', payload: null });
    const { lease } = await claimOne(queue, 'dead-server');
    const startedAt = clock.t;
    await queue.markRun(lease, runOf('acme', item.id, 'ex_lost1', startedAt));
    clock.advance(400);
    // Noted again at a heartbeat with its logs and egress requests so far: the lost record keeps them.
    const logs = [{ ts: clock.t - 100, level: 'info' as const, msg: 'page 1 of 3' }];
    const egress = [{ method: 'GET', host: 'api.example.com', port: 443, path: '/items', status: 200, bytesOut: 0, bytesIn: 512, durationMs: 40 }];
    await queue.markRun(lease, { ...runOf('acme', item.id, 'ex_lost1', startedAt), logs, egress });
    await queue.heartbeat(lease);
    const lastSeen = clock.t;
    clock.advance(200);
    assert.equal(await queue.expireLeases(['dead-server']), 1);
    const rec = await store.getExecution('acme', 'ex_lost1');
    assert.ok(rec, 'the lost run has a record');
    assert.equal(rec.status, 'killed');
    assert.equal(rec.error?.type, 'ServerGone');
    assert.match(rec.error?.message ?? '', /lost.*dead-server.*were lost with its server/s);
    assert.equal(rec.jobId, item.id);
    assert.deepEqual([rec.startedAt, rec.finishedAt, rec.durationMs], [startedAt, lastSeen, lastSeen - startedAt]);
    assert.deepEqual([rec.version, rec.start, rec.isolation, rec.layers], ['v1', 'pool', 'bwrap', ['namespaces', 'seccomp']]);
    assert.deepEqual(rec.logs, logs);
    assert.deepEqual(rec.egress, egress);
    assert.equal((await queue.get('acme', item.id))?.lastError?.code, 'SERVER_GONE');
  }));

test('an expired lease found by a claim turns its noted run into a killed execution (LeaseExpired)', () =>
  withQueue(async ({ queue, store, clock }) => {
    const { item } = await queue.enqueue({ tenant: 'acme', function: 'sync', lane: 'background', payload: null });
    const { lease } = await claimOne(queue, 'silent-server');
    await queue.markRun(lease, runOf('acme', item.id, 'ex_lost2', clock.t));
    clock.advance(5_000);
    await queue.claim({ owner: 'other', max: 1 });
    const rec = await store.getExecution('acme', 'ex_lost2');
    assert.equal(rec?.status, 'killed');
    assert.equal(rec?.error?.type, 'LeaseExpired');
    await rejectsWith(queue.markRun(lease, runOf('acme', item.id, 'ex_late', clock.t)), 'LEASE_LOST');
    // Its holder was only slow: the record of the run as it ended replaces the placeholder...
    const real = {
      ...runOf('acme', item.id, 'ex_lost2', rec!.startedAt!), status: 'succeeded' as const, finishedAt: clock.t, durationMs: 5_000,
      result: { refused: 'LEASE_LOST' }, logs: [{ ts: clock.t, level: 'info' as const, msg: 'done' }],
    };
    await store.insertExecutions([real]);
    const replaced = await store.getExecution('acme', 'ex_lost2');
    assert.deepEqual([replaced?.status, replaced?.result, replaced?.logs.length], ['succeeded', { refused: 'LEASE_LOST' }, 1]);
    // ...and nothing else is ever replaced: the same id recorded again changes nothing.
    await store.insertExecutions([{ ...real, status: 'killed', error: { type: 'LeaseExpired', message: 'late' } }]);
    assert.equal((await store.getExecution('acme', 'ex_lost2'))?.status, 'succeeded');
  }));

test('settled runs and claims without a noted run leave no lost-run record; a new claim forgets the old run', () =>
  withQueue(async ({ queue, store, clock }) => {
    const a = (await queue.enqueue({ tenant: 'acme', function: 'sync', lane: 'background', payload: 1 })).item;
    const first = await claimOne(queue, 'server-1');
    await queue.markRun(first.lease, runOf('acme', a.id, 'ex_done', clock.t));
    await queue.continueLater(first.lease);
    // Claimed again by a server that dies before it notes its run: the earlier run is not reported lost.
    await claimOne(queue, 'server-2');
    assert.equal(await queue.expireLeases(['server-1', 'server-2']), 1);
    assert.equal(await store.getExecution('acme', 'ex_done'), undefined, 'a continued run is not lost');
    const listed = await store.listExecutions('acme', { limit: 10 });
    assert.deepEqual(listed.map((e) => e.id), [], 'nothing recorded for a run that was never noted');
  }));
