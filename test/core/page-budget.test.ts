// PageBudget and takePage: a page stops at its limit or once its items reach the byte budget, the
// first item always goes in however large, and an iterator is closed as soon as the page is full
// (the rows after it are never read).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonBytes, PageBudget, takePage } from '../../src/core/page-budget.js';

/** Yields 0..n-1, counting what it was asked for and whether it was closed. */
function counted(n: number) {
  const seen = { read: 0, closed: false };
  function* rows(): Generator<number> {
    try {
      for (let i = 0; i < n; i++) {
        seen.read++;
        yield i;
      }
    } finally {
      seen.closed = true;
    }
  }
  return { rows: rows(), seen };
}

describe('takePage', () => {
  it('stops once the items reach the budget, reading no further and closing the iterator', () => {
    const { rows, seen } = counted(10);
    const budget = new PageBudget<number>(25, () => 10);
    assert.deepEqual(takePage(rows, (r) => r, 100, budget), [0, 1, 2]);
    assert.deepEqual([budget.used, budget.spent, seen.read, seen.closed], [30, true, 3, true]);
  });

  it('takes one item larger than the whole budget', () => {
    const budget = new PageBudget<string>(4, (s) => s.length);
    assert.deepEqual(takePage(['much too long', 'b'], (r) => r, 100, budget), ['much too long']);
    assert.equal(budget.spent, true);
  });

  it('stops at the limit without the budget spent; without a budget only the limit counts', () => {
    const budget = new PageBudget<number>(1_000, () => 10);
    const { rows, seen } = counted(10);
    assert.deepEqual(takePage(rows, (r) => r * 2, 3, budget), [0, 2, 4]);
    assert.deepEqual([budget.spent, seen.read, seen.closed], [false, 3, true]);
    assert.deepEqual(takePage([1, 2, 3], (r) => r, 2), [1, 2]);
    assert.deepEqual(takePage([1, 2, 3], (r) => r, 0), []);
  });

  it('a budget reached exactly is spent; reset() starts over', () => {
    const budget = new PageBudget<number>(20, () => 10);
    assert.deepEqual(takePage([1, 2, 3], (r) => r, 10, budget), [1, 2]);
    assert.equal(budget.spent, true);
    budget.reset();
    assert.deepEqual([budget.used, budget.spent], [0, false]);
  });

  it('jsonBytes counts UTF-8 bytes of the JSON text', () => {
    assert.equal(jsonBytes({ a: 'é' }), Buffer.byteLength('{"a":"é"}'));
    assert.equal(jsonBytes(undefined), 0);
  });
});
