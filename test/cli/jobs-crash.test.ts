// A real server process killed with SIGKILL in the middle of a checkpointed job: a new server on
// the same data dir finds the job's lease expired, counts that one crashed attempt, and resumes
// the job from its last checkpoint to the right result; no sandbox of the killed server survives.
// A server restarted on the same machine does not wait for the dead one's leases to run out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, apiCall, descendants, startServerProcess } from '../support/process.js';
import { COUNTER, FAST_JOBS } from '../api/jobs-support.js';
import type { JobBody } from '../api/jobs-support.js';

async function waitFor(url: string, key: string, id: string, done: (job: JobBody) => boolean, timeoutMs: number): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await apiCall<JobBody>(url, key, 'GET', `/v1/tenants/acme/jobs/${id}`);
    if (done(job)) return job;
    if (Date.now() > deadline) assert.fail(`job did not reach the expected state; last: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Runs the counting job to n on a server process, SIGKILLs that server once the job saved a
 * checkpoint, starts a second server on the same data (and cgroup root), and answers the job as
 * it ended there, with the pids the first server's sandboxes had.
 */
interface RunBody {
  id: string;
  status: string;
  error?: { type: string; message: string };
  startedAt: string;
  finishedAt: string;
}

async function jobAcrossKill(name: string, leaseMs: number, n: number): Promise<{ job: JobBody; runs: RunBody[]; sandboxes: number[]; killedPid: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-jobs-kill-'));
  // One cgroup root for both servers: the second sweeps the groups the killed one left behind.
  const env = { ...FAST_JOBS, AIRLOCK_DATA_DIR: dataDir, AIRLOCK_QUEUE_LEASE_MS: String(leaseMs), AIRLOCK_CGROUP_ROOT: `airlock-${name}-${process.pid}` };
  try {
    const first = await startServerProcess(env);
    const key = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
    let id: string;
    let sandboxes: number[];
    try {
      await apiCall(first.url, key, 'PUT', '/v1/tenants/acme/functions/count', { code: COUNTER });
      ({ jobId: id } = await apiCall<{ jobId: string }>(first.url, key, 'POST', '/v1/tenants/acme/functions/count/jobs', {
        input: { n, stepMs: 50 }, maxAttempts: 3,
      }));
      await waitFor(first.url, key, id, (j) => j.checkpointAt !== undefined, 20_000);
      sandboxes = descendants(first.child.pid!);
    } finally {
      const exited = new Promise((resolve) => first.child.once('exit', resolve));
      first.child.kill('SIGKILL');
      await exited;
    }
    const second = await startServerProcess(env);
    try {
      const job = await waitFor(second.url, key, id, (j) => ['succeeded', 'failed', 'dead', 'cancelled'].includes(j.status), 60_000);
      const { executions: runs } = await apiCall<{ executions: RunBody[] }>(second.url, key, 'GET', `/v1/tenants/acme/executions?job=${id}&limit=100`);
      return { job, runs, sandboxes, killedPid: first.child.pid! };
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('jobs survive a killed server', () => {
  it('a job whose server was SIGKILLed resumes from its checkpoint on the next server, one attempt counted', async () => {
    const n = 40;
    const { job, sandboxes } = await jobAcrossKill('crash', 1000, n);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    const result = job.result as { sum: number; starts: number };
    assert.equal(result.sum, (n * (n + 1)) / 2, 'no step lost or counted twice');
    assert.ok(result.starts >= 2, 'the job restarted from its checkpoint');
    assert.equal(job.attempts, 1, 'the killed server was one crashed attempt');
    assert.deepEqual(sandboxes.filter(alive), [], 'no process of the killed server survives');
  });

  it("a server restarted on the same machine retries the killed server's runs at once, not after their lease", async () => {
    // Leases of 10 minutes: only the restart's judgement that their holder is dead frees them in
    // time (the wait for the job's end gives up after 60 s).
    const { job, runs, killedPid } = await jobAcrossKill('crash2', 600_000, 30);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.equal((job.result as { sum: number }).sum, 465);
    assert.equal(job.attempts, 1, 'the killed server was one crashed attempt');
    // The attempt says what happened: the server is gone, not that a lease ran out.
    assert.equal(job.lastError?.code, 'SERVER_GONE', JSON.stringify(job.lastError));
    assert.match(job.lastError?.message ?? '', new RegExp(`^the server running run \\d+ \\(lease owner w1:[\\w-]+:\\d+:${killedPid}:\\d+:\\w+\\) stopped or crashed while the run was in progress; .*counted as a crashed attempt$`));
    // The run in progress when the server died has its record too: killed, saying why.
    const lost = runs.filter((r) => r.status === 'killed');
    assert.equal(lost.length, 1, JSON.stringify(runs));
    assert.equal(lost[0]?.error?.type, 'ServerGone');
    assert.match(lost[0]?.error?.message ?? '', /^this job run was lost: the server running run .* were lost with its server$/);
    assert.ok(Date.parse(lost[0]!.finishedAt) >= Date.parse(lost[0]!.startedAt));
    assert.equal(runs.filter((r) => r.status === 'succeeded').length, 1, 'then the run that finished the job');
  });
});
