// Jobs end to end over real HTTP, real bwrap sandboxes and real SQLite: submit → succeeded with
// the result and an execution record linked to the job; idempotency; a counting job resumes from
// its checkpoint across slice caps (runs > 1, no attempt counted); a failed attempt says where it
// was thrown; a crash is an attempt, retried,
// then dead with the last error; cancel of queued and running jobs (the running sandbox is
// stopped); tenant keys reach only their tenant; listing by function and status.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { COUNTER, FAST_JOBS, finished, getJob, submit, waitJob } from './jobs-support.js';

// Saves a checkpoint first, so a test knows the function is running inside its sandbox.
const SLEEPER = `export default async (input, ctx) => {
  await ctx.checkpoint.save({ started: true });
  await new Promise((r) => setTimeout(r, input.ms));
  return 'slept';
};`;

describe('jobs API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ...FAST_JOBS, AIRLOCK_JOB_CONCURRENCY: '2', AIRLOCK_QUEUE_TENANT_CONCURRENCY: '2' });
    await deploy(server, 'acme', 'double', `export default async (input) => ({ doubled: input.x * 2 });`);
    await deploy(server, 'acme', 'count', COUNTER);
    await deploy(server, 'acme', 'crash', `export default async () => { process.exit(3); };`);
    await deploy(server, 'acme', 'sleep', SLEEPER);
    await deploy(server, 'acme', 'spin', 'export default async (input) => { await new Promise((r) => setTimeout(r, input.ms)); return 1; };');
  });
  after(() => server.close());

  it('runs a submitted job to succeeded with its result, recorded as an execution of the job', async () => {
    const id = await submit(server, 'acme', 'double', { input: { x: 21 } });
    const job = await waitJob(server, 'acme', id, finished);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.deepEqual(job.result, { doubled: 42 });
    assert.deepEqual([job.attempts, job.runs], [0, 1]);
    const list = await server.request('GET', '/v1/tenants/acme/executions?function=double');
    const runs = (list.body.executions as { jobId?: string; status: string; result: unknown }[]).filter((e) => e.jobId === id);
    assert.equal(runs.length, 1, JSON.stringify(list.body));
    assert.equal(runs[0]!.status, 'succeeded');
    assert.deepEqual(runs[0]!.result, { doubled: 42 });
    // When it started (its wait in the queue: startedAt - createdAt) and ended, as its slice did.
    const run = runs[0] as unknown as { startedAt: string; finishedAt: string };
    assert.ok(job.startedAt !== undefined && job.finishedAt !== undefined, JSON.stringify(job));
    assert.ok(job.createdAt <= job.startedAt && job.startedAt <= run.startedAt && run.finishedAt <= job.finishedAt, JSON.stringify({ job, run }));
    // Its wait for a worker is in the job queue wait histogram.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const waits = /^airlock_job_queue_wait_seconds_count\{lane="background"\} (\d+)$/m.exec(metrics);
    assert.ok(waits !== null && Number(waits[1]) >= 1, metrics);
  });

  it('a job read on its own shows what it was submitted with; a listed one does not', async () => {
    const before = Date.now();
    const id = await submit(server, 'acme', 'double', { input: { x: 4 }, maxRunMs: 5000, deadlineMs: 60_000 });
    const one = await server.request('GET', `/v1/tenants/acme/jobs/${id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.input, { x: 4 });
    assert.equal(one.body.maxRunMs, 5000);
    assert.match(one.body.version, /^[0-9a-f]{64}$/);
    const deadline = Date.parse(one.body.deadlineAt);
    assert.ok(deadline >= before + 60_000 && deadline <= Date.now() + 60_000, one.body.deadlineAt);
    const listed = await server.request('GET', '/v1/tenants/acme/jobs?function=double&limit=1');
    assert.equal(listed.body.jobs[0].id, id);
    assert.equal(listed.body.jobs[0].input, undefined, 'pages leave inputs out (each may be megabytes)');
  });

  it("a job read on its own shows its last checkpoint (its progress); a listed one does not", async () => {
    const id = await submit(server, 'acme', 'count', { input: { n: 3, stepMs: 1 } });
    const done = await waitJob(server, 'acme', id, finished);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    const one = await server.request('GET', `/v1/tenants/acme/jobs/${id}`);
    assert.deepEqual(one.body.checkpoint, { i: 3, sum: 6, resumed: 1 });
    const listed = await server.request('GET', `/v1/tenants/acme/jobs?function=count&limit=1`);
    assert.equal(listed.body.jobs[0].id, id);
    assert.equal(listed.body.jobs[0].checkpoint, undefined, 'pages leave checkpoints out');
  });

  it('the same idempotency key returns the same job and runs it once', async () => {
    const a = await submit(server, 'acme', 'double', { input: { x: 1, tags: { a: 1, b: 2 } }, idempotencyKey: 'order-17' });
    const b = await submit(server, 'acme', 'double', { input: { x: 1, tags: { a: 1, b: 2 } }, idempotencyKey: 'order-17' });
    assert.equal(b, a);
    // The same value with its keys in another order is the same input.
    const reordered = await server.request('POST', '/v1/tenants/acme/functions/double/jobs', { idempotencyKey: 'order-17', input: { tags: { b: 2, a: 1 }, x: 1 } });
    assert.deepEqual([reordered.status, reordered.body], [202, { jobId: a, created: false }]);
    // Another input under the same key is new work the key would hide: refused, naming the job.
    const changed = await server.request('POST', '/v1/tenants/acme/functions/double/jobs', { input: { x: 2, tags: { a: 1, b: 2 } }, idempotencyKey: 'order-17' });
    assert.equal(changed.status, 409, JSON.stringify(changed.body));
    assert.equal(changed.body.error.code, 'IDEMPOTENCY_CONFLICT');
    assert.equal(
      changed.body.error.message,
      `idempotency key "order-17" already names job ${a}, submitted with another input; a retried submission must send the same input as the first, so use a new key for new work`,
    );
    assert.equal(changed.body.error.jobId, a);
    const noInput = await server.request('POST', '/v1/tenants/acme/functions/double/jobs', { idempotencyKey: 'order-17' });
    assert.equal(noInput.status, 409, 'no input is input null, not the first input');
    // The same key for another function is a mistake, not a retry: refused, naming the job it names.
    const other = await server.request('POST', '/v1/tenants/acme/functions/count/jobs', { input: { n: 1, stepMs: 1 }, idempotencyKey: 'order-17' });
    assert.equal(other.status, 409, JSON.stringify(other.body));
    assert.equal(other.body.error.code, 'IDEMPOTENCY_CONFLICT');
    assert.equal(other.body.error.message, `idempotency key "order-17" already names job ${a} of function double (keys are per tenant); use another key for count`);
    assert.equal(other.body.error.jobId, a);
    const job = await waitJob(server, 'acme', a, finished);
    assert.deepEqual(job.result, { doubled: 2 });
    const listed = await server.request('GET', '/v1/tenants/acme/jobs?function=double');
    assert.equal((listed.body.jobs as { id: string }[]).filter((j) => j.id === a).length, 1);
    // The job a key names, looked up without submitting anything; another tenant's key finds nothing.
    const byKey = await server.request('GET', '/v1/tenants/acme/jobs?idempotencyKey=order-17');
    assert.deepEqual([byKey.status, (byKey.body.jobs as { id: string }[]).map((j) => j.id)], [200, [a]]);
    assert.deepEqual((await server.request('GET', '/v1/tenants/globex/jobs?idempotencyKey=order-17')).body.jobs, []);
    const bad = await server.request('GET', '/v1/tenants/acme/jobs?idempotencyKey=');
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
  });

  it('a job longer than its slice cap continues from its checkpoint in new slices, without using attempts', async () => {
    const n = 12;
    const id = await submit(server, 'acme', 'count', { input: { n, stepMs: 60 }, maxRunMs: 300, maxAttempts: 1 });
    const job = await waitJob(server, 'acme', id, finished, 60_000);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.equal((job.result as { sum: number }).sum, (n * (n + 1)) / 2, 'every step counted exactly once');
    assert.ok(job.runs > 1, `the job needed several slices (runs ${job.runs})`);
    assert.equal(job.attempts, 0, 'slice caps are continuations, not failed attempts');
    assert.ok(job.checkpointAt !== undefined);
    const list = await server.request('GET', '/v1/tenants/acme/executions?function=count&limit=100');
    const statuses = (list.body.executions as { jobId?: string; status: string; error?: { type: string } }[])
      .filter((e) => e.jobId === id)
      .map((e) => `${e.status}${e.error === undefined ? '' : `:${e.error.type}`}`);
    assert.ok(statuses.includes('timeout:SliceCapReached'), statuses.join());
    assert.equal(statuses.filter((s) => s === 'succeeded').length, 1);
    // The job's runs on their own: exactly its slices, newest first.
    const runs = await server.request('GET', `/v1/tenants/acme/executions?job=${id}`);
    assert.equal(runs.status, 200);
    const mine = runs.body.executions as { jobId?: string; status: string }[];
    assert.equal(mine.length, job.runs);
    assert.ok(mine.every((e) => e.jobId === id));
    assert.equal(mine[0]?.status, 'succeeded', 'the last slice is listed first');
  });

  it('a job that never saves a checkpoint and never fits in a slice ends dead (NO_PROGRESS), not running until its deadline', async () => {
    // Each slice of 100 ms starts over from nothing: it can never finish.
    const id = await submit(server, 'acme', 'spin', { input: { ms: 5_000 }, maxRunMs: 100, maxAttempts: 2 });
    const job = await waitJob(server, 'acme', id, finished, 30_000);
    assert.equal(job.status, 'dead', JSON.stringify(job));
    assert.equal(job.error?.code, 'NO_PROGRESS');
    assert.match(job.error?.message ?? '', /^the last 3 slices of this job \(maxRunMs 100 ms each\) reached their cap without saving a checkpoint.*ctx\.checkpoint\.save/);
    // A short function run as a job that hung each time is told what that means too.
    assert.match(job.error?.message ?? '', /a short one run as a job\) hung each time: look at its logs, and submit such functions with a maxRunMs near/);
    assert.equal(job.attempts, 2);
    // Three runs in a row forgiven, then one failed attempt per run: 3 + maxAttempts runs, whatever the machine's speed.
    assert.equal(job.runs, 5);
    const list = await server.request('GET', `/v1/tenants/acme/executions?function=spin&limit=100`);
    const cut = (list.body.executions as { jobId?: string; error?: { type: string; message: string } }[]).filter((e) => e.jobId === id);
    assert.ok(cut.every((e) => e.error?.type === 'SliceCapReached' && /without saving a checkpoint/.test(e.error.message)), JSON.stringify(cut));
  });

  it('takes an input as large as the function takes by invoke (the job fields come on top)', async () => {
    // The default inputBytes is 5.5 MiB: an input of exactly that much JSON.
    const input = 'x'.repeat(5 * 1024 * 1024 + 512 * 1024 - 2);
    assert.equal(JSON.stringify(input).length, 5_767_168);
    const over = await server.request('POST', '/v1/tenants/acme/functions/double/jobs', { input: input + 'x' });
    assert.equal(over.status, 413, 'one byte more is refused');
    assert.match(over.body.error.message, /input/);
    const id = await submit(server, 'acme', 'double', { input });
    assert.ok(id.startsWith('qi_'));
    await server.request('POST', `/v1/tenants/acme/jobs/${id}/cancel`);
  });

  it('a job that recovers from a failed attempt shows it as lastError (with where it was thrown), never as error', async () => {
    const code = `export default async (input, ctx) => {
      if ((ctx.checkpoint.get() ?? 0) === 0) { await ctx.checkpoint.save(1); throw new Error('first try fails'); }
      return 'second try';
    };`;
    await deploy(server, 'acme', 'flaky', code);
    const id = await submit(server, 'acme', 'flaky', { maxAttempts: 3 });
    const job = await waitJob(server, 'acme', id, finished);
    assert.deepEqual([job.status, job.result, job.attempts], ['succeeded', 'second try', 1], JSON.stringify(job));
    assert.equal(job.error, undefined, 'a succeeded job has no error');
    const last = (job as unknown as { lastError?: { code: string; message: string } }).lastError;
    assert.equal(last?.code, 'FUNCTION_FAILED');
    // Where it was thrown, from the stack's first frame: line and column without reading the execution.
    assert.match(last?.message ?? '', /^Error: first try fails, at default \(file:\/\/\/fn\/flaky\.[0-9a-f]{12}\.mjs:2:\d+\)$/);
    const listed = await server.request('GET', '/v1/tenants/acme/jobs?function=flaky');
    assert.deepEqual(
      (listed.body.jobs as Record<string, unknown>[]).map((j) => [j.status, j.error, (j.lastError as { code: string } | undefined)?.code]),
      [['succeeded', undefined, 'FUNCTION_FAILED']],
    );
  });

  it('a crash is a failed attempt, retried with backoff, then dead with the last error', async () => {
    const id = await submit(server, 'acme', 'crash', { maxAttempts: 2 });
    const job = await waitJob(server, 'acme', id, finished);
    assert.equal(job.status, 'dead', JSON.stringify(job));
    assert.deepEqual([job.attempts, job.runs], [2, 2]);
    assert.equal(job.error?.code, 'SANDBOX_CRASHED');
    assert.match(job.error?.message ?? '', /exit code 3/);
    assert.equal(job.result, undefined);
  });

  it('cancels a queued job (it never runs) and a running one (its sandbox is stopped)', async () => {
    // Fill both worker slots with long sleepers, so a third job stays queued.
    const running = [await submit(server, 'acme', 'sleep', { input: { ms: 120_000 } }), await submit(server, 'acme', 'sleep', { input: { ms: 120_000 } })];
    for (const id of running) await waitJob(server, 'acme', id, (j) => j.status === 'running' && j.checkpointAt !== undefined);
    const queued = await submit(server, 'acme', 'double', { input: { x: 5 } });
    const waiting = (await server.request('GET', `/v1/tenants/acme/jobs/${queued}`)).body;
    assert.equal(waiting.status, 'queued');
    assert.equal(waiting.readyAt, waiting.createdAt, 'a queued job says when it may run (no backoff: at once)');
    assert.equal((await server.request('GET', `/v1/tenants/acme/jobs/${running[0]}`)).body.readyAt, undefined, 'a running one does not');
    const cancelQueued = await server.request('POST', `/v1/tenants/acme/jobs/${queued}/cancel`);
    assert.equal(cancelQueued.status, 200);
    assert.equal(cancelQueued.body.status, 'cancelled');
    assert.deepEqual(cancelQueued.body.input, { x: 5 }, 'the answer is the whole job, as GET shows it');
    assert.equal(cancelQueued.body.readyAt, undefined);
    assert.equal(cancelQueued.body.runs, 0, 'it never ran');
    assert.equal(cancelQueued.body.startedAt, undefined, 'a job that never ran has no start');
    assert.ok(cancelQueued.body.finishedAt >= cancelQueued.body.createdAt, JSON.stringify(cancelQueued.body));

    for (const id of running) {
      const res = await server.request('POST', `/v1/tenants/acme/jobs/${id}/cancel`);
      assert.equal(res.body.status, 'cancelled');
    }
    // The stopped slices are recorded (killed by the host) long before the functions would end.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const list = await server.request('GET', '/v1/tenants/acme/executions?function=sleep&limit=100');
      const killed = (list.body.executions as { jobId?: string; status: string; error?: { type: string } }[]).filter(
        (e) => e.jobId !== undefined && running.includes(e.jobId) && e.status === 'killed' && e.error?.type === 'JobCancelled',
      );
      if (killed.length === running.length) break;
      if (Date.now() > deadline) assert.fail(`running jobs' sandboxes were not stopped: ${JSON.stringify(list.body.executions)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    for (const id of [...running, queued]) assert.equal((await getJob(server, 'acme', id)).status, 'cancelled');
    const again = await server.request('POST', `/v1/tenants/acme/jobs/${queued}/cancel`);
    assert.equal(again.body.status, 'cancelled', 'cancelling a finished job returns it unchanged');
  });

  it('lists jobs newest first, by function and status, paged', async () => {
    const ids = [];
    for (let x = 0; x < 3; x++) ids.push(await submit(server, 'acme', 'double', { input: { x } }));
    for (const id of ids) await waitJob(server, 'acme', id, finished);
    const page1 = await server.request('GET', '/v1/tenants/acme/jobs?function=double&status=succeeded&limit=2');
    assert.equal(page1.status, 200);
    const page2 = await server.request('GET', `/v1/tenants/acme/jobs?function=double&status=succeeded&limit=2&before=${page1.body.next}`);
    const seen = [...page1.body.jobs, ...page2.body.jobs].map((j: { id: string }) => j.id);
    assert.deepEqual(seen.slice(0, 3), [...ids].reverse());
    const bad = await server.request('GET', '/v1/tenants/acme/jobs?status=sleeping');
    assert.equal(bad.status, 400);
    // A cursor that names no job of the tenant is refused, not read as "from the start".
    for (const cursor of ['garbage', 'qi_0']) {
      const unknown = await server.request('GET', `/v1/tenants/acme/jobs?limit=2&before=${cursor}`);
      assert.equal(unknown.status, 400, JSON.stringify(unknown.body));
      assert.equal(unknown.body.error.code, 'VALIDATION_FAILED');
      assert.match(unknown.body.error.message, new RegExp(`^before=${cursor} names no job of tenant acme; pass the "next" value`));
    }
  });

  it('tenant keys reach only their own tenant\'s jobs; unknown functions and jobs are 404', async () => {
    await deploy(server, 'globex', 'double', `export default async (input) => input;`);
    const globexJob = await submit(server, 'globex', 'double', { input: 1 });
    const key = (await server.request('POST', '/v1/tenants/acme/keys')).body.key as string;
    const tries: [string, string][] = [
      ['POST', '/v1/tenants/globex/functions/double/jobs'],
      ['GET', `/v1/tenants/globex/jobs/${globexJob}`],
      ['GET', '/v1/tenants/globex/jobs'],
      ['POST', `/v1/tenants/globex/jobs/${globexJob}/cancel`],
    ];
    for (const [method, path] of tries) {
      const res = await server.request(method, path, method === 'POST' ? {} : undefined, key);
      assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    const viaOwnTenant = await server.request('GET', `/v1/tenants/acme/jobs/${globexJob}`, undefined, key);
    assert.equal(viaOwnTenant.status, 404, 'another tenant\'s job id is not found under this tenant');
    assert.equal(viaOwnTenant.body.error.code, 'JOB_NOT_FOUND');
    assert.equal(viaOwnTenant.body.error.message, `no job ${globexJob} for tenant acme; list them with \`airlock jobs list acme\` (GET /v1/tenants/acme/jobs)`);
    const noFn = await server.request('POST', '/v1/tenants/acme/functions/missing/jobs', {}, key);
    assert.equal(noFn.status, 404);
    assert.equal((await waitJob(server, 'globex', globexJob, finished)).status, 'succeeded');
  });

  it('every slice runs the version that was latest at submission, even after a redeploy', async () => {
    const v1 = `export default async (input, ctx) => {
      if (ctx.checkpoint.get() === undefined) { await ctx.checkpoint.save({ first: true }); await new Promise(() => {}); }
      return 'v1';
    };`;
    await deploy(server, 'acme', 'pinned', v1);
    const id = await submit(server, 'acme', 'pinned', { maxRunMs: 1500 });
    await waitJob(server, 'acme', id, (j) => j.checkpointAt !== undefined);
    const redeploy = await server.request('PUT', '/v1/tenants/acme/functions/pinned', { code: `export default async () => 'v2';` });
    assert.equal(redeploy.status, 201, JSON.stringify(redeploy.body));
    const job = await waitJob(server, 'acme', id, finished);
    assert.deepEqual([job.status, job.result], ['succeeded', 'v1']);
    const list = await server.request('GET', '/v1/tenants/acme/executions?function=pinned');
    const last = (list.body.executions as { jobId?: string; status: string; startedAt: string }[]).find(
      (e) => e.jobId === id && e.status === 'succeeded',
    );
    assert.ok(last !== undefined && last.startedAt > redeploy.body.createdAt, 'the last slice started after the redeploy');
  });

  it('refuses an idempotency key with control characters', async () => {
    for (const key of ['order\u000017', 'line\nbreak', 'del\u007f']) {
      const res = await server.request('POST', '/v1/tenants/acme/functions/double/jobs', { input: { x: 1 }, idempotencyKey: key });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      assert.match(res.body.error.message, /^invalid request: body\/idempotencyKey does not follow its rule: .*no control characters/);
    }
  });

  it('refuses slice caps above the operator maximum', async () => {
    const res = await server.request('POST', '/v1/tenants/acme/functions/double/jobs', { maxRunMs: 10 * 3_600_000 });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'LIMIT_ABOVE_MAXIMUM');
  });
});
