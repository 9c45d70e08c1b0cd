// Runs queued back to back in one real bwrap sandbox: a run requested while another is in
// progress waits inside the sandbox, never overlaps it, gets its own full time limit from its
// own start, answers notStarted (without running) when the sandbox ends before its turn, and is
// taken back after maxQueueWaitMs (dropped by the harness, or run with its answer discarded).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Sandbox } from '../../src/sandbox/port.js';
import { assertNoChildren, makeIsolator, request, waitFor } from './support.js';

const isolator = makeIsolator('bwrap');

// Sleeps input.ms (or spins when input.spin), and reports when it ran and whether another run
// of this module was in progress meanwhile.
const TIMED = `let active = 0;
export default async (input, ctx) => {
  active++;
  const overlapped = active > 1;
  const startedAt = Date.now();
  if (input.spin) for (;;) {}
  await new Promise((r) => setTimeout(r, input.ms));
  active--;
  return { startedAt, endedAt: Date.now(), deadline: ctx.deadline, overlapped };
};`;

// Counts its runs; sleeps (awaiting) or spins (holding the CPU) first when asked.
const COUNTED = `let calls = 0;
export default async (input) => {
  calls++;
  if (input.sleepMs) await new Promise((r) => setTimeout(r, input.sleepMs));
  if (input.spinMs) { const end = Date.now() + input.spinMs; while (Date.now() < end); }
  return calls;
};`;

interface Timed {
  startedAt: number;
  endedAt: number;
  deadline: number;
  overlapped: boolean;
}

async function withSandbox(body: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  const sandbox = await isolator.spawn({ memoryMiB: 64 });
  try {
    await body(sandbox);
  } finally {
    await sandbox.destroy();
  }
}

describe('runs queued in one sandbox (bwrap)', () => {
  after(() => assertNoChildren());

  it('runs them one after the other, each with its own time limit from its own start', async () => {
    await withSandbox(async (sandbox) => {
      const first = sandbox.run(request(TIMED, { input: { ms: 300 }, timeoutMs: 5_000 }));
      // 300 ms behind the first, with a 250 ms limit of its own: it would time out if its
      // deadline counted from when it was sent.
      const second = sandbox.run(request(TIMED, { input: { ms: 100 }, timeoutMs: 250 }));
      assert.equal(sandbox.pending, 2);
      const [a, b] = await Promise.all([first, second]);
      assert.equal(a.status, 'succeeded', JSON.stringify(a.error));
      assert.equal(b.status, 'succeeded', JSON.stringify(b.error));
      const ra = a.result as Timed;
      const rb = b.result as Timed;
      assert.equal(rb.overlapped, false, 'the queued run started only after the first answered');
      assert.ok(rb.startedAt >= ra.endedAt, `second started ${rb.startedAt}, first ended ${ra.endedAt}`);
      assert.ok(rb.deadline >= rb.startedAt + 200, `ctx.deadline counts from the run's own start (${rb.deadline - rb.startedAt} ms)`);
      assert.ok(b.durationMs < 250, `the second run's duration is its own (${b.durationMs} ms)`);
      assert.equal(sandbox.pending, 0);
      assert.ok(sandbox.averageRunMs !== undefined && sandbox.averageRunMs > 0);
      assert.equal(sandbox.alive, true);
    });
  });

  it('answers a queued run notStarted, without running it, when the run ahead times out', async () => {
    await withSandbox(async (sandbox) => {
      const stuck = sandbox.run(request(TIMED, { input: { spin: true }, timeoutMs: 300 }));
      const queued = sandbox.run(request(`export default async () => { throw new Error('must not run'); };`, { timeoutMs: 5_000 }));
      const [a, b] = await Promise.all([stuck, queued]);
      assert.equal(a.status, 'timeout');
      assert.equal(b.notStarted, true);
      assert.equal(b.status, 'killed');
      assert.equal(b.error?.type, 'SandboxUnavailable');
      assert.equal(b.reusable, false);
      assert.equal(sandbox.alive, false);
    });
  });

  it('takes back a queued run after maxQueueWaitMs; a run ahead that awaits lets the sandbox drop it', async () => {
    await withSandbox(async (sandbox) => {
      const ahead = sandbox.run(request(COUNTED, { input: { sleepMs: 600 } }));
      const startedAt = performance.now();
      const queued = await sandbox.run(request(COUNTED, { input: {}, maxQueueWaitMs: 50 }));
      assert.equal(queued.notStarted, true);
      assert.equal(queued.reusable, true, 'taking a run back leaves the sandbox usable');
      assert.ok(performance.now() - startedAt < 500, 'answered before the run ahead ended');
      assert.equal((await ahead).result, 1);
      await waitFor('the sandbox to hold no run', () => sandbox.pending === 0);
      const next = await sandbox.run(request(COUNTED, { input: {} }));
      assert.equal(next.result, 2, 'the run taken back never ran');
      assert.equal(sandbox.alive, true);
    });
  });

  it('keeps the code a dropped run brought: the next run of that version finds it', async () => {
    await withSandbox(async (sandbox) => {
      const ahead = sandbox.run(request(COUNTED, { input: { sleepMs: 400 } }));
      const other = 'export default async (input) => ({ other: input });';
      // The first run of this version carries its code, and is taken back and dropped.
      const dropped = await sandbox.run(request(other, { input: 1, maxQueueWaitMs: 50 }));
      assert.equal(dropped.notStarted, true);
      assert.equal((await ahead).status, 'succeeded');
      await waitFor('the sandbox to hold no run', () => sandbox.pending === 0);
      const next = await sandbox.run(request(other, { input: 2 }));
      assert.equal(next.status, 'succeeded', JSON.stringify(next.error));
      assert.deepEqual(next.result, { other: 2 });
    });
  });

  it('keeps the logs of each queued run with that run', async () => {
    await withSandbox(async (sandbox) => {
      // Each run logs, then leaves a timer that logs 30 ms later. Run 2 takes 100 ms: run 1's
      // timer fires during it (and must not count as run 2's), its own timer too (and must).
      const code = `export default async (input, ctx) => {
        console.log('console of', input.n);
        ctx.log.info('ctx.log of', input.n);
        setTimeout(() => console.log('late output of', input.n), 30);
        if (input.ms) await new Promise((r) => setTimeout(r, input.ms));
        return input.n;
      };`;
      const outcomes = await Promise.all([1, 2, 3].map((n) => sandbox.run(request(code, { input: { n, ms: n === 2 ? 100 : 0 } }))));
      const logs = outcomes.map((outcome) => outcome.logs.map((l) => l.msg));
      assert.deepEqual(outcomes.map((o) => o.result), [1, 2, 3]);
      assert.deepEqual(logs, [
        ['console of 1', 'ctx.log of 1'],
        ['console of 2', 'ctx.log of 2', 'late output of 2'],
        ['console of 3', 'ctx.log of 3'],
      ]);
    });
  });

  it('runs a queued run it could not drop (the run ahead held the CPU) without answering it twice', async () => {
    await withSandbox(async (sandbox) => {
      const ahead = sandbox.run(request(COUNTED, { input: { spinMs: 400 } }));
      const queued = await sandbox.run(request(COUNTED, { input: {}, maxQueueWaitMs: 50 }));
      assert.equal(queued.notStarted, true);
      assert.equal((await ahead).result, 1);
      await waitFor('the sandbox to hold no run', () => sandbox.pending === 0);
      const next = await sandbox.run(request(COUNTED, { input: {} }));
      assert.equal(next.status, 'succeeded');
      assert.equal(next.result, 3, 'the busy harness ran the run taken back, and its answer was dropped');
      assert.equal(sandbox.alive, true);
    });
  });

  it('reports how long the run in progress has been going', async () => {
    await withSandbox(async (sandbox) => {
      assert.equal(sandbox.currentRunMs, 0);
      assert.equal(sandbox.averageRunMs, undefined);
      const running = sandbox.run(request(TIMED, { input: { ms: 200 } }));
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(sandbox.currentRunMs >= 50, `current run ${sandbox.currentRunMs} ms`);
      assert.equal((await running).status, 'succeeded');
      assert.equal(sandbox.currentRunMs, 0);
      assert.ok(sandbox.averageRunMs !== undefined && sandbox.averageRunMs >= 150, `average ${sandbox.averageRunMs} ms`);
    });
  });
});
