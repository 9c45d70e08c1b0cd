// The schedule runner on the real clock, with no explicit ticks: it wakes at each occurrence by
// itself (its poll interval is an hour, so only the wake-at-next-occurrence can fire them), and
// fires each occurrence once, on consecutive occurrence times. Also the per-tenant schedule limit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS } from './jobs-support.js';
import { putSchedule, runsOf, scheduledJobs } from './schedules-support.js';

describe('schedule runner on the real clock', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ...FAST_JOBS, AIRLOCK_SCHEDULE_POLL_MS: '3600000', AIRLOCK_SCHEDULE_MIN_INTERVAL_SECONDS: '1', AIRLOCK_SCHEDULES_PER_TENANT: '1' });
    await deploy(server, 'acme', 'echo', `export default async (input) => input;`);
  });
  after(() => server.close());

  it('wakes at each occurrence and fires it once', async () => {
    const created = await putSchedule(server, 'acme', 'every-second', { function: 'echo', everySeconds: 1, overlap: 'allow' });
    const first = Date.parse(created.nextRunAt as string);
    const deadline = Date.now() + 20_000;
    let runs = await runsOf(server, 'acme', 'every-second');
    while (runs.filter((r) => r.outcome === 'fired').length < 3) {
      assert.ok(Date.now() < deadline, `three occurrences did not fire in time: ${JSON.stringify(runs)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      runs = await runsOf(server, 'acme', 'every-second');
    }
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/schedules/every-second')).status, 204);
    const oldestFirst = [...runs].reverse().slice(0, 3);
    assert.deepEqual(
      oldestFirst.map((r) => [r.occurrenceAt, r.outcome]),
      [0, 1, 2].map((k) => [new Date(first + k * 1000).toISOString(), 'fired']),
    );
    const jobs = await scheduledJobs(server, 'acme', 'echo', 'every-second');
    const fired = runs.filter((r) => r.outcome === 'fired');
    assert.equal(jobs.length, fired.length);
    assert.deepEqual(new Set(jobs.map((j) => j.id)), new Set(fired.map((r) => r.jobId)));
  });

  it('refuses a schedule beyond the per-tenant limit, but still replaces an existing one', async () => {
    await putSchedule(server, 'acme', 'only', { function: 'echo', everySeconds: 3600 });
    const second = await server.request('PUT', '/v1/tenants/acme/schedules/second', { function: 'echo', everySeconds: 3600 });
    assert.equal(second.status, 400);
    assert.equal(second.body.error.code, 'LIMIT_ABOVE_MAXIMUM');
    assert.match(second.body.error.message, /AIRLOCK_SCHEDULES_PER_TENANT/);
    const replaced = await server.request('PUT', '/v1/tenants/acme/schedules/only', { function: 'echo', everySeconds: 7200 });
    assert.equal(replaced.status, 200);
    await server.request('DELETE', '/v1/tenants/acme/schedules/only');
  });
});
