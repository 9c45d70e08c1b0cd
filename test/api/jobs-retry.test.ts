// Retrying jobs in place (POST /v1/tenants/{t}/jobs/{id}/retry) over real HTTP, real bwrap
// sandboxes and real SQLite: a dead job retried after a fix runs the new version from its last
// checkpoint under the same id; a job failed by its deadline gets a new one; a cancelled job goes
// on from its checkpoint; a version can be named; a dead webhook delivery is replayed; what cannot
// be retried says why.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { COUNTER, FAST_JOBS, finished, getJob, submit, waitJob } from './jobs-support.js';

// Saves how far it got, then fails: the bug a fix will remove.
const BUGGY = `export default async (input, ctx) => {
  const done = ctx.checkpoint.get() ?? { pages: 0 };
  if (done.pages < 2) await ctx.checkpoint.save({ pages: 2 });
  throw new Error('bug in v1');
};`;
const FIXED = `export default async (input, ctx) => ({ resumedFrom: ctx.checkpoint.get(), input, v: 2 });`;
// Saves a checkpoint, then waits forever; on a later run it finds the checkpoint and answers.
const PARKED = `export default async (input, ctx) => {
  if (ctx.checkpoint.get() !== undefined) return 'resumed';
  await ctx.checkpoint.save({ started: true });
  await new Promise(() => {});
};`;

async function retry(server: TestServer, tenant: string, id: string, body?: Record<string, unknown>, key?: string) {
  return server.request('POST', `/v1/tenants/${tenant}/jobs/${id}/retry`, body, key);
}

describe('retrying jobs', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ...FAST_JOBS, AIRLOCK_JOB_DEADLINE_MS: '600000', AIRLOCK_QUEUE_MAX_ATTEMPTS: '2' });
    await deploy(server, 'acme', 'count', COUNTER);
    await deploy(server, 'acme', 'parked', PARKED);
    await deploy(server, 'acme', 'hold', PARKED);
  });
  after(() => server.close());

  it('a dead job retried after a fix runs the latest version from its last checkpoint, under the same id', async () => {
    await deploy(server, 'acme', 'sync', BUGGY);
    const id = await submit(server, 'acme', 'sync', { input: { account: 7 }, maxAttempts: 1, idempotencyKey: 'sync-7' });
    const dead = await waitJob(server, 'acme', id, finished);
    assert.deepEqual([dead.status, dead.error?.code], ['dead', 'FUNCTION_FAILED']);
    const fixed = await deploy(server, 'acme', 'sync', FIXED);

    const res = await retry(server, 'acme', id);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      [res.body.id, res.body.status, res.body.attempts, res.body.maxAttempts, res.body.error, res.body.lastError?.code],
      [id, 'queued', 0, 1, undefined, 'FUNCTION_FAILED'],
    );
    assert.deepEqual([res.body.startedAt, res.body.finishedAt], [dead.startedAt, undefined], 'it keeps its first start and is not finished any more');
    const done = await waitJob(server, 'acme', id, finished);
    assert.ok(done.finishedAt! > res.body.retriedAt, 'it finished again after the retry');
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.deepEqual(done.result, { resumedFrom: { pages: 2 }, input: { account: 7 }, v: 2 });
    assert.equal(done.runs, 2);
    const detail = (await server.request('GET', `/v1/tenants/acme/jobs/${id}`)).body;
    assert.equal(detail.version, fixed, 'the retry ran the version deployed since');
    assert.equal(detail.idempotencyKey, 'sync-7');
    assert.ok(Date.parse(detail.retriedAt) >= Date.parse(dead.checkpointAt!), 'the detail says when it was retried');
    const runs = await server.request('GET', `/v1/tenants/acme/executions?job=${id}`);
    assert.deepEqual((runs.body.executions as { status: string }[]).map((e) => e.status), ['succeeded', 'failed'], 'both runs are recorded under the job');
  });

  it('a job failed by its deadline gets a new one and goes on from its checkpoint', async () => {
    const id = await submit(server, 'acme', 'count', { input: { n: 20, stepMs: 40 }, maxRunMs: 300, deadlineMs: 400 });
    const failed = await waitJob(server, 'acme', id, finished);
    assert.deepEqual([failed.status, failed.error?.code], ['failed', 'JOB_DEADLINE']);
    assert.ok(failed.checkpointAt !== undefined, 'it had saved progress');

    const short = await retry(server, 'acme', id, { deadlineMs: 300 });
    assert.equal(short.status, 200, JSON.stringify(short.body));
    const again = await waitJob(server, 'acme', id, (j) => finished(j) && j.runs > failed.runs);
    assert.deepEqual([again.status, again.error?.code], ['failed', 'JOB_DEADLINE']);
    assert.match(again.error?.message ?? '', /\(\S+, 300 ms after it was retried\)/, 'the deadline counts from the retry');

    const res = await retry(server, 'acme', id, { deadlineMs: 60_000, maxAttempts: 2, maxRunMs: 2_000 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.maxAttempts, 2);
    assert.equal(res.body.maxRunMs, 2_000, 'the answer is the job as GET shows it, with what the retry set');
    assert.equal(Date.parse(res.body.deadlineAt) - Date.parse(res.body.retriedAt), 60_000);
    const done = await waitJob(server, 'acme', id, finished);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    const result = done.result as { sum: number; starts: number };
    assert.equal(result.sum, 210, 'no step lost or repeated');
    assert.ok(result.starts >= 2, `resumed from a checkpoint (${result.starts} starts)`);
  });

  it('a cancelled job goes on from its checkpoint; a named version is the one that runs', async () => {
    const id = await submit(server, 'acme', 'parked');
    await waitJob(server, 'acme', id, (j) => j.checkpointAt !== undefined);
    assert.equal((await server.request('POST', `/v1/tenants/acme/jobs/${id}/cancel`)).body.status, 'cancelled');
    const parkedVersion = (await server.request('GET', `/v1/tenants/acme/jobs/${id}`)).body.version as string;
    await deploy(server, 'acme', 'parked', `export default async () => 'v2 ignores the checkpoint';`);

    const res = await retry(server, 'acme', id, { version: parkedVersion });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const done = await waitJob(server, 'acme', id, finished);
    assert.deepEqual([done.status, done.result], ['succeeded', 'resumed']);
  });

  it('a dead webhook delivery is replayed with its request after a fix', async () => {
    await deploy(server, 'acme', 'on-push', `export default async () => { throw new Error('handler bug'); };`);
    const hook = (await server.request('GET', '/v1/tenants/acme/functions/on-push/webhook')).body as { path: string };
    const delivered = await fetch(`${server.url}${hook.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-event': 'push' },
      body: JSON.stringify({ ref: 'main' }),
    });
    assert.equal(delivered.status, 202);
    const { jobId } = (await delivered.json()) as { jobId: string };
    assert.equal((await waitJob(server, 'acme', jobId, finished)).status, 'dead');
    await deploy(server, 'acme', 'on-push', `export default async (input) => ({ ref: input.body.ref, event: input.headers['x-event'] });`);

    assert.equal((await retry(server, 'acme', jobId)).status, 200);
    const done = await waitJob(server, 'acme', jobId, finished);
    assert.deepEqual([done.status, done.result], ['succeeded', { ref: 'main', event: 'push' }]);
  });

  it('refuses what cannot be retried, saying why, and changes nothing', async () => {
    const running = await submit(server, 'acme', 'hold', { idempotencyKey: 'refusals' });
    await waitJob(server, 'acme', running, (j) => j.status === 'running' && j.checkpointAt !== undefined);
    const busy = await retry(server, 'acme', running);
    assert.equal(busy.status, 409, JSON.stringify(busy.body));
    assert.equal(busy.body.error.code, 'JOB_NOT_RETRYABLE');
    assert.match(busy.body.error.message, /^job \S+ of tenant acme cannot be retried: it is running .*cancel it first/);
    await server.request('POST', `/v1/tenants/acme/jobs/${running}/cancel`);

    const ok = await submit(server, 'acme', 'count', { input: { n: 1, stepMs: 1 } });
    assert.equal((await waitJob(server, 'acme', ok, finished)).status, 'succeeded');
    const again = await retry(server, 'acme', ok);
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, /it succeeded; submit a new job to run its work again$/);

    const missing = await retry(server, 'acme', 'qi_missing');
    assert.deepEqual([missing.status, missing.body.error.code], [404, 'JOB_NOT_FOUND']);
    const noVersion = await retry(server, 'acme', running, { version: 'f'.repeat(64) });
    assert.deepEqual([noVersion.status, noVersion.body.error.code], [404, 'VERSION_NOT_FOUND']);
    const tooLong = await retry(server, 'acme', running, { deadlineMs: 600_001 });
    assert.deepEqual([tooLong.status, tooLong.body.error.code], [400, 'LIMIT_ABOVE_MAXIMUM']);
    const sliceTooLong = await retry(server, 'acme', running, { maxRunMs: 100 * 3_600_000 });
    assert.deepEqual([sliceTooLong.status, sliceTooLong.body.error.code], [400, 'LIMIT_ABOVE_MAXIMUM']);
    const unknownField = await retry(server, 'acme', running, { input: 1 });
    assert.deepEqual([unknownField.status, unknownField.body.error.code], [400, 'VALIDATION_FAILED']);
    assert.equal((await getJob(server, 'acme', running)).status, 'cancelled', 'a refused retry changes nothing');

    const key = (await server.request('POST', '/v1/tenants/globex/keys')).body.key as string;
    const foreign = await retry(server, 'acme', running, {}, key);
    assert.equal(foreign.status, 403, "another tenant's key cannot retry acme's job");
    const viaOwn = await retry(server, 'globex', running, {}, key);
    assert.deepEqual([viaOwn.status, viaOwn.body.error.code], [404, 'JOB_NOT_FOUND'], "acme's job id is not found under globex");
    assert.equal((await getJob(server, 'acme', running)).status, 'cancelled');

    const del = await server.request('DELETE', '/v1/tenants/acme/functions/hold');
    assert.equal(del.status, 204, JSON.stringify(del.body));
    const gone = await retry(server, 'acme', running);
    assert.deepEqual([gone.status, gone.body.error.code], [404, 'FUNCTION_NOT_FOUND'], 'a deleted function has nothing to run');
  });

  it('retries many dead jobs of a function at once, limit per call, saying whether more are left', async () => {
    await deploy(server, 'acme', 'burst', BUGGY);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await submit(server, 'acme', 'burst', { input: { n: i }, maxAttempts: 1 }));
    for (const id of ids) assert.equal((await waitJob(server, 'acme', id, finished)).status, 'dead');
    await deploy(server, 'acme', 'burst', FIXED);
    const first = await server.request('POST', '/v1/tenants/acme/jobs/retry', { function: 'burst', limit: 2 });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body, { retried: [ids[2], ids[1]], skipped: [], more: true }, 'newest first, two of three');
    const rest = await server.request('POST', '/v1/tenants/acme/jobs/retry', { function: 'burst' });
    assert.deepEqual(rest.body, { retried: [ids[0]], skipped: [], more: false });
    for (const [i, id] of ids.entries()) {
      const job = await waitJob(server, 'acme', id, finished);
      assert.deepEqual([job.status, job.result], ['succeeded', { resumedFrom: { pages: 2 }, input: { n: i }, v: 2 }], JSON.stringify(job));
    }
    const none = await server.request('POST', '/v1/tenants/acme/jobs/retry', { function: 'burst' });
    assert.deepEqual(none.body, { retried: [], skipped: [], more: false });
  });

  it('refuses many retries of an unknown function or version before any job changes, and a status that never ended', async () => {
    const unknown = await server.request('POST', '/v1/tenants/acme/jobs/retry', { function: 'nope' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'FUNCTION_NOT_FOUND');
    const version = await server.request('POST', '/v1/tenants/acme/jobs/retry', { function: 'count', version: '00000000' });
    assert.equal(version.body.error.code, 'VERSION_NOT_FOUND');
    const running = await server.request('POST', '/v1/tenants/acme/jobs/retry', { function: 'count', status: 'running' });
    assert.equal(running.status, 400);
    assert.match(running.body.error.message, /body\/status must be one of dead, failed, cancelled/);
  });
});

