// The rate limiter of warn lines: first occurrence of a key per window admitted, the rest counted
// into one summary per key at the window's end, keys beyond maxKeys counted in one overflow line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogWindow } from '../../src/core/log-window.js';
import type { WindowSummary } from '../../src/core/log-window.js';

test('admits the first of each key, counts the rest, and sums them up when the window ends', () => {
  let t = 1_000;
  const summaries: WindowSummary<string>[] = [];
  const overflows: [number, number, number][] = [];
  const w = new LogWindow<string>(
    { summary: (s) => summaries.push(s), overflow: (...o) => overflows.push(o) },
    { windowMs: 60_000, maxKeys: 2, now: () => t },
  );
  assert.equal(w.admit('a', () => 'A', 'a1'), true);
  assert.equal(w.admit('a', () => 'A', 'a2'), false);
  t += 1_500;
  assert.equal(w.admit('a', () => 'A', 'a3'), false);
  assert.equal(w.admit('b', () => 'B', 'b1'), true);
  assert.equal(w.admit('c', () => 'C', 'c1'), false, 'a third key is over maxKeys');
  assert.equal(w.admit('d', () => 'D', 'd1'), false);
  t += 500;
  w.flush();
  assert.deepEqual(summaries, [{ subject: 'A', more: 2, seconds: 2, lastId: 'a3' }], 'b had nothing unlogged');
  assert.deepEqual(overflows, [[2, 0.5, 2]]);
  assert.equal(w.admit('a', () => 'A', 'a4'), true, 'a new window admits again');
  w.close();
});
