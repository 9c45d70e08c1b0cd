// Schedules over real HTTP, real bwrap sandboxes and real SQLite, with the schedule clock moved
// by the test: create/replace/read/list/delete; validation (a bad cron expression is a 400 that
// gives the reason); each occurrence fires exactly one background job, readable with the jobs API
// and linked to the schedule; an occurrence is skipped (and recorded) while the previous run is
// still going, unless overlap is "allow"; an occurrence that cannot fire is recorded as an error;
// deleting a function deletes its schedules;
// cron expressions are read in their time zone; tenant keys reach only their tenant.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { finished, waitJob } from './jobs-support.js';
import { SCHEDULE_ENV, TestClock, getSchedule, putSchedule, runsOf, scheduledJobs } from './schedules-support.js';

const HOLD = `export default async (input, ctx) => {
  await ctx.checkpoint.save({ started: true });
  await new Promise((r) => setTimeout(r, 120000));
};`;

describe('schedules API', () => {
  let server: TestServer;
  const clock = new TestClock(Date.parse('2026-01-15T00:00:00Z'));
  before(async () => {
    server = await startTestServer(SCHEDULE_ENV, { scheduleClock: clock.now });
    await deploy(server, 'acme', 'echo', `export default async (input) => ({ got: input });`);
    await deploy(server, 'acme', 'hold', HOLD);
  });
  after(() => server.close());

  const tick = () => server.airlock.scheduleRunner.tick();

  it('creates, replaces, reads, lists and deletes a schedule', async () => {
    const res = await server.request('PUT', '/v1/tenants/acme/schedules/crud', { function: 'echo', everySeconds: 60, input: { a: 1 } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.created, true);
    assert.equal(res.body.nextRunAt, new Date(clock.ms + 60_000).toISOString());
    assert.deepEqual([res.body.timezone, res.body.overlap, res.body.fired, res.body.skipped], ['UTC', 'skip', 0, 0]);
    const replaced = await server.request('PUT', '/v1/tenants/acme/schedules/crud', { function: 'echo', everySeconds: 60, input: { a: 2 }, overlap: 'allow' });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.created, false);
    // Same timing: the next occurrence stays where it was.
    assert.equal(replaced.body.nextRunAt, res.body.nextRunAt);
    const got = await getSchedule(server, 'acme', 'crud');
    assert.deepEqual([got.input, got.overlap], [{ a: 2 }, 'allow']);
    const list = await server.request('GET', '/v1/tenants/acme/schedules');
    assert.ok((list.body.schedules as { name: string }[]).some((s) => s.name === 'crud'));
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/schedules/crud')).status, 204);
    const gone = await server.request('GET', '/v1/tenants/acme/schedules/crud');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'SCHEDULE_NOT_FOUND');
    assert.equal(gone.body.error.message, 'no schedule crud for tenant acme; list them with `airlock schedules list acme` (GET /v1/tenants/acme/schedules)');
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/schedules/crud')).status, 404);
  });

  it('refuses invalid schedules with a 4xx that says why', async () => {
    const put = (body: unknown) => server.request('PUT', '/v1/tenants/acme/schedules/bad', body);
    const badCron = await put({ function: 'echo', cron: '61 * * * *' });
    assert.equal(badCron.status, 400);
    assert.equal(badCron.body.error.code, 'VALIDATION_FAILED');
    assert.match(badCron.body.error.message, /invalid cron expression "61 \* \* \* \*": .+; use 5 fields/);
    const notCron = await put({ function: 'echo', cron: 'every tuesday' });
    assert.equal(notCron.status, 400);
    assert.match(notCron.body.error.message, /invalid cron expression/);
    const both = await put({ function: 'echo', cron: '0 * * * *', everySeconds: 60 });
    assert.equal(both.status, 400);
    assert.match(both.body.error.message, /exactly one of "cron".*or "everySeconds"/);
    const neither = await put({ function: 'echo' });
    assert.equal(neither.status, 400);
    assert.match(neither.body.error.message, /exactly one of/);
    const tooOften = await put({ function: 'echo', everySeconds: 5 });
    assert.equal(tooOften.status, 400);
    assert.match(tooOften.body.error.message, /everySeconds must be a whole number >= 10/);
    const everySecond = await put({ function: 'echo', cron: '* * * * * *' });
    assert.equal(everySecond.status, 400);
    assert.match(everySecond.body.error.message, /fires 1 s apart/);
    const zone = await put({ function: 'echo', cron: '0 9 * * *', timezone: 'Mars/Olympus_Mons' });
    assert.equal(zone.status, 400);
    assert.match(zone.body.error.message, /unknown time zone "Mars\/Olympus_Mons"/);
    const fn = await put({ function: 'nope', everySeconds: 60 });
    assert.equal(fn.status, 404);
    assert.equal(fn.body.error.code, 'FUNCTION_NOT_FOUND');
    const huge = await put({ function: 'echo', everySeconds: 400_000_000 });
    assert.equal(huge.status, 400);
    const extra = await put({ function: 'echo', everySeconds: 60, when: 'later' });
    assert.equal(extra.status, 400);
    const overlap = await put({ function: 'echo', everySeconds: 60, overlap: 'queue' });
    assert.equal(overlap.status, 400);
    assert.equal((await server.request('GET', '/v1/tenants/acme/schedules/bad')).status, 404, 'nothing was stored');
  });

  it('fires each occurrence exactly once, as a background job linked to the schedule', async () => {
    const start = clock.ms;
    await putSchedule(server, 'acme', 'minutely', { function: 'echo', everySeconds: 60, input: { hello: 'world' } });
    await tick();
    assert.equal((await runsOf(server, 'acme', 'minutely')).length, 0, 'nothing is due before the first occurrence');
    clock.advance(59_999);
    await tick();
    assert.equal((await runsOf(server, 'acme', 'minutely')).length, 0, 'nothing is due a millisecond early');
    clock.advance(1);
    await tick();
    await tick();
    let runs = await runsOf(server, 'acme', 'minutely');
    assert.equal(runs.length, 1, JSON.stringify(runs));
    assert.deepEqual([runs[0]!.outcome, runs[0]!.occurrenceAt, runs[0]!.missed], ['fired', new Date(start + 60_000).toISOString(), 0]);
    const job = await waitJob(server, 'acme', runs[0]!.jobId!, finished);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.deepEqual(job.result, { got: { hello: 'world' } });
    const getJob = await server.request('GET', `/v1/tenants/acme/jobs/${runs[0]!.jobId}`);
    assert.equal(getJob.body.idempotencyKey, `schedule:minutely:${new Date(start + 60_000).toISOString()}`);
    // Two more occurrences, several ticks each: one job per occurrence. (Each run is let finish
    // first: an occurrence while the previous run is still going is skipped, tested below.)
    for (const at of [120_000, 180_000]) {
      clock.ms = start + at + 500;
      await tick();
      await tick();
      const [latest] = await runsOf(server, 'acme', 'minutely');
      assert.equal(latest?.outcome, 'fired', JSON.stringify(latest));
      await waitJob(server, 'acme', latest!.jobId!, finished);
    }
    runs = await runsOf(server, 'acme', 'minutely');
    assert.deepEqual(runs.map((r) => [r.occurrenceAt, r.outcome]), [
      [new Date(start + 180_000).toISOString(), 'fired'],
      [new Date(start + 120_000).toISOString(), 'fired'],
      [new Date(start + 60_000).toISOString(), 'fired'],
    ]);
    const jobs = await scheduledJobs(server, 'acme', 'echo', 'minutely');
    assert.equal(jobs.length, 3);
    assert.deepEqual(new Set(jobs.map((j) => j.id)), new Set(runs.map((r) => r.jobId)));
    const s = await getSchedule(server, 'acme', 'minutely');
    assert.deepEqual([s.fired, s.skipped, s.lastJobId, s.nextRunAt], [3, 0, runs[0]!.jobId, new Date(start + 240_000).toISOString()]);
    const page = await server.request('GET', `/v1/tenants/acme/schedules/minutely/runs?limit=1&before=${runs[0]!.occurrenceAt}`);
    assert.deepEqual((page.body.runs as { occurrenceAt: string }[]).map((r) => r.occurrenceAt), [runs[1]!.occurrenceAt]);
    // Pages follow `next` (the last occurrence of a full page) to the oldest; a page that is not full has none.
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const res: { status: number; body: { runs: { occurrenceAt: string }[]; next: string | null } } = await server.request(
        'GET',
        `/v1/tenants/acme/schedules/minutely/runs?limit=2${next === null ? '' : `&before=${next}`}`,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(Object.hasOwn(res.body, 'next'), JSON.stringify(res.body));
      seen.push(...res.body.runs.map((r) => r.occurrenceAt));
      next = res.body.next;
    } while (next !== null);
    assert.deepEqual(seen, runs.map((r) => r.occurrenceAt));
    assert.equal((await server.request('GET', '/v1/tenants/acme/schedules/minutely/runs')).body.next, null);
    const badPage = await server.request('GET', '/v1/tenants/acme/schedules/minutely/runs?before=yesterday');
    assert.equal(badPage.status, 400);
    await server.request('DELETE', '/v1/tenants/acme/schedules/minutely');
  });

  it('skips an occurrence while the previous run is still going, and records the skip', async () => {
    const start = clock.ms;
    await putSchedule(server, 'acme', 'held', { function: 'hold', everySeconds: 60 });
    clock.ms = start + 60_000;
    await tick();
    const [first] = await runsOf(server, 'acme', 'held');
    assert.equal(first?.outcome, 'fired');
    await waitJob(server, 'acme', first!.jobId!, (j) => j.status === 'running');
    clock.ms = start + 120_000;
    await tick();
    const [second] = await runsOf(server, 'acme', 'held');
    assert.equal(second?.outcome, 'skipped', JSON.stringify(second));
    assert.equal(second!.jobId, first!.jobId);
    assert.match(second!.reason!, /previous run \(job qi_\S+\) was still running; overlap is "skip"/);
    assert.equal((await server.request('POST', `/v1/tenants/acme/jobs/${first!.jobId}/cancel`)).status, 200);
    await waitJob(server, 'acme', first!.jobId!, finished);
    clock.ms = start + 180_000;
    await tick();
    const [third] = await runsOf(server, 'acme', 'held');
    assert.equal(third?.outcome, 'fired');
    assert.notEqual(third!.jobId, first!.jobId);
    const s = await getSchedule(server, 'acme', 'held');
    assert.deepEqual([s.fired, s.skipped], [2, 1]);
    assert.equal((await scheduledJobs(server, 'acme', 'hold', 'held')).length, 2);
    await server.request('POST', `/v1/tenants/acme/jobs/${third!.jobId}/cancel`);
    await server.request('DELETE', '/v1/tenants/acme/schedules/held');
  });

  it('with overlap "allow", fires while the previous run is still going', async () => {
    const start = clock.ms;
    await putSchedule(server, 'acme', 'piling', { function: 'hold', everySeconds: 60, overlap: 'allow' });
    clock.ms = start + 60_000;
    await tick();
    clock.ms = start + 120_000;
    await tick();
    const runs = await runsOf(server, 'acme', 'piling');
    assert.deepEqual(runs.map((r) => r.outcome), ['fired', 'fired']);
    for (const r of runs) await server.request('POST', `/v1/tenants/acme/jobs/${r.jobId}/cancel`);
    await server.request('DELETE', '/v1/tenants/acme/schedules/piling');
  });

  it('records an occurrence it cannot fire (its input no longer fits the function) as an error, and keeps going', async () => {
    await deploy(server, 'acme', 'shrinking', `export default async () => 1;`);
    const start = clock.ms;
    await putSchedule(server, 'acme', 'misfit', { function: 'shrinking', everySeconds: 60, input: { text: 'x'.repeat(200) } });
    // Redeployed with a smaller input limit than the stored input needs.
    const put = await server.request('PUT', '/v1/tenants/acme/functions/shrinking', { code: 'export default async () => 2;', limits: { inputBytes: 100 } });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    clock.ms = start + 60_000;
    await tick();
    const [run] = await runsOf(server, 'acme', 'misfit');
    assert.deepEqual([run?.outcome, run?.jobId], ['error', undefined]);
    assert.match(run!.reason!, /^INPUT_TOO_LARGE: /);
    const s = await getSchedule(server, 'acme', 'misfit');
    assert.deepEqual([s.fired, s.nextRunAt], [0, new Date(start + 120_000).toISOString()]);
    await server.request('DELETE', '/v1/tenants/acme/schedules/misfit');
  });

  it("deleting a function deletes its schedules, and only its own", async () => {
    await deploy(server, 'acme', 'doomed', `export default async () => 1;`);
    await putSchedule(server, 'acme', 'orphan-1', { function: 'doomed', everySeconds: 60 });
    await putSchedule(server, 'acme', 'orphan-2', { function: 'doomed', cron: '0 * * * *' });
    await putSchedule(server, 'acme', 'bystander', { function: 'echo', everySeconds: 60 });
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/functions/doomed')).status, 204);
    for (const name of ['orphan-1', 'orphan-2']) {
      assert.equal((await server.request('GET', `/v1/tenants/acme/schedules/${name}`)).status, 404, name);
    }
    assert.equal((await getSchedule(server, 'acme', 'bystander')).function, 'echo');
    await server.request('DELETE', '/v1/tenants/acme/schedules/bystander');
  });

  it('reads a cron expression in its time zone, across daylight saving time', async () => {
    clock.set('2026-01-15T00:00:00Z');
    const ny = await putSchedule(server, 'acme', 'ny', { function: 'echo', cron: '0 9 * * *', timezone: 'America/New_York' });
    assert.equal(ny.nextRunAt, '2026-01-15T14:00:00.000Z'); // 09:00 EST = UTC-5
    const tokyo = await putSchedule(server, 'acme', 'tokyo', { function: 'echo', cron: '0 9 * * *', timezone: 'Asia/Tokyo' });
    assert.equal(tokyo.nextRunAt, '2026-01-16T00:00:00.000Z'); // 09:00 JST now is not "after now"
    const utc = await putSchedule(server, 'acme', 'utc', { function: 'echo', cron: '0 9 * * *' });
    assert.equal(utc.nextRunAt, '2026-01-15T09:00:00.000Z');
    clock.set('2026-01-15T14:00:00Z');
    await tick();
    const [fired] = await runsOf(server, 'acme', 'ny');
    assert.deepEqual([fired?.occurrenceAt, fired?.outcome], ['2026-01-15T14:00:00.000Z', 'fired']);
    assert.equal((await getSchedule(server, 'acme', 'ny')).nextRunAt, '2026-01-16T14:00:00.000Z');
    // Summer: 09:00 EDT = UTC-4.
    clock.set('2026-07-01T00:00:00Z');
    const summer = await putSchedule(server, 'acme', 'ny-summer', { function: 'echo', cron: '0 9 * * *', timezone: 'America/New_York' });
    assert.equal(summer.nextRunAt, '2026-07-01T13:00:00.000Z');
    for (const name of ['ny', 'tokyo', 'utc', 'ny-summer']) await server.request('DELETE', `/v1/tenants/acme/schedules/${name}`);
  });

  it('reaches only the tenant of a tenant key', async () => {
    const key = await server.request('POST', '/v1/tenants/globex/keys');
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const denied = await server.request('PUT', '/v1/tenants/acme/schedules/x', { function: 'echo', everySeconds: 60 }, key.body.key);
    assert.equal(denied.status, 403);
    assert.equal((await server.request('GET', '/v1/tenants/acme/schedules', undefined, key.body.key)).status, 403);
    const own = await server.request('GET', '/v1/tenants/globex/schedules', undefined, key.body.key);
    assert.deepEqual([own.status, own.body.schedules], [200, []]);
  });
});
