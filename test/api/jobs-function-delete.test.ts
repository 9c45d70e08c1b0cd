// Deleting a function stops its jobs that are running (their sandboxes stopped, the jobs failed
// FUNCTION_NOT_FOUND, the runs recorded as FunctionDeleted) and fails its queued ones as they
// start, over real HTTP, real bwrap sandboxes and real SQLite. Before, a running slice went on
// (calling out, saving checkpoints) until its slice cap and ended `succeeded`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { ScheduleService } from '../../src/services/schedules/service.js';
import { SqliteQueue } from '../../src/store/sqlite/queue/store.js';
import { FAST_JOBS, finished, getJob, submit, waitJob } from './jobs-support.js';

// Saves a checkpoint every 50 ms for ever: a test sees it running, and sees it stop.
const ENDLESS = `export default async (input, ctx) => {
  let i = ctx.checkpoint.get()?.i ?? 0;
  for (;;) { await ctx.checkpoint.save({ i: ++i }); await new Promise((r) => setTimeout(r, 50)); }
};`;

interface RunRecord {
  jobId?: string;
  status: string;
  error?: { type: string; message: string };
}

describe('deleting a function with jobs', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ...FAST_JOBS, AIRLOCK_JOB_CONCURRENCY: '1', AIRLOCK_QUEUE_TENANT_CONCURRENCY: '1' });
  });
  after(() => server.close());

  it('stops the running job at once and fails it, and fails the queued one, both FUNCTION_NOT_FOUND', async () => {
    await deploy(server, 'acme', 'endless', ENDLESS);
    const running = await submit(server, 'acme', 'endless');
    const queued = await submit(server, 'acme', 'endless');
    await waitJob(server, 'acme', running, (job) => job.status === 'running' && job.checkpointAt !== undefined);

    const deleted = await server.request('DELETE', '/v1/tenants/acme/functions/endless');
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));

    for (const id of [running, queued]) {
      const job = await waitJob(server, 'acme', id, finished);
      assert.equal(job.status, 'failed', JSON.stringify(job));
      assert.equal(job.error?.code, 'FUNCTION_NOT_FOUND', JSON.stringify(job));
      assert.equal(job.attempts, 0, 'a deleted function is no failed attempt of the job');
    }
    assert.match((await getJob(server, 'acme', running)).error?.message ?? '', /was deleted while this job ran; deploy it again and retry the job/);

    // Its run is recorded as stopped by the deletion; the queued job never ran.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const list = await server.request('GET', `/v1/tenants/acme/executions?job=${running}`);
      const runs = list.body.executions as RunRecord[];
      if (runs.length > 0) {
        assert.deepEqual(runs.map((r) => [r.status, r.error?.type]), [['killed', 'FunctionDeleted']], JSON.stringify(runs));
        break;
      }
      if (Date.now() > deadline) assert.fail(`the stopped run was not recorded: ${JSON.stringify(list.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const queuedRuns = await server.request('GET', `/v1/tenants/acme/executions?job=${queued}`);
    assert.deepEqual(queuedRuns.body.executions, [], 'the queued job never reached a sandbox');

    // Deployed again under the same name, a retried job runs the new function.
    await deploy(server, 'acme', 'endless', 'export default async (input, ctx) => ({ resumedFrom: ctx.checkpoint.get()?.i ?? 0 });');
    const retried = await server.request('POST', `/v1/tenants/acme/jobs/${running}/retry`, {});
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    const again = await waitJob(server, 'acme', running, finished);
    assert.equal(again.status, 'succeeded', JSON.stringify(again));
    assert.ok((again.result as { resumedFrom: number }).resumedFrom >= 1, 'it resumed from the checkpoint saved before the deletion');
  });

  it("leaves alone the jobs of a function deployed again under the name while the delete is still answering", async () => {
    await deploy(server, 'acme', 'again', ENDLESS);
    const first = await submit(server, 'acme', 'again');
    await waitJob(server, 'acme', first, (job) => job.status === 'running' && job.checkpointAt !== undefined);
    // Hold the delete in its last step (its schedules' removal) until the name is in use again.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const original = ScheduleService.prototype.deleteForFunction;
    ScheduleService.prototype.deleteForFunction = async function (this: ScheduleService, tenant: string, fn: string) {
      const deleted = await original.call(this, tenant, fn);
      await gate;
      return deleted;
    };
    try {
      const deleting = server.request('DELETE', '/v1/tenants/acme/functions/again');
      assert.equal((await waitJob(server, 'acme', first, finished)).status, 'failed', 'the running job of the deleted function stopped');
      await deploy(server, 'acme', 'again', ENDLESS);
      const second = await submit(server, 'acme', 'again');
      const running = await waitJob(server, 'acme', second, (job) => job.status === 'running' && job.checkpointAt !== undefined);
      release();
      assert.equal((await deleting).status, 204);
      // The new function's job runs on: its checkpoint keeps moving after the delete answered.
      const at = (running as unknown as { checkpoint?: { i: number } }).checkpoint?.i ?? 0;
      const later = await waitJob(server, 'acme', second, (job) => ((job as unknown as { checkpoint?: { i: number } }).checkpoint?.i ?? 0) >= at + 5 || job.status !== 'running');
      assert.equal(later.status, 'running', JSON.stringify(later));
      await server.request('POST', `/v1/tenants/acme/jobs/${second}/cancel`);
    } finally {
      ScheduleService.prototype.deleteForFunction = original;
      release();
    }
  });

  it('completes a job whose run had answered before the delete stopped it: its result is kept', async () => {
    // The run answers at once, leaving a checkpoint save in flight; the slice settles only once
    // that save is done, and the save is held until the delete has stopped the slice.
    await deploy(server, 'acme', 'quick', "export default async (input, ctx) => { ctx.checkpoint.save({ last: true }); return 'done'; };");
    let saving!: () => void;
    const saveStarted = new Promise<void>((resolve) => (saving = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const original = SqliteQueue.prototype.saveCheckpoint;
    SqliteQueue.prototype.saveCheckpoint = async function (this: SqliteQueue, ...args: Parameters<SqliteQueue['saveCheckpoint']>) {
      saving();
      await gate;
      return original.apply(this, args);
    };
    try {
      const id = await submit(server, 'acme', 'quick');
      await saveStarted;
      // The run has answered once the job shows no run in progress while it is still running
      // (its slice waits for the held save before it settles).
      await waitJob(server, 'acme', id, (job) => job.status === 'running' && (job as { currentRun?: unknown }).currentRun === undefined);
      assert.equal((await server.request('DELETE', '/v1/tenants/acme/functions/quick')).status, 204);
      release();
      const job = await waitJob(server, 'acme', id, finished);
      assert.deepEqual([job.status, job.result], ['succeeded', 'done'], JSON.stringify(job));
    } finally {
      SqliteQueue.prototype.saveCheckpoint = original;
      release();
    }
  });
});
