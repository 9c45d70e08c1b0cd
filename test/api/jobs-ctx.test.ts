// ctx.job over real HTTP, real bwrap sandboxes and real SQLite: a job run sees its id, attempt
// (1-based) and maxAttempts, idempotency key, source and creation time exactly as GET
// /v1/tenants/{t}/jobs/{id} shows them; a failed first attempt is attempt 1 and its retry attempt
// 2; a retry in place starts over at attempt 1 with retriedAt; a webhook delivery sees its
// delivery id and a schedule firing its schedule and the occurrence it fired for (the schedule's
// clock, not the wall clock); an invocation has no ctx.job; tenant code cannot change ctx.job.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { finished, submit, waitJob } from './jobs-support.js';
import { SCHEDULE_ENV, TestClock, putSchedule, runsOf } from './schedules-support.js';

const REPORT = `export default async (input, ctx) => ctx.job;`;

/** Fails its first attempt; each attempt records what it saw in the checkpoint. */
const FLAKY = `export default async (input, ctx) => {
  const seen = [...(ctx.checkpoint.get()?.seen ?? []), { attempt: ctx.job.attempt, maxAttempts: ctx.job.maxAttempts }];
  await ctx.checkpoint.save({ seen });
  if (seen.length === 1) throw new Error('the first attempt fails');
  return seen;
};`;

/** Fails until the job was retried in place. */
const UNTIL_RETRIED = `export default async (input, ctx) => {
  if (ctx.job.retriedAt === undefined) throw new Error('fails until retried');
  return ctx.job;
};`;

const TAMPER = `export default async (input, ctx) => {
  const tries = {};
  const attempt = (name, fn) => { try { fn(); tries[name] = 'allowed'; } catch (err) { tries[name] = err.name; } };
  attempt('assign attempt', () => { ctx.job.attempt = 99; });
  attempt('assign id', () => { ctx.job.id = 'qi_forged'; });
  attempt('add a member', () => { ctx.job.extra = 1; });
  attempt('delete maxAttempts', () => { delete ctx.job.maxAttempts; });
  attempt('redefine id', () => Object.defineProperty(ctx.job, 'id', { value: 'qi_forged' }));
  attempt('assign source.kind', () => { ctx.job.source.kind = 'schedule'; });
  attempt('replace ctx.job', () => { ctx.job = { id: 'qi_forged' }; });
  attempt('delete ctx.job', () => { delete ctx.job; });
  return { tries, job: ctx.job, frozen: Object.isFrozen(ctx.job) && Object.isFrozen(ctx.job.source) };
};`;

const INVOKED = `export default async (input, ctx) => ({ job: ctx.job === undefined, has: 'job' in ctx });`;

interface ApiJob {
  id: string;
  status: string;
  result?: unknown;
  attempts: number;
  maxAttempts: number;
  idempotencyKey?: string;
  createdAt: string;
  retriedAt?: string;
  source: { kind: string; deliveryId?: string; schedule?: string; occurrenceAt?: string };
}

/** What ctx.job must hold for the run that ended `job` (the API's ISO times as epoch ms). */
function expectedCtxJob(job: ApiJob): Record<string, unknown> {
  const { occurrenceAt, ...source } = job.source;
  return {
    id: job.id,
    attempt: job.attempts + 1,
    maxAttempts: job.maxAttempts,
    ...(job.idempotencyKey === undefined ? {} : { idempotencyKey: job.idempotencyKey }),
    source: occurrenceAt === undefined ? source : { ...source, occurrenceAt: Date.parse(occurrenceAt) },
    createdAt: Date.parse(job.createdAt),
    ...(job.retriedAt === undefined ? {} : { retriedAt: Date.parse(job.retriedAt) }),
  };
}

describe('ctx.job', () => {
  let server: TestServer;
  const clock = new TestClock(Date.parse('2031-03-04T05:06:00Z'));
  before(async () => {
    server = await startTestServer(SCHEDULE_ENV, { scheduleClock: clock.now });
    await deploy(server, 'acme', 'report', REPORT);
    await deploy(server, 'acme', 'flaky', FLAKY);
    await deploy(server, 'acme', 'until-retried', UNTIL_RETRIED);
    await deploy(server, 'acme', 'tamper', TAMPER);
    await deploy(server, 'acme', 'invoked', INVOKED);
  });
  after(() => server.close());

  const finishedJob = async (id: string): Promise<ApiJob> => (await waitJob(server, 'acme', id, finished)) as unknown as ApiJob;

  it('holds the job as the API shows it: id, attempt, maxAttempts, idempotency key, source, creation time', async () => {
    const id = await submit(server, 'acme', 'report', { input: { x: 1 }, idempotencyKey: 'sync-2031-03-04', maxAttempts: 7 });
    const job = await finishedJob(id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.deepEqual(job.source, { kind: 'api' });
    assert.deepEqual(job.result, expectedCtxJob(job));
    assert.deepEqual(job.result, {
      id, attempt: 1, maxAttempts: 7, idempotencyKey: 'sync-2031-03-04', source: { kind: 'api' }, createdAt: Date.parse(job.createdAt),
    });
    // Without an idempotency key, the member is absent.
    const plain = await finishedJob(await submit(server, 'acme', 'report'));
    assert.deepEqual(plain.result, expectedCtxJob(plain));
    assert.equal(Object.hasOwn(plain.result as object, 'idempotencyKey'), false);
  });

  it('counts attempts from 1: a job that fails once sees attempt 1, then 2, of its maxAttempts', async () => {
    const id = await submit(server, 'acme', 'flaky', { maxAttempts: 3 });
    const job = await finishedJob(id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.equal(job.attempts, 1, 'one failed attempt');
    assert.deepEqual(job.result, [{ attempt: 1, maxAttempts: 3 }, { attempt: 2, maxAttempts: 3 }]);
  });

  it('starts over at attempt 1 after a retry in place, with the retry time and the new maxAttempts', async () => {
    const id = await submit(server, 'acme', 'until-retried', { maxAttempts: 1, idempotencyKey: 'retried-in-place' });
    const dead = await finishedJob(id);
    assert.equal(dead.status, 'dead', JSON.stringify(dead));
    const retry = await server.request('POST', `/v1/tenants/acme/jobs/${id}/retry`, { maxAttempts: 4 });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    const job = await finishedJob(id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.deepEqual(job.result, expectedCtxJob(job));
    const seen = job.result as { attempt: number; maxAttempts: number; retriedAt: number; createdAt: number; idempotencyKey: string };
    assert.deepEqual([seen.attempt, seen.maxAttempts, seen.idempotencyKey], [1, 4, 'retried-in-place']);
    assert.ok(seen.retriedAt >= seen.createdAt);
    assert.equal(seen.createdAt, Date.parse(dead.createdAt), 'the job keeps its creation time');
  });

  it('names the webhook delivery of a job a delivery started', async () => {
    const hook = (await server.request('GET', '/v1/tenants/acme/functions/report')).body.webhook as { path: string };
    const res = await fetch(server.url + hook.path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"event":"push"}' });
    assert.equal(res.status, 202);
    const delivered = (await res.json()) as { deliveryId: string; jobId: string };
    const job = await finishedJob(delivered.jobId);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.deepEqual(job.source, { kind: 'webhook', deliveryId: delivered.deliveryId });
    assert.deepEqual(job.result, expectedCtxJob(job));
    assert.deepEqual((job.result as { source: unknown }).source, { kind: 'webhook', deliveryId: delivered.deliveryId });
    assert.notEqual(delivered.deliveryId, delivered.jobId);
  });

  it("names the schedule and the occurrence it fired for (the schedule's time, not the wall clock)", async () => {
    const occurrenceAt = clock.ms + 60_000;
    await putSchedule(server, 'acme', 'every-minute', { function: 'report', everySeconds: 60 });
    // The occurrence is handled 25 s after its time, as a server that was busy or down would.
    clock.ms = occurrenceAt + 25_000;
    await server.airlock.scheduleRunner.tick();
    const [run] = await runsOf(server, 'acme', 'every-minute');
    assert.equal(run?.outcome, 'fired', JSON.stringify(run));
    const job = await finishedJob(run!.jobId!);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.deepEqual(job.source, { kind: 'schedule', schedule: 'every-minute', occurrenceAt: new Date(occurrenceAt).toISOString() });
    assert.deepEqual(job.result, expectedCtxJob(job));
    const seen = job.result as { source: { occurrenceAt: number }; createdAt: number };
    assert.equal(seen.source.occurrenceAt, occurrenceAt);
    assert.notEqual(seen.createdAt, occurrenceAt, 'the job was created by the wall clock, the occurrence is the schedule\'s');
    await server.request('DELETE', '/v1/tenants/acme/schedules/every-minute');
  });

  it('is undefined in an invocation', async () => {
    const res = await server.request('POST', '/v1/tenants/acme/functions/invoked/invoke', { input: null });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.result, { job: true, has: false });
  });

  it('cannot be changed by tenant code', async () => {
    const id = await submit(server, 'acme', 'tamper', { idempotencyKey: 'tamper-1' });
    const job = await finishedJob(id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    const { tries, job: seen, frozen } = job.result as { tries: Record<string, string>; job: unknown; frozen: boolean };
    for (const [what, outcome] of Object.entries(tries)) assert.equal(outcome, 'TypeError', `${what}: ${outcome}`);
    assert.equal(Object.keys(tries).length, 8);
    assert.equal(frozen, true);
    assert.deepEqual(seen, expectedCtxJob(job), 'every member is as it was');
  });
});
