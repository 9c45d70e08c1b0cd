// Fencing of job checkpoints: a running job whose lease was taken over (it expired and another
// worker claimed the job, with a newer fencing token) can no longer save a checkpoint: the save
// rejects with LEASE_LOST inside the sandbox and the stored checkpoint does not change, nor can
// that run complete the job. The "other worker" is a second queue handle on the server's
// database whose clock runs ahead, so the server's lease has expired for it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { SQLITE_FILE } from '../../src/store/index.js';
import { SqliteQueue } from '../../src/store/sqlite/queue/store.js';
import { deploy, startTestServer } from '../support/server.js';
import { FAST_JOBS, submit, waitJob } from '../api/jobs-support.js';

// Saves step after step (at most 200, one every 25 ms) until a save is refused.
const SAVER = `export default async (input, ctx) => {
  for (let step = 1; step <= 200; step++) {
    try { await ctx.checkpoint.save({ step }); } catch (err) { return { refusedAt: step, code: err.code }; }
    await new Promise((r) => setTimeout(r, 25));
  }
  return 'never refused';
};`;

describe('job checkpoint fencing', () => {
  it('a run whose lease was taken over cannot save a checkpoint or complete the job', async () => {
    const server = await startTestServer(FAST_JOBS);
    const config = loadConfig({ ...FAST_JOBS, AIRLOCK_DATA_DIR: server.dataDir });
    let skew = 0;
    const other = new SqliteQueue(join(server.dataDir, SQLITE_FILE), { policy: config.queue, now: () => Date.now() + skew });
    try {
      await other.migrate();
      await deploy(server, 'acme', 'saver', SAVER);
      const id = await submit(server, 'acme', 'saver', { maxAttempts: 3 });
      await waitJob(server, 'acme', id, (j) => j.checkpointAt !== undefined);
      const before = await other.get('acme', id);
      assert.equal(before?.fence, 1);

      // For the other handle the server's lease has expired: its claim counts that as a crash,
      // and once the backoff is over (later still on its clock) it claims the job itself.
      skew = config.queue.leaseMs + 1_000;
      assert.deepEqual(await other.claim({ owner: 'other', max: 1 }), []);
      skew += config.queue.backoffMaxMs + 1_000;
      const [taken] = await other.claim({ owner: 'other', max: 1 });
      assert.ok(taken, 'the other worker took the job over');
      assert.equal(taken.lease.fence, 2);
      const checkpointAtTakeover = (await other.get('acme', id))?.checkpoint;

      // The server's run is refused at its next save and ends; nothing it did after counts. Its
      // record is first the lost run's placeholder the takeover wrote (killed, LeaseExpired), then
      // the run's own record once it ends, under the same id.
      const deadline = Date.now() + 20_000;
      let record: { status: string; error?: { type: string }; result: { refusedAt: number; code: string } } | undefined;
      const seen = new Set<string>();
      while (record === undefined || record.status === 'killed') {
        const list = await server.request('GET', '/v1/tenants/acme/executions?function=saver');
        record = (list.body.executions as { jobId?: string; status: string; error?: { type: string }; result: { refusedAt: number; code: string } }[]).find(
          (e) => e.jobId === id,
        );
        if (record !== undefined) seen.add(`${record.status}${record.error === undefined ? '' : `:${record.error.type}`}`);
        if (Date.now() > deadline) assert.fail(`the server's run did not end: ${JSON.stringify(record)}`);
        if (record === undefined || record.status === 'killed') await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.ok([...seen].every((s) => s === 'killed:LeaseExpired' || s === 'succeeded'), [...seen].join(', '));
      assert.equal(record.status, 'succeeded');
      assert.equal(record.result.code, 'LEASE_LOST');
      const after = await other.get('acme', id);
      assert.deepEqual(after?.checkpoint, checkpointAtTakeover, 'the refused save changed nothing');
      assert.deepEqual([after?.status, after?.fence, after?.leaseOwner], ['running', 2, 'other'], 'the run could not complete the job');
      assert.equal(after?.result, undefined);

      // The current holder still can.
      await other.saveCheckpoint(taken.lease, { step: 'other' });
      await other.complete(taken.lease, 'done by the other worker');
      const job = await waitJob(server, 'acme', id, (j) => j.status === 'succeeded');
      assert.equal(job.result, 'done by the other worker');
      assert.equal(job.attempts, 1, 'the expired lease was one crashed attempt');
    } finally {
      await other.close();
      await server.close();
    }
  });
});
