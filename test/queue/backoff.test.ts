// Retry policy: the exponential delay with equal jitter stays in [d/2, d] and stops at the cap;
// afterFailure queues again, dead-letters after the last attempt, or fails a permanent error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterFailure, backoffDelay } from '../../src/queue/backoff.js';

const policy = { baseMs: 1_000, maxMs: 60_000 };

test('delay doubles per failure, with jitter in [d/2, d], capped at maxMs', () => {
  for (let failures = 1; failures <= 12; failures++) {
    const d = Math.min(60_000, 1_000 * 2 ** (failures - 1));
    assert.equal(backoffDelay(failures, policy, () => 0), d / 2);
    assert.equal(backoffDelay(failures, policy, () => 1), d);
    for (let i = 0; i < 50; i++) {
      const delay = backoffDelay(failures, policy);
      assert.ok(delay >= d / 2 && delay <= d, `failures ${failures}: ${delay} outside [${d / 2}, ${d}]`);
    }
  }
  assert.equal(backoffDelay(10_000, policy, () => 1), 60_000, 'huge attempt counts do not overflow');
});

test('jitter spreads items that failed together', () => {
  const delays = new Set(Array.from({ length: 100 }, () => backoffDelay(4, policy)));
  assert.ok(delays.size > 10, `only ${delays.size} distinct delays out of 100`);
});

test('afterFailure: retry later, dead after the last attempt, failed when not retryable', () => {
  assert.deepEqual(afterFailure(1, 3, true, 5_000, policy, () => 0), { status: 'queued', runAfter: 5_500 });
  assert.deepEqual(afterFailure(3, 3, true, 5_000, policy), { status: 'dead' });
  assert.deepEqual(afterFailure(1, 3, false, 5_000, policy), { status: 'failed' });
});
