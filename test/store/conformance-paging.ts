// Store conformance, listing within a byte budget (PageBudget): every Store implementation runs it
// from storeConformance. A page stops once its records reach the budget, has at least one record
// however large, and no record after the page is read (the budget measures each record read).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonBytes, PageBudget } from '../../src/core/page-budget.js';
import type { ExecutionRecord } from '../../src/core/types.js';
import type { StoreUnderTest } from './conformance.js';
import { makeRecord } from './fixtures.js';

export function executionPagingConformance(withStore: (fn: (s: StoreUnderTest) => Promise<void>) => Promise<void>): void {
  test('list within a byte budget: stops once the records reach it, at least one per page, reading no further', () =>
    withStore(async ({ store }) => {
      const recs = Array.from({ length: 7 }, (_, i) => makeRecord({ tenant: 'sized', result: String(i).repeat(1_000) }));
      await store.insertExecutions(recs);
      const newest = [...recs].reverse();
      const ids = (list: ExecutionRecord[]) => list.map((r) => r.id);
      // Each record as the store gives it back, all of one size.
      const sizes = new Set((await store.listExecutions('sized', { limit: 100 })).map((rec) => jsonBytes(rec)));
      assert.equal(sizes.size, 1);
      const [one] = [...sizes] as [number];
      let measured = 0;
      const budgetOf = (bytes: number) => new PageBudget<ExecutionRecord>(bytes, (rec) => (measured++, jsonBytes(rec)));

      // 2.5 records' worth: the third reaches it, and nothing after the third is read.
      let budget = budgetOf(Math.floor(2.5 * one));
      assert.deepEqual(ids(await store.listExecutions('sized', { limit: 100, budget })), ids(newest.slice(0, 3)));
      assert.deepEqual([budget.spent, budget.used, measured], [true, 3 * one, 3]);

      // Smaller than one record: one per page, and paging on with before reaches every record once.
      const paged: ExecutionRecord[] = [];
      let before: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        budget = budgetOf(10);
        const page = await store.listExecutions('sized', { limit: 100, budget, ...(before ? { before } : {}) });
        if (page.length === 0) break;
        assert.equal(page.length, 1);
        paged.push(...page);
        before = page[0]!.id;
      }
      assert.deepEqual(ids(paged), ids(newest));

      // A budget larger than the list: the limit and filters still apply; nothing is cut by size.
      budget = budgetOf(100 * one);
      assert.deepEqual(ids(await store.listExecutions('sized', { limit: 4, budget })), ids(newest.slice(0, 4)));
      assert.equal(budget.spent, false);
      budget = budgetOf(100 * one);
      assert.deepEqual(ids(await store.listExecutions('sized', { limit: 100, before: newest[4]!.id, budget })), ids(newest.slice(5)));
      assert.equal(budget.spent, false);
    }));
}
