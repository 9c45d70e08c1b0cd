// The arithmetic of the background-work check, with the CPU counter and the clock given: CPU
// beyond the calls' wall time (at the quota) plus the allowance, two looks of a second or more in
// a row, marks a sandbox once; work inside calls, a single busy second and looks closer than a
// second apart do not. The real thing (a bwrap sandbox whose function leaves a busy timer
// running) is in test/api/background-work.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BackgroundWatch } from '../../src/sandbox/background-watch.js';
import type { Sandbox } from '../../src/sandbox/port.js';

const MS = 1e6;

/** A sandbox of which the watch reads only the CPU counter, set by the test. */
function counted(): { sandbox: Sandbox; cpuMs: number } {
  const probe = { cpuMs: 0, sandbox: undefined as unknown as Sandbox };
  probe.sandbox = { cpuUsageNs: () => probe.cpuMs * MS } as unknown as Sandbox;
  return probe;
}

describe('background work check', () => {
  it('marks a sandbox that used more than its allowance outside its calls, two looks in a row, once', () => {
    const watch = new BackgroundWatch({ percent: 10, cpus: 1 });
    const s = counted();
    assert.deepEqual(watch.sweep([{ sandbox: s.sandbox, busyMs: 0 }], 0), [], 'the first look only samples');
    s.cpuMs += 500; // half a core for a second, outside any call
    assert.deepEqual(watch.sweep([{ sandbox: s.sandbox, busyMs: 0 }], 1_000), [], 'one look over is not enough');
    s.cpuMs += 500;
    const found = watch.sweep([{ sandbox: s.sandbox, busyMs: 0 }], 2_000);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.sandbox, s.sandbox);
    assert.equal(found[0]!.excessCpuMs, 800, 'what it used beyond 100 ms a second, over both seconds');
    assert.equal(found[0]!.overMs, 2_000);
    s.cpuMs += 500;
    assert.deepEqual(watch.sweep([{ sandbox: s.sandbox, busyMs: 0 }], 3_000), [], 'reported once');
  });

  it("counts a call's work at the quota, resets after a quiet second, and ignores looks under a second apart", () => {
    const watch = new BackgroundWatch({ percent: 10, cpus: 0.5 });
    const s = counted();
    watch.sweep([{ sandbox: s.sandbox, busyMs: 0 }], 0);
    s.cpuMs += 550; // 1 s busy at half a core (500) plus 50 outside: within the allowance
    assert.deepEqual(watch.sweep([{ sandbox: s.sandbox, busyMs: 1_000 }], 1_000), []);
    s.cpuMs += 300; // over
    assert.deepEqual(watch.sweep([{ sandbox: s.sandbox, busyMs: 1_000 }], 2_000), []);
    s.cpuMs += 50; // quiet: the count starts again
    assert.deepEqual(watch.sweep([{ sandbox: s.sandbox, busyMs: 1_000 }], 3_000), []);
    s.cpuMs += 300;
    assert.deepEqual(watch.sweep([{ sandbox: s.sandbox, busyMs: 1_000 }], 4_000), []);
    s.cpuMs += 300;
    assert.deepEqual(watch.sweep([{ sandbox: s.sandbox, busyMs: 1_000 }], 4_500), [], 'half a second after the last look: not a look');
    assert.equal(watch.sweep([{ sandbox: s.sandbox, busyMs: 1_000 }], 5_000).length, 1, 'the two seconds over, in a row');
  });

  it('measures nothing when it is off or the sandbox has no CPU counter', () => {
    const off = new BackgroundWatch({ percent: 0, cpus: 1 });
    const s = counted();
    for (let t = 0; t <= 5_000; t += 1_000) {
      s.cpuMs += 1_000;
      assert.deepEqual(off.sweep([{ sandbox: s.sandbox, busyMs: 0 }], t), []);
    }
    const watch = new BackgroundWatch({ percent: 10, cpus: 1 });
    const uncounted = { cpuUsageNs: () => undefined } as unknown as Sandbox;
    for (let t = 0; t <= 5_000; t += 1_000) assert.deepEqual(watch.sweep([{ sandbox: uncounted, busyMs: 0 }], t), []);
  });
});
