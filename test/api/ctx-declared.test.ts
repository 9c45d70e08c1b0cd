// types/airlock.d.ts kept true to the runtime: a real function in real bwrap sandboxes (deployed
// as TypeScript that imports its ctx type the way the README says) reports the own keys of ctx
// (and of its prototype, which holds `signal`), ctx.log, ctx.checkpoint, ctx.job and
// ctx.job.source, in an invocation and a job run, with and without egress, and for every kind of
// job source; each must be exactly the members the declarations give that kind of run (read
// with the TypeScript compiler API), required ones always there, optional ones only when the run
// has them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { declaredMembers, declaredUnion } from '../support/declarations.js';
import type { Members } from '../support/declarations.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { finished, submit, waitJob } from './jobs-support.js';
import { SCHEDULE_ENV, TestClock, putSchedule, runsOf } from './schedules-support.js';

/** What a run reports: sorted own keys (null for a member the run does not have). */
interface Keys {
  ctx: string[];
  proto: string[];
  protoIsPlain: boolean;
  log: string[];
  checkpoint: string[] | null;
  job: string[] | null;
  source: string[] | null;
  fetch: string;
}

const REPORT = `import type { Context } from './airlock.js';

const keys = (o: object | undefined): string[] | null => (o === undefined ? null : Reflect.ownKeys(o).map(String).sort());

export default async function (input: { failUntilRetried?: boolean } | null, ctx: Context) {
  if (input?.failUntilRetried === true && ctx.job?.retriedAt === undefined) throw new Error('fails until retried');
  const proto = Object.getPrototypeOf(ctx) as object;
  return {
    ctx: keys(ctx),
    proto: keys(proto),
    protoIsPlain: Object.getPrototypeOf(proto) === Object.prototype,
    log: keys(ctx.log),
    checkpoint: keys(ctx.checkpoint),
    job: keys(ctx.job),
    source: keys(ctx.job?.source),
    fetch: typeof ctx.fetch,
  };
}
`;

const EGRESS = { allow: [{ host: 'api.example.com', methods: ['GET'], pathPrefixes: ['/v1/'] }] };

const all = (m: Members): string[] => [...m.required, ...m.optional].sort();
const union = (...lists: string[][]): string[] => [...new Set(lists.flat())].sort();
/** ctx's members as tenant code reaches them: its own keys and its prototype's (the `signal` getter). */
const ctxMembers = (k: Keys): string[] => union(k.ctx, k.proto);

describe('types/airlock.d.ts against the runtime', () => {
  let server: TestServer;
  const clock = new TestClock(Date.parse('2031-03-04T05:06:00Z'));
  const declared = declaredMembers({
    Context: 'Context',
    JobContext: 'JobContext',
    EgressContext: 'WithEgress<Context>',
    EgressJobContext: 'WithEgress<JobContext>',
    Log: 'Log',
    Checkpoint: 'Checkpoint',
    JobInfo: 'JobInfo',
  });
  const sources = declaredUnion('JobSource', 'kind');

  before(async () => {
    server = await startTestServer(SCHEDULE_ENV, { scheduleClock: clock.now });
    await deploy(server, 'acme', 'report', REPORT);
    await deploy(server, 'acme', 'report-egress', REPORT, { egress: EGRESS });
  });
  after(() => server.close());

  const invoked = async (fn: string): Promise<Keys> => {
    const res = await invoke(server, 'acme', fn, null);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
    return res.body.result as Keys;
  };
  const ranJob = async (id: string): Promise<Keys> => {
    const job = await waitJob(server, 'acme', id, finished);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    return job.result as Keys;
  };

  it('declares the members the contract names, fetch, checkpoint and job optional', () => {
    assert.deepEqual(declared.Context, {
      required: ['deadline', 'executionId', 'function', 'log', 'signal', 'tenant'],
      optional: ['checkpoint', 'fetch', 'job'],
    });
  });

  it('an invocation without egress has exactly the required members of Context', async () => {
    const k = await invoked('report');
    assert.deepEqual(ctxMembers(k), declared.Context.required);
    assert.deepEqual(k.proto, ['signal'], 'the prototype holds the signal getter alone');
    assert.equal(k.protoIsPlain, true);
    assert.deepEqual(k.log, all(declared.Log));
    assert.deepEqual([k.checkpoint, k.job, k.fetch], [null, null, 'undefined']);
  });

  it('an invocation granted egress adds fetch: the members of WithEgress<Context> that are required', async () => {
    const k = await invoked('report-egress');
    assert.deepEqual(ctxMembers(k), declared.EgressContext.required);
    assert.deepEqual(declared.EgressContext.optional, ['checkpoint', 'job']);
    assert.equal(k.fetch, 'function');
  });

  it('a job run has the required members of JobContext, with checkpoint and job as declared', async () => {
    const k = await ranJob(await submit(server, 'acme', 'report'));
    assert.deepEqual(ctxMembers(k), declared.JobContext.required);
    assert.deepEqual(declared.JobContext.optional, ['fetch']);
    assert.deepEqual(k.checkpoint, all(declared.Checkpoint));
    assert.deepEqual(k.job, declared.JobInfo.required, 'no idempotency key, never retried: the required members alone');
    assert.deepEqual(k.source, all(sources.api!));
  });

  it('a job run granted egress has every member of Context, all required in WithEgress<JobContext>', async () => {
    const k = await ranJob(await submit(server, 'acme', 'report-egress', { idempotencyKey: 'declared-1' }));
    assert.deepEqual(ctxMembers(k), all(declared.Context));
    assert.deepEqual(declared.EgressJobContext, { required: all(declared.Context), optional: [] });
    assert.deepEqual(k.job, union(declared.JobInfo.required, ['idempotencyKey']));
  });

  it('a job retried in place has every member of JobInfo, its optional ones included', async () => {
    const id = await submit(server, 'acme', 'report', { input: { failUntilRetried: true }, maxAttempts: 1, idempotencyKey: 'declared-2' });
    assert.equal((await waitJob(server, 'acme', id, finished)).status, 'dead');
    const retry = await server.request('POST', `/v1/tenants/acme/jobs/${id}/retry`, {});
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    const k = await ranJob(id);
    assert.deepEqual(k.job, all(declared.JobInfo));
    assert.deepEqual(declared.JobInfo.optional, ['idempotencyKey', 'retriedAt']);
  });

  it('ctx.job.source has the members JobSource declares for each kind: api, webhook, schedule', async () => {
    assert.deepEqual(Object.keys(sources).sort(), ['api', 'schedule', 'webhook']);
    for (const members of Object.values(sources)) assert.deepEqual(members.optional, []);

    const hook = (await server.request('GET', '/v1/tenants/acme/functions/report')).body.webhook as { path: string };
    const res = await fetch(server.url + hook.path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 202);
    const delivered = await ranJob(((await res.json()) as { jobId: string }).jobId);
    assert.deepEqual(delivered.source, sources.webhook!.required);

    await putSchedule(server, 'acme', 'declared', { function: 'report', everySeconds: 60 });
    clock.advance(60_000);
    await server.airlock.scheduleRunner.tick();
    const [run] = await runsOf(server, 'acme', 'declared');
    assert.equal(run?.outcome, 'fired', JSON.stringify(run));
    const fired = await ranJob(run!.jobId!);
    assert.deepEqual(fired.source, sources.schedule!.required);
  });
});
