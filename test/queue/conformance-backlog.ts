// The QueueStore conformance suite, part 4: the per-tenant backlog cap (policy.tenantBacklog). A
// tenant holding that many unfinished items (queued, waiting to retry or continue, running) is
// refused TENANT_BACKLOG_FULL and nothing is stored, by enqueue and per item by enqueueMany;
// other tenants are not; the count follows every way in and out, and holds for another handle.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAirlockError } from '../../src/core/errors.js';
import type { EnqueueOutcome, QueuePolicy } from '../../src/queue/port.js';
import type { Env } from './conformance.js';
import { rejectsWith } from './support.js';

type WithQueue = (policy: Partial<QueuePolicy>, fn: (env: Env) => Promise<void>) => Promise<void>;

const job = { tenant: 'acme', function: 'sync', lane: 'background' as const, payload: { page: 1 } };

function refusedCodes(outcomes: readonly EnqueueOutcome[]): string[] {
  return outcomes.map((o) => (typeof o === 'string' ? 'stored' : isAirlockError(o) ? o.code : 'other'));
}

export function queueBacklogConformance(withQueue: WithQueue): void {
  test('backlog cap: a tenant at it is refused with nothing stored; other tenants and known keys are not', () =>
    withQueue({ tenantBacklog: 3 }, async ({ q }) => {
      for (let i = 0; i < 3; i++) await q.enqueue({ ...job, idempotencyKey: `k${i}` });
      assert.equal(await q.backlog('acme'), 3);
      const err = await rejectsWith(q.enqueue({ ...job, idempotencyKey: 'k3' }), 'TENANT_BACKLOG_FULL');
      assert.equal(err.status, 429);
      assert.deepEqual(err.details, { retryAfterSeconds: 30, tenant: 'acme', backlog: 3, limit: 3 });
      assert.match(err.message, /tenant acme already has 3 unfinished queue items .* AIRLOCK_QUEUE_TENANT_BACKLOG allows \(3\); nothing was stored/);
      assert.equal((await q.list({ tenant: 'acme', limit: 10 })).length, 3, 'nothing was stored');
      assert.equal(await q.backlog('acme'), 3);
      const again = await q.enqueue({ ...job, idempotencyKey: 'k1' });
      assert.equal(again.created, false, 'a known idempotency key still answers its item at the cap');
      assert.equal((await q.enqueue({ ...job, tenant: 'globex' })).created, true, 'another tenant is not refused');
      assert.equal(await q.backlog('globex'), 1);
    }));

  test('backlog cap: enqueueMany refuses only the items past the cap, counting the batch as it goes', () =>
    withQueue({ tenantBacklog: 3 }, async ({ q }) => {
      const first = await q.enqueue({ ...job, idempotencyKey: 'd-0' });
      const outcomes = await q.enqueueMany([
        { ...job, idempotencyKey: 'd-1' },
        { ...job, tenant: 'globex' },
        { ...job, idempotencyKey: 'd-2' },
        { ...job, idempotencyKey: 'd-3' },
        { ...job, idempotencyKey: 'd-0' },
        { ...job, tenant: 'globex' },
      ]);
      assert.deepEqual(refusedCodes(outcomes), ['stored', 'stored', 'stored', 'TENANT_BACKLOG_FULL', 'stored', 'stored']);
      assert.equal(outcomes[4], first.item.id, 'a known key answers its item even at the cap');
      const refused = outcomes[3];
      assert.ok(isAirlockError(refused));
      assert.deepEqual(refused.details, { retryAfterSeconds: 30, tenant: 'acme', backlog: 3, limit: 3 });
      assert.deepEqual((await q.list({ tenant: 'acme', limit: 10 })).map((i) => i.idempotencyKey).sort(), ['d-0', 'd-1', 'd-2']);
      assert.deepEqual([await q.backlog('acme'), await q.backlog('globex')], [3, 2]);
      assert.deepEqual(refusedCodes(await q.enqueueMany([{ ...job }])), ['TENANT_BACKLOG_FULL'], 'a batch of refusals only');
    }));

  test('backlog: running, retries and continuations stay counted; finishing, cancelling and dying free room; a retry takes it again', () =>
    withQueue({ tenantBacklog: 3, maxAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 10 }, async ({ q, clock }) => {
      const expect = async (n: number, step: string): Promise<void> => assert.equal(await q.backlog('acme'), n, step);
      const items = await q.enqueueMany([job, job, job]);
      await expect(3, 'enqueued');
      const [a, b, c] = await q.claim({ owner: 'w', max: 3 });
      assert.ok(a && b && c);
      await expect(3, 'running items count');
      await q.continueLater(a.lease);
      await expect(3, 'a continuation is still unfinished');
      await q.fail(b.lease, { code: 'BOOM', message: 'retry me' });
      await expect(3, 'an item waiting to retry is still unfinished');
      await rejectsWith(q.enqueue(job), 'TENANT_BACKLOG_FULL');
      await q.complete(c.lease, 'done');
      await expect(2, 'a completed item leaves the backlog');
      await q.enqueue(job);
      await expect(3, 'room taken again');
      clock.advance(10);
      const claimed = await q.claim({ owner: 'w', max: 10 });
      const retried = claimed.find((x) => x.item.id === b.item.id);
      assert.ok(retried);
      await q.fail(retried.lease, { code: 'BOOM', message: 'last attempt' });
      await expect(2, 'a dead item leaves the backlog');
      await q.cancel('acme', String(items[0]));
      await expect(1, 'a cancelled item leaves the backlog');
      await q.requeue('acme', b.item.id);
      await expect(2, 'a dead item queued again (job retry) is counted again');
      clock.advance(1_000);
      await q.purgeFinished(clock.t, 100);
      await expect(2, 'retention deletes only finished items: the backlog is unchanged');
    }));

  test('backlog cap: another handle on the same data (a restart, another server) sees the count and the cap', () =>
    withQueue({ tenantBacklog: 2 }, async ({ q, sut }) => {
      await q.enqueueMany([job, job]);
      const other = await sut.openAnother();
      try {
        assert.equal(await other.backlog('acme'), 2);
        await rejectsWith(other.enqueue(job), 'TENANT_BACKLOG_FULL');
        const [c] = await other.claim({ owner: 'w2', max: 1 });
        assert.ok(c);
        await other.complete(c.lease, null);
        assert.equal((await q.enqueue(job)).created, true, "the first handle sees the other's completion");
        await rejectsWith(q.enqueue(job), 'TENANT_BACKLOG_FULL');
      } finally {
        await other.close();
      }
    }));

  test('backlog cap 0: no cap, and the backlog is still counted', () =>
    withQueue({ tenantBacklog: 0 }, async ({ q }) => {
      for (let i = 0; i < 5; i++) await q.enqueue(job);
      assert.deepEqual(refusedCodes(await q.enqueueMany([job, job])), ['stored', 'stored']);
      assert.equal(await q.backlog('acme'), 7);
      assert.equal(await q.backlog('nobody'), 0);
    }));
}
