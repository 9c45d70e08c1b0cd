// WakeTimer: a sleep ends at its timeout or at once on wake(); `woken` records a wake since the
// last reset, also one that came while no sleep was under way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WakeTimer } from '../../src/core/wake-timer.js';

test('wake() ends the sleep under way at once', async () => {
  const alarm = new WakeTimer();
  let slept = false;
  const sleeping = alarm.sleep(60_000).then(() => (slept = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(slept, false);
  alarm.wake();
  await sleeping; // a one-minute timer would hold the test until the runner's timeout
  assert.equal(alarm.woken, true);
});

test('a sleep without a wake ends at its timeout', async () => {
  const alarm = new WakeTimer();
  await alarm.sleep(1);
  assert.equal(alarm.woken, false);
});

test('woken remembers a wake that came while nothing slept, until reset', () => {
  const alarm = new WakeTimer();
  alarm.wake();
  assert.equal(alarm.woken, true);
  alarm.reset();
  assert.equal(alarm.woken, false);
});

test('an unref timer does not keep the process alive, and still wakes', async () => {
  const alarm = new WakeTimer({ unref: true });
  const refs: boolean[] = [];
  const original = globalThis.setTimeout;
  // Look at the timer the sleep makes.
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    const t = original(fn, ms);
    queueMicrotask(() => refs.push(t.hasRef()));
    return t;
  }) as typeof setTimeout;
  let sleeping: Promise<void>;
  try {
    sleeping = alarm.sleep(60_000);
  } finally {
    globalThis.setTimeout = original;
  }
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(refs, [false]);
  alarm.wake();
  await sleeping;
});
