// Jobs across server lifecycles and under load: a server stopped while a job runs queues the
// job again as a continuation and a new server on the same data dir resumes it from its last
// checkpoint; a slice that ends within the grace period completes its job; jobs filling the worker never starve invocations; a job past its total deadline
// fails with JOB_DEADLINE.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { SQLITE_FILE } from '../../src/store/index.js';
import { SqliteQueue } from '../../src/store/sqlite/queue/store.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import { COUNTER, FAST_JOBS, finished, submit, waitJob } from './jobs-support.js';

describe('jobs across restarts and under load', () => {
  it('a job running when the server stops resumes from its checkpoint on a new server (same data dir)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-jobs-restart-'));
    const env = { ...FAST_JOBS, AIRLOCK_DATA_DIR: dataDir, AIRLOCK_SHUTDOWN_GRACE_MS: '0' };
    try {
      const first = await startTestServer(env);
      const n = 25;
      let id: string;
      try {
        await deploy(first, 'acme', 'count', COUNTER);
        id = await submit(first, 'acme', 'count', { input: { n, stepMs: 40 }, maxAttempts: 1 });
        // Some progress is saved, then the server stops with the job mid-run.
        await waitJob(first, 'acme', id, (j) => j.checkpointAt !== undefined);
      } finally {
        await first.airlock.stop();
      }
      const second = await startTestServer(env);
      try {
        const job = await waitJob(second, 'acme', id, finished, 60_000);
        assert.equal(job.status, 'succeeded', JSON.stringify(job));
        const result = job.result as { sum: number; starts: number };
        assert.equal(result.sum, (n * (n + 1)) / 2, 'no step lost or counted twice');
        assert.ok(result.starts >= 2, `the second server started from the checkpoint (starts ${result.starts})`);
        assert.equal(job.attempts, 0, 'a shutdown is not a failed attempt');
        assert.ok(job.runs >= 2);
      } finally {
        await second.airlock.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a slice that finishes within the shutdown grace period completes its job before the server stops', async () => {
    const server = await startTestServer({ ...FAST_JOBS, AIRLOCK_SHUTDOWN_GRACE_MS: '20000' });
    const file = join(server.dataDir, SQLITE_FILE);
    let stopped = false;
    try {
      await deploy(server, 'acme', 'brief', `export default async (input, ctx) => {
        await ctx.checkpoint.save({ started: true });
        await new Promise((r) => setTimeout(r, 500));
        return 'finished in the grace period';
      };`);
      const id = await submit(server, 'acme', 'brief');
      await waitJob(server, 'acme', id, (j) => j.checkpointAt !== undefined);
      await server.airlock.stop();
      stopped = true;
      const config = loadConfig({ AIRLOCK_DATA_DIR: server.dataDir });
      const queue = new SqliteQueue(file, { policy: config.queue });
      try {
        await queue.migrate();
        const item = await queue.get('acme', id);
        assert.deepEqual([item?.status, item?.result, item?.runs, item?.attempts], ['succeeded', 'finished in the grace period', 1, 0]);
      } finally {
        await queue.close();
      }
    } finally {
      if (!stopped) await server.airlock.stop();
      rmSync(server.dataDir, { recursive: true, force: true });
    }
  });

  it('invocations still answer while jobs fill every job slot and many more wait', async () => {
    // 4 admission slots: the worker may take at most 3, so one always stays for invocations.
    const server = await startTestServer({ ...FAST_JOBS, AIRLOCK_CONCURRENCY: '4', AIRLOCK_QUEUE_TENANT_CONCURRENCY: '8' });
    try {
      await deploy(server, 'acme', 'hold', `export default async (input, ctx) => {
        await ctx.checkpoint.save({ started: true });
        await new Promise((r) => setTimeout(r, 120000));
      };`);
      await deploy(server, 'acme', 'ping', `export default async () => 'pong';`);
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push(await submit(server, 'acme', 'hold'));
      const deadline = Date.now() + 30_000;
      let started = 0;
      while (started < 3) {
        const list = await server.request('GET', '/v1/tenants/acme/jobs?function=hold&status=running&limit=100');
        started = (list.body.jobs as { checkpointAt?: string }[]).filter((j) => j.checkpointAt !== undefined).length;
        if (Date.now() > deadline) assert.fail(`only ${started} jobs started`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const queued = await server.request('GET', '/v1/tenants/acme/jobs?function=hold&status=queued&limit=100');
      assert.ok(queued.body.jobs.length >= 10, 'many jobs are still waiting');
      for (let i = 0; i < 5; i++) {
        const res = await invoke(server, 'acme', 'ping', null);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.result, 'pong');
      }
      const running = await server.request('GET', '/v1/tenants/acme/jobs?function=hold&status=running&limit=100');
      assert.equal(running.body.jobs.length, 3, 'the worker never runs more jobs than its share');
      for (const id of ids) await server.request('POST', `/v1/tenants/acme/jobs/${id}/cancel`);
    } finally {
      await server.close();
    }
  });

  it('a job past its total deadline fails with JOB_DEADLINE instead of running again', async () => {
    const server = await startTestServer(FAST_JOBS);
    try {
      await deploy(server, 'acme', 'count', COUNTER);
      // Slices of 1000 ms, but only 2000 ms in total for 100 steps of 50 ms: the second slice
      // starts well before the deadline and is cut by it, not by its own cap.
      const id = await submit(server, 'acme', 'count', { input: { n: 100, stepMs: 50 }, maxRunMs: 1000, deadlineMs: 2000 });
      const job = await waitJob(server, 'acme', id, finished);
      assert.equal(job.status, 'failed', JSON.stringify(job));
      assert.equal(job.error?.code, 'JOB_DEADLINE');
      assert.match(
        job.error?.message ?? '',
        /^the job did not finish by its deadline \(\S+, 2000 ms after it was submitted\): it needs more time than that; retry it with a longer deadlineMs/,
      );
      assert.doesNotMatch(job.error?.message ?? '', /checkpoint/, 'saving checkpoints more often would not have helped');
      assert.equal(job.attempts, 0, 'the deadline ends the job without counting a failed attempt (none failed)');
      assert.ok(job.checkpointAt !== undefined, 'its progress is kept for inspection');
      // The last slice was cut by the deadline, not by maxRunMs, and its record says so.
      const list = await server.request('GET', '/v1/tenants/acme/executions?function=count&limit=100');
      const errors = (list.body.executions as { jobId?: string; error?: { type: string; message: string } }[])
        .filter((e) => e.jobId === id)
        .map((e) => e.error);
      const last = errors.find((e) => e?.type === 'JobDeadlineReached');
      assert.ok(last, JSON.stringify(errors));
      assert.match(last.message, /^the run reached the job's deadline after \d+ ms; the job ends failed with JOB_DEADLINE$/);
    } finally {
      await server.close();
    }
  });

  it("JOB_DEADLINE names the error of the job's last failed attempt", async () => {
    const server = await startTestServer(FAST_JOBS);
    try {
      await deploy(server, 'acme', 'boom', 'export default async () => { await new Promise((r) => setTimeout(r, 150)); throw new Error("boom"); };');
      // Retries keep failing until the 600 ms deadline passes between two of them.
      const id = await submit(server, 'acme', 'boom', { deadlineMs: 600, maxAttempts: 50 });
      const job = await waitJob(server, 'acme', id, finished);
      assert.equal(job.status, 'failed', JSON.stringify(job));
      assert.equal(job.error?.code, 'JOB_DEADLINE');
      assert.match(job.error?.message ?? '', /its last attempt failed with FUNCTION_FAILED: Error: boom, at default \(file:\/\/\/fn\/boom\.[0-9a-f]{12}\.mjs:1:\d+\)$/);
    } finally {
      await server.close();
    }
  });
});
