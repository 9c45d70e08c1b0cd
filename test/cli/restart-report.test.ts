// What a server's start says after the server before it was killed (SIGKILL) in the middle of a
// job: the cgroups of the dead server's sandboxes it removed, the background work it found
// waiting (the job still marked running), and the lease it ended at once because that server
// is gone. Real server processes, real bwrap sandboxes and cgroups, real SQLite.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, startServerProcess } from '../support/process.js';
import type { ServerProcess } from '../support/process.js';
import { FAST_JOBS } from '../api/jobs-support.js';
import { until } from '../support/poll.js';

const STEPS = `export default async function (input, ctx) {
  let i = ctx.checkpoint.get() ?? 0;
  while (i < input.n) { await new Promise((r) => setTimeout(r, 20)); i++; await ctx.checkpoint.save(i); }
  return i;
}`;

describe('the start after a killed server', () => {
  it('says which cgroups it removed, what work it found waiting and which leases it ended', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-restart-'));
    // One cgroup root for both servers, as on a real host: the second sweeps what the first left.
    const env = { ...FAST_JOBS, AIRLOCK_DATA_DIR: dataDir, AIRLOCK_LOG_LEVEL: 'info', AIRLOCK_CGROUP_ROOT: `airlock-restart-${process.pid}` };
    let second: ServerProcess | undefined;
    try {
      const first = await startServerProcess(env);
      const key = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
      await apiCall(first.url, key, 'PUT', '/v1/tenants/acme/functions/steps', { code: STEPS });
      const { jobId } = await apiCall<{ jobId: string }>(first.url, key, 'POST', '/v1/tenants/acme/functions/steps/jobs', { input: { n: 100_000 } });
      type Job = { status: string; checkpoint?: number; lastError?: { code: string } };
      await until('the job to save a checkpoint', async () => {
        const job = await apiCall<Job>(first.url, key, 'GET', `/v1/tenants/acme/jobs/${jobId}`);
        return job.status === 'running' && (job.checkpoint ?? 0) > 0 ? job : undefined;
      });
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));

      second = await startServerProcess(env);
      const lines = (): string[] => second!.output().split('\n');
      const removed = await until('the cgroup line', async () => lines().find((l) => l.includes('"msg":"removed ')));
      assert.match(removed, /"removed":[1-9]\d*,"msg":"removed \d+ cgroups? of sandboxes a previous server left behind/);
      const waiting = lines().find((l) => l.includes('background work from before this start'));
      assert.ok(waiting !== undefined, second.output());
      assert.match(waiting, /"queued":0,"running":1,"msg":"background work from before this start: 0 jobs queued and 1 running/);
      await until('the ended lease', async () => lines().find((l) => l.includes('ended the leases of a server on this machine that is gone')));
      const job = await until('the job to run again', async () => {
        const j = await apiCall<Job>(second!.url, key, 'GET', `/v1/tenants/acme/jobs/${jobId}`);
        return j.lastError?.code === 'SERVER_GONE' ? j : undefined;
      });
      assert.ok((job.checkpoint ?? 0) > 0, 'the job keeps its checkpoint');
      await apiCall(second.url, key, 'POST', `/v1/tenants/acme/jobs/${jobId}/cancel`);
    } finally {
      await second?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
