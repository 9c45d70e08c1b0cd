// Retention conformance: every implementation of the store, queue and schedule ports (SQLite now,
// Postgres later) runs it. Exactly the execution records that finished before the cutoff, the
// queue items in a terminal status that finished before it, and the settled schedule occurrences
// before it are deleted; recent rows, queued and running items and pending occurrences stay. Each
// call deletes at most what it was asked for, a pass ends with `more: false`, and two handles on
// the same data (two servers) purging in turns delete each row once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sortableId } from '../../src/core/ids.js';
import type { QueueStore } from '../../src/queue/port.js';
import type { Schedule, ScheduleStore } from '../../src/schedules/port.js';
import { planDue } from '../../src/schedules/timing.js';
import { timingOf } from '../../src/services/schedules/service.js';
import type { PurgeBatch, Store } from '../../src/store/port.js';
import { TestClock, testPolicy } from '../queue/support.js';
import type { QueueSetup } from '../queue/support.js';
import { makeRecord } from './fixtures.js';

/** Handles on one fresh, isolated database. */
export interface RetentionUnderTest {
  store: Store;
  /** A second store handle on the same data (another server). */
  anotherStore: () => Promise<Store>;
  queue: QueueStore;
  schedules: ScheduleStore;
  /** Closes every handle and removes what was created. */
  cleanup: () => Promise<void>;
}

export type MakeRetention = (queue: QueueSetup) => Promise<RetentionUnderTest>;

const HOUR = 3_600_000;
const CUTOFF = Date.UTC(2026, 0, 31);
const OLD = CUTOFF - 2 * HOUR;
const RECENT = CUTOFF + HOUR;

/** Calls `purge` until a pass ends; every call must stay within `max`. Answers each call's count. */
async function drain(purge: (max: number) => Promise<PurgeBatch>, max: number): Promise<number[]> {
  const counts: number[] = [];
  for (let calls = 0; calls < 1_000; calls++) {
    const batch = await purge(max);
    assert.ok(batch.deleted <= max, `a call deleted ${batch.deleted} rows, above its ${max}`);
    counts.push(batch.deleted);
    if (!batch.more) return counts;
  }
  return assert.fail('the pass never ended');
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** An execution record made at `madeAt` (its id's time) that finished at `finishedAt`. */
function record(tenant: string, madeAt: number, finishedAt = madeAt) {
  return makeRecord({ id: sortableId('ex', madeAt), tenant, queuedAt: madeAt, startedAt: madeAt, finishedAt });
}

export function retentionConformance(name: string, make: MakeRetention): void {
  async function withPorts(
    policy: Parameters<typeof testPolicy>[0],
    fn: (ports: RetentionUnderTest, clock: TestClock) => Promise<void>,
  ): Promise<void> {
    const clock = new TestClock();
    const ports = await make({ policy: testPolicy(policy), now: clock.now, random: () => 0.5 });
    try {
      await fn(ports, clock);
    } finally {
      await ports.cleanup();
    }
  }

  describe(`${name}: retention conformance`, () => {
    describe('execution records', () => {
      test('deletes exactly the records that finished before the cutoff, of every tenant', () =>
        withPorts({}, async ({ store }) => {
          const old = [record('acme', OLD), record('acme', OLD + 1), record('globex', OLD), record('initech', CUTOFF - 1)];
          // Made before the cutoff but finished after it (a long job slice): kept.
          const longRun = record('acme', OLD, CUTOFF);
          const recent = [record('acme', RECENT), record('globex', CUTOFF), record('umbrella', RECENT)];
          await store.insertExecutions([...old, longRun, ...recent]);

          assert.deepEqual(await store.purgeExecutions(CUTOFF, 100), { deleted: old.length, more: false });
          for (const r of old) assert.equal(await store.getExecution(r.tenant, r.id), undefined, `${r.tenant}/${r.id} is gone`);
          for (const r of [longRun, ...recent]) assert.ok(await store.getExecution(r.tenant, r.id), `${r.tenant}/${r.id} stays`);
          assert.deepEqual(await store.purgeExecutions(CUTOFF, 100), { deleted: 0, more: false });
          // A moment later, the long run and the record that finished at the cutoff go too.
          assert.deepEqual(await store.purgeExecutions(CUTOFF + 1, 100), { deleted: 2, more: false });
          assert.equal(await store.getExecution('acme', longRun.id), undefined);
          assert.equal(await store.getExecution('globex', recent[1]!.id), undefined);
        }));

      test('each call deletes at most its batch, across tenants, and the pass resumes where it stopped', () =>
        withPorts({}, async ({ store }) => {
          const rows = [];
          for (let i = 0; i < 25; i++) rows.push(record(`t${i % 3}`, OLD + i));
          // Tenants with nothing to delete still count against the groups one call may look at.
          for (let i = 0; i < 6; i++) rows.push(record(`z${i}`, RECENT));
          await store.insertExecutions(rows);
          const counts = await drain((max) => store.purgeExecutions(CUTOFF, max), 4);
          assert.equal(sum(counts), 25);
          assert.ok(counts.length >= 7, `25 rows in batches of 4 take at least 7 calls, took ${counts.length}`);
          assert.equal((await store.listExecutions('t0', { limit: 100 })).length, 0);
          assert.equal((await store.listExecutions('z5', { limit: 100 })).length, 1);
        }));

      test('two handles on one file (two servers) purging in turns delete every old record once', () =>
        withPorts({}, async ({ store: a, anotherStore }) => {
          const b = await anotherStore();
          try {
            const rows = [];
            for (let i = 0; i < 40; i++) rows.push(record(`t${i % 4}`, OLD + i));
            rows.push(record('t0', RECENT));
            await a.insertExecutions(rows);
            const [fromA, fromB] = await Promise.all([drain((max) => a.purgeExecutions(CUTOFF, max), 5), drain((max) => b.purgeExecutions(CUTOFF, max), 5)]);
            assert.equal(sum(fromA) + sum(fromB), 40);
            assert.deepEqual((await b.listExecutions('t0', { limit: 100 })).map((r) => r.finishedAt), [RECENT]);
          } finally {
            await b.close();
          }
        }));
    });

    describe('queue items', () => {
      const job = { tenant: 'acme', function: 'sync', lane: 'background' as const, payload: { page: 1 } };

      test('deletes terminal items finished before the cutoff; queued, running and recent ones stay', () =>
        withPorts({ maxAttempts: 1 }, async ({ queue: q }, clock) => {
          clock.t = OLD;
          const claimOne = async () => {
            const [c] = await q.claim({ owner: 'w', max: 1, leaseMs: 10 * HOUR });
            assert.ok(c);
            return c.lease;
          };
          const succeeded = (await q.enqueue({ ...job, idempotencyKey: 'k-succeeded' })).item.id;
          await q.complete(await claimOne(), { ok: true });
          const failed = (await q.enqueue(job)).item.id;
          await q.fail(await claimOne(), { code: 'BAD', message: 'no' }, { retryable: false });
          const dead = (await q.enqueue(job)).item.id;
          await q.fail(await claimOne(), { code: 'UPSTREAM', message: 'down' });
          const cancelled = (await q.enqueue(job)).item.id;
          await q.cancel('acme', cancelled);
          // Enqueued long ago, finished after the cutoff: kept.
          const lateFinish = (await q.enqueue(job)).item.id;
          const lateLease = await claimOne();
          const running = (await q.enqueue(job)).item.id;
          await claimOne();
          const queued = (await q.enqueue({ ...job, runAfter: RECENT + HOUR })).item.id;
          clock.t = RECENT;
          await q.complete(lateLease, 'late');
          const recent = (await q.enqueue(job)).item.id;
          await q.complete(await claimOne(), 'recent');

          const statuses = async (ids: string[]) => Promise.all(ids.map(async (id) => (await q.get('acme', id))?.status));
          assert.deepEqual(await statuses([succeeded, failed, dead, cancelled]), ['succeeded', 'failed', 'dead', 'cancelled']);
          assert.deepEqual(await q.purgeFinished(CUTOFF, 100), { deleted: 4, more: false });
          assert.deepEqual(await statuses([succeeded, failed, dead, cancelled]), [undefined, undefined, undefined, undefined]);
          assert.deepEqual(await statuses([lateFinish, running, queued, recent]), ['succeeded', 'running', 'queued', 'succeeded']);
          assert.deepEqual(await q.purgeFinished(CUTOFF, 100), { deleted: 0, more: false });
          // A deleted item's idempotency key is free again.
          const again = await q.enqueue({ ...job, idempotencyKey: 'k-succeeded' });
          assert.equal(again.created, true);
        }));

      test('each call looks at a window of at most its batch, so old queued items cannot make it scan', () =>
        withPorts({ slots: 64, tenantConcurrency: 64 }, async ({ queue: q }, clock) => {
          clock.t = OLD;
          for (let i = 0; i < 10; i++) await q.enqueue({ ...job, runAfter: RECENT + HOUR }); // old and still queued
          for (let i = 0; i < 13; i++) {
            clock.t = OLD + i;
            const { item } = await q.enqueue({ ...job, tenant: `t${i % 3}` });
            const [c] = await q.claim({ owner: 'w', max: 1 });
            assert.equal(c?.item.id, item.id);
            await q.complete(c.lease, i);
          }
          const counts = await drain((max) => q.purgeFinished(CUTOFF, max), 3);
          assert.equal(sum(counts), 13);
          assert.ok(counts.length >= 8, `23 old items in windows of 3 take at least 8 calls, took ${counts.length}`);
          assert.equal((await q.list({ tenant: 'acme', status: 'queued', limit: 100 })).length, 10);
        }));
    });

    describe('schedule occurrences', () => {
      const T0 = OLD - 10 * 60_000;
      const plan = (now: number) => (s: Schedule) => planDue(timingOf(s), s.nextAt ?? now, now);

      const withSchedules = (fn: (s: ScheduleStore) => Promise<void>): Promise<void> => withPorts({}, ({ schedules }) => fn(schedules));

      /** Claims the occurrence due at `now` of every schedule, and settles it unless told not to. */
      async function occur(s: ScheduleStore, now: number, settle = true): Promise<void> {
        // A claim lease longer than the test's span: a pending occurrence is never taken over.
        for (const { run } of await s.claimDue(now, plan(now), 10 * HOUR)) {
          if (settle) await s.settle({ tenant: run.tenant, schedule: run.schedule, occurrenceAt: run.occurrenceAt, outcome: 'fired', jobId: 'qi_x' }, now);
        }
      }

      async function put(s: ScheduleStore, tenant: string, name: string): Promise<void> {
        await s.put({ tenant, name, function: 'f', everySeconds: 60, timezone: 'UTC', input: null, overlap: 'allow', anchorAt: T0, nextAt: T0 + 60_000, updatedAt: T0 });
      }

      test('deletes settled occurrences before the cutoff; pending and recent ones stay', () =>
        withSchedules(async (s) => {
          await put(s, 'acme', 'm');
          await put(s, 'globex', 'n');
          for (let k = 1; k <= 3; k++) await occur(s, T0 + k * 60_000);
          await occur(s, T0 + 4 * 60_000, false); // claimed, never settled: pending
          await occur(s, RECENT);
          const times = async (tenant: string, name: string) => (await s.listRuns(tenant, name, 100)).map((r) => [r.occurrenceAt - T0, r.outcome]);

          assert.deepEqual(await s.purgeRuns(CUTOFF, 100), { deleted: 6, more: false });
          assert.deepEqual(await times('acme', 'm'), [[RECENT - T0, 'fired'], [240_000, 'pending']]);
          assert.deepEqual(await times('globex', 'n'), [[RECENT - T0, 'fired'], [240_000, 'pending']]);
          assert.deepEqual(await s.purgeRuns(CUTOFF, 100), { deleted: 0, more: false });
        }));

      test('each call deletes at most its batch, and the pass goes on across schedules', () =>
        withSchedules(async (s) => {
          for (const name of ['a', 'b', 'c']) await put(s, 'acme', name);
          for (let k = 1; k <= 5; k++) await occur(s, T0 + k * 60_000);
          const counts = await drain((max) => s.purgeRuns(CUTOFF, max), 4);
          assert.equal(sum(counts), 15);
          assert.ok(counts.length >= 4, `15 rows in batches of 4 take at least 4 calls, took ${counts.length}`);
          assert.deepEqual(await s.listRuns('acme', 'c', 100), []);
        }));
    });
  });
}
