// The foreground pacer: background job slices drop to one at a time only while the event loop is
// saturated AND foreground requests keep arriving, and stay so until three windows in a row had no
// such pressure; the decision is made once per window, and a threshold of 100% turns yielding off.
// Utilization comes from an injected clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { ForegroundPacer } from '../../../src/services/jobs/pacer.js';

/** A clock whose next window's utilization is set by the test. */
function fakeClock() {
  const state = { t: 0, busy: 0 };
  return {
    state,
    clock: {
      now: () => state.t,
      utilization: (previous?: EventLoopUtilization): EventLoopUtilization =>
        previous === undefined
          ? { idle: 0, active: 0, utilization: 0 }
          : { idle: 0, active: 0, utilization: state.busy },
    },
  };
}

const options = { saturation: 0.9, windowMs: 100, minForeground: 20 };

function window(pacer: ForegroundPacer, state: { t: number; busy: number }, busy: number, requests: number): void {
  state.busy = busy;
  for (let i = 0; i < requests; i++) pacer.noteForeground();
  state.t += 100;
}

test('a saturated loop with foreground traffic lets one slice run; otherwise all may run', () => {
  const { state, clock } = fakeClock();
  const pacer = new ForegroundPacer(options, clock);
  assert.equal(pacer.isYielding, false, 'nothing measured yet');
  window(pacer, state, 0.99, 3);
  assert.equal(pacer.isYielding, false, 'busy with background work alone: no one to yield to');
  window(pacer, state, 0.97, 50);
  assert.equal(pacer.isYielding, true, 'busy loop, requests arriving');
  window(pacer, state, 0.5, 50);
  assert.equal(pacer.isYielding, true, 'one window with room is not yet enough');
  window(pacer, state, 0.5, 50);
  assert.equal(pacer.isYielding, true, 'nor two');
  window(pacer, state, 0.5, 50);
  assert.equal(pacer.isYielding, false, 'the loop had room for three windows in a row');
  window(pacer, state, 0.95, 20);
  assert.equal(pacer.isYielding, true);
});

test('the decision holds for a whole window', () => {
  const { state, clock } = fakeClock();
  const pacer = new ForegroundPacer({ ...options, releaseWindows: 1 }, clock);
  window(pacer, state, 0.97, 50);
  assert.equal(pacer.isYielding, true);
  state.busy = 0.1;
  state.t += 50; // half a window later: not judged again yet
  assert.equal(pacer.isYielding, true);
  state.t += 50;
  assert.equal(pacer.isYielding, false);
});

test('a saturated loop whose requests arrive slowly (a dip below the minimum) keeps yielding', () => {
  const { state, clock } = fakeClock();
  const pacer = new ForegroundPacer(options, clock);
  window(pacer, state, 1, 40);
  assert.equal(pacer.isYielding, true);
  for (const requests of [12, 7, 30, 19, 18]) {
    window(pacer, state, 1, requests);
    assert.equal(pacer.isYielding, true, `a window of ${requests} requests between busier ones`);
  }
});

test('a threshold of 100% never yields', () => {
  const { state, clock } = fakeClock();
  const pacer = new ForegroundPacer({ ...options, saturation: 1 }, clock);
  window(pacer, state, 1, 1000);
  assert.equal(pacer.isYielding, false);
});
