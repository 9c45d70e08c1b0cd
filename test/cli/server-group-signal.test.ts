// A real server process stopped by a signal sent to its whole process group, as Ctrl-C in a
// terminal (or a supervisor that signals the group) does: the stop is as graceful as SIGINT to
// the server alone. The call in flight finishes and succeeds, the running job slice finishes
// within the grace period without a failed attempt, and the process exits 0. (The helper process
// that forks sandboxes used to share the server's group, die of the signal at once and take every
// sandbox with it: the call answered `killed`, the job counted a SANDBOX_CRASHED attempt.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { apiCall, startServerProcess } from '../support/process.js';
import { COUNTER, FAST_JOBS } from '../api/jobs-support.js';
import type { JobBody } from '../api/jobs-support.js';
import { until } from '../support/poll.js';

describe('server process: a signal to its process group (Ctrl-C)', () => {
  it('stops gracefully: the call in flight succeeds, the job slice ends without a failed attempt, exit 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-group-signal-'));
    const env = {
      ...FAST_JOBS,
      AIRLOCK_DATA_DIR: dataDir,
      AIRLOCK_BANNER: 'off',
      AIRLOCK_LOG_LEVEL: 'info',
      // Longer than anything here runs: the call and the slice end on their own.
      AIRLOCK_SHUTDOWN_GRACE_MS: '600000',
      AIRLOCK_CGROUP_ROOT: `airlock-group-${process.pid}`,
    };
    try {
      // setsid execs the server as the leader of a process group (and session) of its own, like
      // a shell's foreground job: the group's id is the server's pid.
      const server = await startServerProcess(env, 20_000, ['setsid']);
      const key = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
      const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
      let jobId: string;
      let answer: { status?: string; error?: unknown };
      try {
        const slow = 'export default async () => { await new Promise((r) => setTimeout(r, 3_000)); return "done"; }';
        await apiCall(server.url, key, 'PUT', '/v1/tenants/acme/functions/slow', { code: slow, limits: { timeoutMs: 60_000 } });
        await apiCall(server.url, key, 'PUT', '/v1/tenants/acme/functions/count', { code: COUNTER });
        ({ jobId } = await apiCall<{ jobId: string }>(server.url, key, 'POST', '/v1/tenants/acme/functions/count/jobs', {
          input: { n: 150, stepMs: 20 },
        }));
        await until('the job to save a checkpoint', async () => {
          const job = await apiCall<JobBody>(server.url, key, 'GET', `/v1/tenants/acme/jobs/${jobId}`);
          return job.checkpointAt === undefined ? undefined : job;
        });
        const call = apiCall<{ status?: string; error?: unknown }>(server.url, key, 'POST', '/v1/tenants/acme/functions/slow/invoke', {});
        await until('the call to run beside the job slice', async () =>
          /^airlock_admission\{state="running"\} 2$/m.test(await (await fetch(`${server.url}/metrics`)).text()) ? true : undefined);

        process.kill(-server.child.pid!, 'SIGINT');
        answer = await call;
        assert.equal(await exited, 0, server.output());
      } finally {
        if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
      }

      // The stop began with both still running, and let them finish.
      const lines = server.output().trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const stopping = lines.find((l) => l.msg === 'shutting down');
      assert.deepEqual([stopping?.inFlight, stopping?.jobSlices], [1, 1], server.output());
      assert.deepEqual([answer.status, answer.error], ['succeeded', undefined], JSON.stringify(answer));
      assert.equal(lines.at(-1)?.msg, 'stopped', server.output());

      const db = new Database(join(dataDir, 'airlock.db'), { readonly: true });
      try {
        const row = db.prepare('SELECT status, attempts, last_error FROM queue_items WHERE id = ?').get(jobId) as {
          status: string; attempts: number; last_error: string | null;
        };
        assert.deepEqual([row.status, row.attempts, row.last_error], ['succeeded', 0, null]);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
