// The QueueStore conformance suite, part 3: what a list reads. Listed items leave out checkpoints
// (the list shows only when one was saved), and a list within a byte budget (PageBudget) stops once
// its items reach it, with at least one item per page, reading no item after the page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonBytes, PageBudget } from '../../src/core/page-budget.js';
import type { QueueItem } from '../../src/queue/port.js';
import type { Env } from './conformance.js';
import type { QueuePolicy } from '../../src/queue/port.js';

type WithQueue = (policy: Partial<QueuePolicy>, fn: (env: Env) => Promise<void>) => Promise<void>;

const job = { tenant: 'acme', function: 'sync', lane: 'background' as const, payload: { page: 1 } };

export function queueListConformance(withQueue: WithQueue): void {
  test('list: items leave their checkpoint out (checkpointAt stays); get() reads it', () =>
    withQueue({}, async ({ q, clock }) => {
      const { item } = await q.enqueue(job);
      const [c] = await q.claim({ owner: 'w', max: 1 });
      assert.ok(c);
      clock.advance(5);
      await q.saveCheckpoint(c.lease, { cursor: 'c'.repeat(200) });
      const [listed] = await q.list({ tenant: 'acme', limit: 1 });
      const whole = await q.get('acme', item.id);
      assert.deepEqual([listed?.checkpoint, listed?.checkpointAt], [undefined, clock.t]);
      assert.deepEqual(whole?.checkpoint, { cursor: 'c'.repeat(200) });
      const { checkpoint: _left, ...rest } = whole!;
      assert.deepEqual({ ...listed!, payload: whole!.payload }, rest, 'every other field is listed');
    }));

  test('list within a byte budget: stops once the items reach it, at least one per page, reading no further', () =>
    withQueue({}, async ({ q, clock }) => {
      for (let i = 0; i < 6; i++) {
        clock.advance(1);
        await q.enqueue(job);
        const [c] = await q.claim({ owner: 'w', max: 1 });
        assert.ok(c);
        await q.complete(c.lease, String(i).repeat(1_000));
      }
      const all = await q.list({ tenant: 'acme', limit: 100 });
      const newest = all.map((i) => i.id);
      const sizes = new Set(all.map((item) => jsonBytes(item)));
      assert.equal(sizes.size, 1, 'items of one size');
      const [one] = [...sizes] as [number];
      let measured = 0;
      const budgetOf = (bytes: number) => new PageBudget<QueueItem>(bytes, (item) => (measured++, jsonBytes(item)));

      let budget = budgetOf(Math.floor(2.5 * one));
      assert.deepEqual((await q.list({ tenant: 'acme', limit: 100, budget })).map((i) => i.id), newest.slice(0, 3));
      assert.deepEqual([budget.spent, budget.used, measured], [true, 3 * one, 3], 'the fourth item is never read');

      const paged: string[] = [];
      let before: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        budget = budgetOf(10);
        const page = await q.list({ tenant: 'acme', limit: 100, budget, ...(before ? { before } : {}) });
        if (page.length === 0) break;
        assert.equal(page.length, 1, 'one item per page when each is larger than the budget');
        paged.push(page[0]!.id);
        before = page[0]!.id;
      }
      assert.deepEqual(paged, newest);

      budget = budgetOf(100 * one);
      assert.deepEqual((await q.list({ tenant: 'acme', limit: 4, budget })).map((i) => i.id), newest.slice(0, 4));
      assert.equal(budget.spent, false, 'a page cut by its limit is not spent');
    }));
}
