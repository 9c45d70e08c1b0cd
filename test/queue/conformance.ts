// The QueueStore conformance suite, part 1: items, idempotency, leases and fencing, retries,
// dead-letter, continuations, checkpoints, cancel (part 4, the tenant backlog cap, is in
// conformance-backlog.ts). Every implementation (SQLite now, Postgres later) runs it; each test
// gets a fresh queue with an injected clock and random source.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Lease, QueuePolicy, QueueStore } from '../../src/queue/port.js';
import { queueFairnessConformance } from './conformance-fairness.js';
import { queueListConformance } from './conformance-list.js';
import { queueBacklogConformance } from './conformance-backlog.js';
import { rejectsWith, TestClock, testPolicy } from './support.js';
import type { MakeQueue, QueueUnderTest } from './support.js';

export interface Env {
  q: QueueStore;
  clock: TestClock;
  /** Values the random source returns next (then 0.5). */
  randoms: number[];
  sut: QueueUnderTest;
}

export function harness(make: MakeQueue) {
  return async function withQueue(policy: Partial<QueuePolicy>, fn: (env: Env) => Promise<void>): Promise<void> {
    const clock = new TestClock();
    const randoms: number[] = [];
    const sut = await make({ policy: testPolicy(policy), now: clock.now, random: () => randoms.shift() ?? 0.5 });
    try {
      await fn({ q: sut.queue, clock, randoms, sut });
    } finally {
      await sut.queue.close();
      await sut.cleanup();
    }
  };
}

const job = { tenant: 'acme', function: 'sync', lane: 'background' as const, payload: { page: 1 } };

export function queueConformance(name: string, make: MakeQueue): void {
  const withQueue = harness(make);

  describe(`${name}: queue conformance`, () => {
    test('enqueue stores a queued item that reads back whole', () =>
      withQueue({}, async ({ q, clock }) => {
        const { item, created } = await q.enqueue({ ...job, idempotencyKey: 'k1' });
        assert.equal(created, true);
        assert.match(item.id, /^qi_/);
        assert.deepEqual(await q.get('acme', item.id), item);
        assert.deepEqual(
          [item.status, item.attempts, item.runs, item.fence, item.maxAttempts, item.runAfter, item.lane],
          ['queued', 0, 0, 0, 3, clock.t, 'background'],
        );
        assert.deepEqual(item.payload, { page: 1 });
        assert.equal(await q.get('other', item.id), undefined, 'items are scoped to their tenant');
      }));

    test('same idempotency key → the same item, never a duplicate; keys are per tenant', () =>
      withQueue({}, async ({ q }) => {
        const a = await q.enqueue({ ...job, idempotencyKey: 'delivery-7' });
        const b = await q.enqueue({ ...job, payload: { page: 2 }, idempotencyKey: 'delivery-7' });
        assert.equal(b.created, false);
        assert.deepEqual(b.item, a.item);
        const other = await q.enqueue({ ...job, tenant: 'globex', idempotencyKey: 'delivery-7' });
        assert.equal(other.created, true);
        const claimed = await q.claim({ owner: 'w', max: 10 });
        assert.deepEqual(claimed.map((c) => c.item.id).sort(), [a.item.id, other.item.id].sort());
      }));

    test('oversized or non-JSON payloads and invalid fields are refused and store nothing', () =>
      withQueue({ payloadBytes: 64 }, async ({ q }) => {
        await rejectsWith(q.enqueue({ ...job, payload: 'x'.repeat(100) }), 'INPUT_TOO_LARGE');
        await rejectsWith(q.enqueue({ ...job, payload: { n: 1n } }), 'VALIDATION_FAILED');
        await rejectsWith(q.enqueue({ ...job, maxAttempts: 0 }), 'VALIDATION_FAILED');
        await rejectsWith(q.enqueue({ ...job, lane: 'urgent' as 'interactive' }), 'VALIDATION_FAILED');
        await rejectsWith(q.enqueue({ ...job, runAfter: 1.5 }), 'VALIDATION_FAILED');
        assert.deepEqual(await q.claim({ owner: 'w', max: 10 }), []);
      }));

    test('enqueueMany stores a batch in order; a known idempotency key answers the existing item', () =>
      withQueue({}, async ({ q }) => {
        const first = await q.enqueue({ ...job, idempotencyKey: 'd-1' });
        const ids = await q.enqueueMany([
          { ...job, payload: { page: 10 } },
          { ...job, payload: { page: 11 }, idempotencyKey: 'd-1' },
          { ...job, payload: { page: 12 }, idempotencyKey: 'd-2' },
        ]);
        assert.equal(ids.length, 3);
        assert.equal(ids[1], first.item.id, 'the known key answers the first item');
        assert.deepEqual((await q.get('acme', String(ids[0])))?.payload, { page: 10 });
        assert.deepEqual((await q.get('acme', String(ids[2])))?.payload, { page: 12 });
        assert.deepEqual((await q.get('acme', first.item.id))?.payload, { page: 1 }, 'the stored item wins');
        const claimed = await q.claim({ owner: 'w', max: 10 });
        assert.deepEqual(claimed.map((c) => c.item.id), [first.item.id, ids[0], ids[2]], 'enqueue order is kept');
      }));

    test('enqueueMany is all or nothing: one bad request stores none of the batch', () =>
      withQueue({ payloadBytes: 64 }, async ({ q }) => {
        await rejectsWith(q.enqueueMany([{ ...job }, { ...job, payload: 'x'.repeat(100) }]), 'INPUT_TOO_LARGE');
        assert.deepEqual(await q.list({ tenant: 'acme', limit: 10 }), []);
        assert.deepEqual(await q.enqueueMany([]), []);
      }));

    test('claim leases an item once; complete stores the result and ends the lease', () =>
      withQueue({}, async ({ q, clock }) => {
        const { item } = await q.enqueue(job);
        const [c, ...rest] = await q.claim({ owner: 'worker-1', max: 5 });
        assert.equal(rest.length, 0);
        assert.ok(c);
        assert.deepEqual(c.lease, { tenant: 'acme', id: item.id, fence: 1 });
        assert.deepEqual(
          [c.item.status, c.item.runs, c.item.leaseOwner, c.item.leaseExpiresAt, c.item.startedAt],
          ['running', 1, 'worker-1', clock.t + 1_000, clock.t],
        );
        assert.deepEqual(await q.claim({ owner: 'worker-2', max: 5 }), []);
        const done = await q.complete(c.lease, { rows: 42 });
        assert.deepEqual([done.status, done.result, done.finishedAt, done.leaseOwner], ['succeeded', { rows: 42 }, clock.t, undefined]);
        await rejectsWith(q.complete(c.lease, 'again'), 'LEASE_LOST');
        assert.deepEqual(await q.get('acme', item.id), done);
      }));

    test("complete given the result's JSON text stores that text and never reads the value", () =>
      withQueue({}, async ({ q }) => {
        await q.enqueue(job);
        const [c] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(c);
        // A BigInt is not JSON: encoding it would fail the call, so success proves it was not read.
        const done = await q.complete(c.lease, 1n, '{"rows":[1,2,3],"note":"from the thread"}');
        assert.deepEqual([done.status, done.result], ['succeeded', { rows: [1, 2, 3], note: 'from the thread' }]);
        assert.deepEqual((await q.get('acme', c.item.id))?.result, { rows: [1, 2, 3], note: 'from the thread' });
      }));

    test('an item is not claimable before its runAfter', () =>
      withQueue({}, async ({ q, clock }) => {
        await q.enqueue({ ...job, runAfter: clock.t + 500 });
        assert.deepEqual(await q.claim({ owner: 'w', max: 1 }), []);
        clock.advance(500);
        assert.equal((await q.claim({ owner: 'w', max: 1 })).length, 1);
      }));

    test('heartbeat extends a live lease; an expired lease cannot heartbeat, checkpoint or complete', () =>
      withQueue({}, async ({ q, clock }) => {
        await q.enqueue(job);
        const [c] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(c);
        clock.advance(800);
        assert.equal(await q.heartbeat(c.lease), clock.t + 1_000);
        clock.advance(800);
        assert.equal(await q.saveCheckpoint(c.lease, { cursor: 'a' }), clock.t, 'lease still live after heartbeat');
        clock.advance(1_000);
        const before = await q.get('acme', c.lease.id);
        await rejectsWith(q.heartbeat(c.lease), 'LEASE_LOST');
        await rejectsWith(q.saveCheckpoint(c.lease, { cursor: 'b' }), 'LEASE_LOST');
        await rejectsWith(q.complete(c.lease, 1), 'LEASE_LOST');
        await rejectsWith(q.continueLater(c.lease), 'LEASE_LOST');
        await rejectsWith(q.fail(c.lease, { code: 'X', message: 'x' }), 'LEASE_LOST');
        assert.deepEqual(await q.get('acme', c.lease.id), before, 'refused operations change nothing');
      }));

    test('an expired lease is a crashed attempt: queued again after backoff, error kept', () =>
      withQueue({}, async ({ q, clock, randoms }) => {
        await q.enqueue(job);
        const [c] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(c);
        clock.advance(1_000);
        randoms.push(0);
        assert.deepEqual(await q.claim({ owner: 'w', max: 1 }), [], 'the crashed item waits out its backoff');
        const item = await q.get('acme', c.lease.id);
        assert.deepEqual(
          [item?.status, item?.attempts, item?.lastError?.code, item?.runAfter, item?.leaseOwner],
          ['queued', 1, 'LEASE_EXPIRED', clock.t + 50, undefined],
        );
      }));

    test('fencing: after expiry and re-claim, the old token is refused and changes nothing', () =>
      withQueue({}, async ({ q, clock }) => {
        await q.enqueue(job);
        const [first] = await q.claim({ owner: 'slow', max: 1 });
        assert.ok(first);
        clock.advance(1_000);
        await q.claim({ owner: 'fast', max: 1 }); // reaps the expired lease
        clock.advance(100);
        const [second] = await q.claim({ owner: 'fast', max: 1 });
        assert.ok(second);
        assert.equal(second.lease.fence, first.lease.fence + 1);
        await q.saveCheckpoint(second.lease, { cursor: 'new' });
        const before = await q.get('acme', first.lease.id);
        await rejectsWith(q.complete(first.lease, 'stale'), 'LEASE_LOST');
        await rejectsWith(q.fail(first.lease, { code: 'E', message: 'stale' }), 'LEASE_LOST');
        await rejectsWith(q.saveCheckpoint(first.lease, { cursor: 'stale' }), 'LEASE_LOST');
        await rejectsWith(q.heartbeat(first.lease), 'LEASE_LOST');
        await rejectsWith(q.continueLater(first.lease, { checkpoint: { cursor: 'stale' } }), 'LEASE_LOST');
        assert.deepEqual(await q.get('acme', first.lease.id), before);
        const done = await q.complete(second.lease, 'fresh');
        assert.deepEqual([done.status, done.result, done.checkpoint, done.attempts], ['succeeded', 'fresh', { cursor: 'new' }, 1]);
      }));

    test('failures back off exponentially with jitter, within [d/2, d], capped', () =>
      withQueue({ maxAttempts: 6, backoffBaseMs: 100, backoffMaxMs: 500 }, async ({ q, clock, randoms }) => {
        await q.enqueue(job);
        for (let attempt = 1; attempt <= 5; attempt++) {
          const [c] = await q.claim({ owner: 'w', max: 1 });
          assert.ok(c, `attempt ${attempt} is claimable`);
          const r = attempt % 2 === 0 ? 0 : 0.999999;
          randoms.push(r);
          const item = await q.fail(c.lease, { code: 'UPSTREAM', message: `boom ${attempt}` });
          const d = Math.min(500, 100 * 2 ** (attempt - 1));
          const delay = item.runAfter - clock.t;
          assert.ok(delay >= d / 2 && delay <= d, `attempt ${attempt}: delay ${delay} outside [${d / 2}, ${d}]`);
          assert.deepEqual([item.status, item.attempts], ['queued', attempt]);
          assert.deepEqual(await q.claim({ owner: 'w', max: 1 }), [], 'not before the backoff ends');
          clock.advance(delay);
        }
      }));

    test('after the last attempt the item is dead, with its last error, and never claimed again', () =>
      withQueue({ maxAttempts: 2 }, async ({ q, clock }) => {
        const { item } = await q.enqueue(job);
        for (let i = 0; i < 2; i++) {
          const [c] = await q.claim({ owner: 'w', max: 1 });
          assert.ok(c);
          await q.fail(c.lease, { code: 'UPSTREAM', message: `failure ${i}` });
          clock.advance(10_000);
        }
        const dead = await q.get('acme', item.id);
        assert.deepEqual(
          [dead?.status, dead?.attempts, dead?.lastError, dead?.finishedAt !== undefined],
          ['dead', 2, { code: 'UPSTREAM', message: 'failure 1' }, true],
        );
        assert.deepEqual(await q.claim({ owner: 'w', max: 1 }), []);
      }));

    test('a crash on the last attempt is dead too; a permanent failure ends failed at once', () =>
      withQueue({ maxAttempts: 1 }, async ({ q, clock }) => {
        const crash = await q.enqueue({ ...job, idempotencyKey: 'crash' });
        const perm = await q.enqueue({ ...job, idempotencyKey: 'perm', maxAttempts: 5 });
        const claimed = await q.claim({ owner: 'w', max: 2 });
        const permLease = claimed.find((c) => c.item.id === perm.item.id)?.lease;
        assert.ok(permLease);
        const failed = await q.fail(permLease, { code: 'BAD_INPUT', message: 'no' }, { retryable: false });
        assert.deepEqual([failed.status, failed.attempts], ['failed', 1]);
        clock.advance(1_000);
        assert.deepEqual(await q.claim({ owner: 'w', max: 2 }), []);
        const dead = await q.get('acme', crash.item.id);
        assert.deepEqual([dead?.status, dead?.lastError?.code], ['dead', 'LEASE_EXPIRED']);
      }));

    test('a permanent ending that is not a failed attempt leaves attempts as they were', () =>
      withQueue({}, async ({ q }) => {
        await q.enqueue(job);
        const [c] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(c);
        const ended = await q.fail(c.lease, { code: 'JOB_DEADLINE', message: 'too late' }, { retryable: false, attempt: false });
        assert.deepEqual([ended.status, ended.attempts, ended.lastError?.code], ['failed', 0, 'JOB_DEADLINE']);
      }));

    test('counts queued and running items over every tenant', () =>
      withQueue({}, async ({ q }) => {
        assert.deepEqual(await q.counts(), { queued: 0, running: 0 });
        await q.enqueue(job);
        await q.enqueue({ ...job, tenant: 'globex' });
        await q.enqueue({ ...job, idempotencyKey: 'second' });
        const [c] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(c);
        assert.deepEqual(await q.counts(), { queued: 2, running: 1 });
        await q.complete(c.lease, 'done');
        assert.deepEqual(await q.counts(), { queued: 2, running: 0 }, 'finished items are not counted');
      }));

    test('counts follow every way into and out of queued and running', () =>
      withQueue({ maxAttempts: 5, backoffBaseMs: 10, backoffMaxMs: 10 }, async ({ q, clock }) => {
        const expect = async (queued: number, running: number, step: string): Promise<void> =>
          assert.deepEqual(await q.counts(), { queued, running }, step);
        await q.enqueueMany([job, job, job]);
        await q.enqueue({ ...job, idempotencyKey: 'd' });
        await q.enqueue({ ...job, idempotencyKey: 'd' });
        await expect(4, 0, 'enqueued (the repeated idempotency key adds nothing)');
        const [first, second] = await q.claim({ owner: 'w', max: 2 });
        assert.ok(first && second);
        await expect(2, 2, 'claimed two');
        await q.continueLater(first.lease);
        await expect(3, 1, 'a continuation is queued again');
        await q.fail(second.lease, { code: 'BOOM', message: 'retry me' });
        await expect(4, 0, 'a failed attempt with attempts left is queued again');
        clock.advance(10);
        const [toCancel] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(toCancel);
        await q.cancel('acme', toCancel.item.id);
        await expect(3, 0, 'a running item cancelled');
        const queuedOne = (await q.list({ tenant: 'acme', status: 'queued', limit: 1 }))[0];
        assert.ok(queuedOne);
        await q.cancel('acme', queuedOne.id);
        await expect(2, 0, 'a queued item cancelled');
        await q.requeue('acme', toCancel.item.id);
        await expect(3, 0, 'a cancelled item retried');
        const [lost] = await q.claim({ owner: 'w-dead', max: 1 });
        assert.ok(lost);
        await expect(2, 1, 'claimed one for an owner that dies');
        await q.expireLeases(['w-dead']);
        await expect(3, 0, "a dead owner's lease ended: a crashed attempt, queued again (after its backoff)");
        const two = await q.claim({ owner: 'w', max: 2 });
        assert.equal(two.length, 2);
        await expect(1, 2, 'two others claimed while the crashed one waits out its backoff');
        clock.advance(20); // past the backoff, well within the two leases
        const all = [...two, ...(await q.claim({ owner: 'w', max: 8 }))];
        assert.equal(all.length, 3);
        await expect(0, 3, 'claimed the rest');
        for (const c of all) await q.complete(c.lease, 'done');
        await expect(0, 0, 'all finished');
        clock.advance(1_000);
        await q.purgeFinished(clock.t, 100);
        await expect(0, 0, 'finished items purged');
      }));

    test('a continuation is re-queued at once, keeps its checkpoint, and never counts an attempt', () =>
      withQueue({ maxAttempts: 2 }, async ({ q }) => {
        await q.enqueue(job);
        for (let slice = 1; slice <= 5; slice++) {
          const [c] = await q.claim({ owner: 'w', max: 1 });
          assert.ok(c, `slice ${slice} claimable at once`);
          assert.deepEqual([c.item.runs, c.item.fence, c.item.attempts], [slice, slice, 0]);
          assert.deepEqual(c.item.checkpoint, slice === 1 ? undefined : { page: slice - 1 });
          const item = await q.continueLater(c.lease, { checkpoint: { page: slice } });
          assert.deepEqual([item.status, item.attempts, item.leaseOwner], ['queued', 0, undefined]);
        }
        const [last] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(last);
        const kept = await q.continueLater(last.lease);
        assert.deepEqual(kept.checkpoint, { page: 5 }, 'a continuation without a checkpoint keeps the last one');
      }));

    test('stalled runs are counted in a row and start over at a checkpoint, saved alone or with a continuation', () =>
      withQueue({}, async ({ q }) => {
        const { item: queued } = await q.enqueue(job);
        assert.equal(queued.stalledRuns, 0);
        /** Claims the job, then ends the run with `end`; answers stalledRuns as claimed and after. */
        const run = async (end: (lease: Lease) => Promise<unknown>): Promise<[number, number]> => {
          const [c] = await q.claim({ owner: 'w', max: 1 });
          assert.ok(c);
          await end(c.lease);
          return [c.item.stalledRuns, (await q.get('acme', queued.id))!.stalledRuns];
        };
        assert.deepEqual(await run((l) => q.continueLater(l, { stalled: true })), [0, 1]);
        assert.deepEqual(await run((l) => q.continueLater(l, { stalled: true })), [1, 2]);
        assert.deepEqual(await run((l) => q.continueLater(l)), [2, 2], 'a continuation not marked stalled leaves the count');
        assert.deepEqual(await run(async (l) => (await q.saveCheckpoint(l, 1), q.continueLater(l))), [2, 0]);
        assert.deepEqual(await run((l) => q.continueLater(l, { stalled: true })), [0, 1]);
        assert.deepEqual(await run((l) => q.continueLater(l, { checkpoint: 2, stalled: true })), [1, 0], 'a checkpoint saved with the continuation');
        assert.deepEqual(await run((l) => q.continueLater(l, { stalled: true })), [0, 1]);
        const [listed] = await q.list({ tenant: 'acme', limit: 1 });
        assert.equal(listed?.stalledRuns, 1, 'listed items carry the count too');
      }));

    test('checkpoints are capped; an oversized one is refused and the last one kept', () =>
      withQueue({ checkpointBytes: 32 }, async ({ q }) => {
        await q.enqueue(job);
        const [c] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(c);
        const at = await q.saveCheckpoint(c.lease, { cursor: 'abc' });
        await rejectsWith(q.saveCheckpoint(c.lease, { cursor: 'x'.repeat(64) }), 'CHECKPOINT_TOO_LARGE');
        await rejectsWith(q.continueLater(c.lease, { checkpoint: 'y'.repeat(64) }), 'CHECKPOINT_TOO_LARGE');
        const item = await q.get('acme', c.lease.id);
        assert.deepEqual([item?.checkpoint, item?.checkpointAt, item?.status], [{ cursor: 'abc' }, at, 'running']);
      }));

    test('cancel: queued and running items end cancelled; the running holder loses its lease', () =>
      withQueue({}, async ({ q }) => {
        const queued = await q.enqueue({ ...job, idempotencyKey: 'a', lane: 'interactive' });
        const [c] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(c);
        const waiting = await q.enqueue({ ...job, idempotencyKey: 'b' });
        assert.equal((await q.cancel('acme', waiting.item.id))?.status, 'cancelled');
        assert.equal((await q.cancel('acme', c.lease.id))?.status, 'cancelled');
        await rejectsWith(q.complete(c.lease, 'late'), 'LEASE_LOST');
        assert.deepEqual(await q.claim({ owner: 'w', max: 5 }), []);
        assert.equal(c.lease.id, queued.item.id);
        const again = await q.cancel('acme', c.lease.id);
        assert.equal(again?.status, 'cancelled', 'cancelling a terminal item returns it unchanged');
        assert.equal(await q.cancel('globex', waiting.item.id), undefined, 'another tenant cannot cancel it');
        assert.equal(await q.cancel('acme', 'qi_missing'), undefined);
      }));

    test('requeue: a dead item is queued again in place, keeping its checkpoint, key and last error', () =>
      withQueue({ maxAttempts: 1 }, async ({ q, clock }) => {
        const { item } = await q.enqueue({ ...job, idempotencyKey: 'sync-1' });
        const [c] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(c);
        await q.saveCheckpoint(c.lease, { page: 7 });
        const dead = await q.fail(c.lease, { code: 'UPSTREAM', message: 'bug' });
        assert.equal(dead.status, 'dead');
        clock.advance(5_000);
        const again = await q.requeue('acme', item.id, { payload: { page: 1, v: 2 }, maxAttempts: 4 });
        assert.ok(again);
        assert.equal(again.requeued, true);
        const r = again.item;
        assert.deepEqual(
          [r.id, r.status, r.attempts, r.maxAttempts, r.runs, r.idempotencyKey, r.runAfter, r.finishedAt, r.result, r.lastError?.code],
          [item.id, 'queued', 0, 4, 1, 'sync-1', clock.t, undefined, undefined, 'UPSTREAM'],
        );
        assert.deepEqual([r.payload, r.checkpoint], [{ page: 1, v: 2 }, { page: 7 }]);
        assert.deepEqual(await q.get('acme', item.id), r, 'stored as answered');
        const [next] = await q.claim({ owner: 'w', max: 1 });
        assert.deepEqual([next?.item.id, next?.item.checkpoint, next?.item.fence], [item.id, { page: 7 }, 2], 'claimable at once, from its checkpoint');
        assert.ok(next);
        await q.complete(next.lease, 'fixed');
        assert.equal((await q.get('acme', item.id))?.status, 'succeeded');
      }));

    test('requeue takes failed and cancelled items too, keeps what it is not given, and leaves every other status', () =>
      withQueue({}, async ({ q }) => {
        const { item } = await q.enqueue({ ...job, maxAttempts: 2 });
        const [c] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(c);
        await q.fail(c.lease, { code: 'JOB_DEADLINE', message: 'late' }, { retryable: false });
        const failed = await q.requeue('acme', item.id);
        assert.deepEqual([failed?.requeued, failed?.item.status, failed?.item.maxAttempts, failed?.item.payload], [true, 'queued', 2, { page: 1 }]);

        const queued = await q.requeue('acme', item.id);
        assert.deepEqual([queued?.requeued, queued?.item.status], [false, 'queued'], 'a queued item is left as it is');
        const [running] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(running);
        const busy = await q.requeue('acme', item.id);
        assert.deepEqual([busy?.requeued, busy?.item.status, busy?.item.fence], [false, 'running', running.lease.fence], 'a running item is left');
        await q.complete(running.lease, 'ok');
        const succeeded = await q.requeue('acme', item.id);
        assert.deepEqual([succeeded?.requeued, succeeded?.item.status, succeeded?.item.result], [false, 'succeeded', 'ok']);

        const cancelled = await q.enqueue({ ...job, idempotencyKey: 'c' });
        await q.cancel('acme', cancelled.item.id);
        assert.deepEqual((await q.requeue('acme', cancelled.item.id))?.item.status, 'queued');
        await q.cancel('acme', cancelled.item.id);

        assert.equal(await q.requeue('globex', cancelled.item.id), undefined, 'another tenant cannot requeue it');
        assert.equal(await q.requeue('acme', 'qi_missing'), undefined);
        await rejectsWith(q.requeue('acme', cancelled.item.id, { maxAttempts: 0 }), 'VALIDATION_FAILED');
        await rejectsWith(q.requeue('acme', cancelled.item.id, { payload: 'x'.repeat(1 << 20) }), 'INPUT_TOO_LARGE');
        assert.equal((await q.get('acme', cancelled.item.id))?.status, 'cancelled', 'a refused requeue changes nothing');
      }));

    test('expireLeases ends the leases of the named owners only, each a crashed attempt at once: SERVER_GONE naming the owner, not LEASE_EXPIRED', () =>
      withQueue({}, async ({ q, clock }) => {
        await q.enqueue({ ...job, idempotencyKey: 'a' });
        await q.enqueue({ ...job, idempotencyKey: 'b' });
        const [ofDead] = await q.claim({ owner: 'dead-server', max: 1 });
        const [ofLive] = await q.claim({ owner: 'live-server', max: 1 });
        assert.ok(ofDead && ofLive);
        assert.deepEqual((await q.runningOwners()).sort(), ['dead-server', 'live-server']);
        assert.equal(await q.expireLeases(['dead-server', 'unknown']), 1);
        assert.equal(await q.expireLeases([]), 0);
        const ended = await q.get('acme', ofDead.item.id);
        assert.deepEqual([ended?.status, ended?.attempts, ended?.lastError?.code], ['queued', 1, 'SERVER_GONE'], 'without waiting for a claim');
        assert.equal(
          ended?.lastError?.message,
          `the server running run ${ofDead.item.fence} (lease owner dead-server) stopped or crashed while the run was in progress; ` +
            'a server started on the same machine found it gone and ended its lease without waiting for it to expire; counted as a crashed attempt',
        );
        assert.deepEqual(await q.runningOwners(), ['live-server']);
        await q.claim({ owner: 'live-server', max: 2 }); // it waits its backoff
        assert.equal((await q.get('acme', ofDead.item.id))?.lastError?.code, 'SERVER_GONE', 'a claim does not rewrite it as an expiry');
        assert.equal((await q.heartbeat(ofLive.lease)) > 0, true, 'the live owner keeps its lease');
        await q.complete(ofLive.lease, 'done');
        clock.advance(1_000);
        const [again] = await q.claim({ owner: 'live-server', max: 2 });
        assert.equal(again?.item.id, ofDead.item.id, 'claimable again after its backoff');
        await rejectsWith(q.heartbeat(ofDead.lease), 'LEASE_LOST');
      }));

    test('list: a tenant\'s items newest first, filtered by function and status, paged by id', () =>
      withQueue({}, async ({ q, clock }) => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          clock.advance(1);
          const fn = i % 2 === 0 ? 'sync' : 'other';
          ids.push((await q.enqueue({ ...job, function: fn, payload: { i } })).item.id);
        }
        await q.enqueue({ ...job, tenant: 'globex' });
        const all = await q.list({ tenant: 'acme', limit: 10 });
        assert.deepEqual(all.map((i) => i.id), [...ids].reverse());
        assert.equal(all[0]!.payload, null, 'listed items leave their payload out');
        assert.deepEqual({ ...all[0]!, payload: { i: 4 } }, await q.get('acme', ids[4]!), 'and carry every other field');
        assert.deepEqual((await q.list({ tenant: 'acme', function: 'sync', limit: 10 })).map((i) => i.id), [ids[4], ids[2], ids[0]]);
        const page1 = await q.list({ tenant: 'acme', limit: 2 });
        const page2 = await q.list({ tenant: 'acme', limit: 2, before: page1[1]!.id });
        assert.deepEqual([...page1, ...page2].map((i) => i.id), [ids[4], ids[3], ids[2], ids[1]]);
        assert.deepEqual(await q.list({ tenant: 'acme', limit: 2, before: 'qi_unknown' }), [], 'an unknown cursor lists nothing');
        assert.deepEqual(await q.list({ tenant: 'globex', limit: 2, before: ids[4] }), [], "another tenant's id is unknown too");
        await q.cancel('acme', ids[1]!);
        assert.deepEqual((await q.list({ tenant: 'acme', status: 'cancelled', limit: 10 })).map((i) => i.id), [ids[1]]);
        assert.equal((await q.list({ tenant: 'globex', limit: 10 })).length, 1, 'tenants see only their own items');
      }));

    queueListConformance(withQueue);
    queueBacklogConformance(withQueue);

    test('list by idempotency key: the one item with that key, within the tenant and the other filters', () =>
      withQueue({}, async ({ q }) => {
        const keyed = (await q.enqueue({ ...job, idempotencyKey: 'dl_7' })).item;
        await q.enqueue({ ...job, idempotencyKey: 'dl_8' });
        await q.enqueue(job);
        const globex = (await q.enqueue({ ...job, tenant: 'globex', idempotencyKey: 'dl_7' })).item;
        assert.deepEqual((await q.list({ tenant: 'acme', idempotencyKey: 'dl_7', limit: 10 })).map((i) => i.id), [keyed.id]);
        assert.deepEqual((await q.list({ tenant: 'globex', idempotencyKey: 'dl_7', limit: 10 })).map((i) => i.id), [globex.id], 'keys are per tenant');
        assert.deepEqual(await q.list({ tenant: 'acme', idempotencyKey: 'dl_unknown', limit: 10 }), []);
        assert.deepEqual(await q.list({ tenant: 'acme', idempotencyKey: 'dl_7', status: 'running', limit: 10 }), [], 'with the status filter too');
        assert.deepEqual(await q.list({ tenant: 'acme', idempotencyKey: 'dl_7', function: 'other', limit: 10 }), [], 'and the function filter');
        assert.equal((await q.list({ tenant: 'acme', idempotencyKey: 'dl_7', limit: 10 }))[0]!.payload, null, 'listed: no payload');
      }));

    test('a second handle on the same data sees items, leases and fencing', () =>
      withQueue({}, async ({ q, sut }) => {
        const { item } = await q.enqueue(job);
        const other = await sut.openAnother();
        try {
          const [c] = await other.claim({ owner: 'w2', max: 1 });
          assert.equal(c?.item.id, item.id);
          assert.deepEqual(await q.claim({ owner: 'w1', max: 1 }), []);
          assert.ok(c);
          assert.equal((await q.complete(c.lease, 'via first handle')).status, 'succeeded');
        } finally {
          await other.close();
        }
      }));
  });

  queueFairnessConformance(name, make);
}
