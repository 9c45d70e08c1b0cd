// Job slices yield the event loop to foreground requests: while requests keep the loop busy,
// backlogged jobs of one tenant run one at a time (AIRLOCK_JOB_YIELD_PERCENT, src/services/jobs/
// pacer.ts); with yielding off (100) the same jobs run side by side. The threshold is set to 1%
// and the request minimum to 1 a window, so that any steady request traffic counts as pressure,
// whatever the machine's speed (the minimum itself is the unit tests' business, pacer.test.ts).
// Three sandboxes are booted first, so that boots do not space the jobs out for the pacer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, submit, waitJob } from './jobs-support.js';

const SLOW = `export default async () => {
  const start = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { start, end: Date.now() };
};`;

/** Runs three 300 ms jobs under steady foreground traffic; returns their [start, end] spans, by start. */
async function spansUnderTraffic(server: TestServer): Promise<[number, number][]> {
  await deploy(server, 'acme', 'slow', SLOW);
  await server.airlock.pool.warmUp();
  assert.ok(server.airlock.pool.stats().blank >= 3, JSON.stringify(server.airlock.pool.stats()));
  let traffic = true;
  const loops = Array.from({ length: 4 }, async () => {
    while (traffic) await server.request('GET', '/healthz');
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 300)); // at least one window judged under traffic
    const ids = await Promise.all([1, 2, 3].map(() => submit(server, 'acme', 'slow')));
    const jobs = await Promise.all(ids.map((id) => waitJob(server, 'acme', id, (j) => j.status === 'succeeded')));
    return jobs
      .map((j) => j.result as { start: number; end: number })
      .map((r): [number, number] => [r.start, r.end])
      .sort((a, b) => a[0] - b[0]);
  } finally {
    traffic = false;
    await Promise.all(loops);
  }
}

/** Three blank sandboxes, one per job. */
const BOOTED = { AIRLOCK_POOL_SIZE: '3' };

const overlaps = (spans: [number, number][]): number => spans.filter((s, i) => i > 0 && s[0] < spans[i - 1]![1]).length;

describe('job slices under foreground pressure', () => {
  it('run one at a time while requests keep the event loop busy', async () => {
    const server = await startTestServer({ ...FAST_JOBS, ...BOOTED, AIRLOCK_JOB_YIELD_PERCENT: '1' }, { pacer: { minForeground: 1 } });
    try {
      const spans = await spansUnderTraffic(server);
      assert.equal(overlaps(spans), 0, `jobs ran side by side: ${JSON.stringify(spans)}`);
    } finally {
      await server.close();
    }
  });

  it('run side by side when yielding is off', async () => {
    const server = await startTestServer({ ...FAST_JOBS, ...BOOTED, AIRLOCK_JOB_YIELD_PERCENT: '100' });
    try {
      const spans = await spansUnderTraffic(server);
      assert.ok(overlaps(spans) >= 1, `expected overlapping jobs: ${JSON.stringify(spans)}`);
    } finally {
      await server.close();
    }
  });
});
