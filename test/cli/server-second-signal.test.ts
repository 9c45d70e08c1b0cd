// A real server process stopped with two signals: the first starts a graceful stop with a long
// grace period, the second forces it. Every call in flight is still answered (the running one
// `killed`, the one waiting for a slot 503 SHUTTING_DOWN) and recorded, the running job slice is
// queued again as a continuation (no attempt counted, no lease left to wait out), no sandbox
// process outlives the server, and the process exits 130 saying the stop was forced.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { alive, apiCall, descendants, startServerProcess } from '../support/process.js';
import type { ServerProcess } from '../support/process.js';
import { COUNTER, FAST_JOBS } from '../api/jobs-support.js';
import type { JobBody } from '../api/jobs-support.js';
import { until } from '../support/poll.js';

async function metric(server: ServerProcess, pattern: RegExp): Promise<true | undefined> {
  return pattern.test(await (await fetch(`${server.url}/metrics`)).text()) ? true : undefined;
}

/** Every process below `root` seen until `exited` settles (sampled every 10 ms), to check none outlives it. */
async function watchDescendants(root: number, exited: Promise<unknown>): Promise<number[]> {
  const seen = new Set<number>(descendants(root));
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    for (const pid of descendants(root)) seen.add(pid);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return [...seen];
}

interface Answer {
  status: number;
  connection: string | null;
  body: { status?: string; executionId?: string; error?: { type?: string; code?: string; message?: string; executionId?: string } };
}

describe('server process: a second signal', () => {
  it('forces the stop: calls in flight answered and recorded, the job slice queued again, no sandbox left, exit 130', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-force-'));
    const env = {
      ...FAST_JOBS,
      AIRLOCK_DATA_DIR: dataDir,
      AIRLOCK_BANNER: 'off',
      AIRLOCK_LOG_LEVEL: 'info',
      // Only a forced stop ends the call and the slice in time: the grace period outlasts the test.
      AIRLOCK_SHUTDOWN_GRACE_MS: '600000',
      // A lease no restart would wait out in time either: the slice must hand its job back itself.
      AIRLOCK_QUEUE_LEASE_MS: '600000',
      // The job slice and the slow call fill the tenant's slots: a third call waits for one.
      AIRLOCK_TENANT_CONCURRENCY: '2',
      AIRLOCK_CGROUP_ROOT: `airlock-force-${process.pid}`,
    };
    try {
      const server = await startServerProcess(env);
      const key = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
      const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
      let jobId: string;
      let answers: Answer[];
      let sandboxes: number[];
      try {
        const slow = 'export default async () => { await new Promise((r) => setTimeout(r, 50_000)); return "done"; }';
        await apiCall(server.url, key, 'PUT', '/v1/tenants/acme/functions/slow', { code: slow, limits: { timeoutMs: 60_000 } });
        await apiCall(server.url, key, 'PUT', '/v1/tenants/acme/functions/count', { code: COUNTER });
        ({ jobId } = await apiCall<{ jobId: string }>(server.url, key, 'POST', '/v1/tenants/acme/functions/count/jobs', {
          input: { n: 100_000, stepMs: 20 },
        }));
        await until('the job to save a checkpoint', async () => {
          const job = await apiCall<JobBody>(server.url, key, 'GET', `/v1/tenants/acme/jobs/${jobId}`);
          return job.checkpointAt === undefined ? undefined : job;
        });
        const call = async (): Promise<Answer> => {
          const res = await fetch(`${server.url}/v1/tenants/acme/functions/slow/invoke`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: '{}',
          });
          return { status: res.status, connection: res.headers.get('connection'), body: (await res.json()) as Answer['body'] };
        };
        const running = call();
        await until('the slow call to run', () => metric(server, /^airlock_admission\{state="running"\} 2$/m));
        const waiting = call();
        await until('the third call to wait for a slot', () => metric(server, /^airlock_admission\{state="waiting"\} 1$/m));
        const watched = watchDescendants(server.child.pid!, exited);

        server.child.kill('SIGTERM');
        await until('the graceful stop to begin', () => (server.output().includes('"msg":"shutting down"') ? true : undefined));
        assert.equal(server.child.exitCode, null, 'the graceful stop waits for the call and the slice');
        server.child.kill('SIGINT');
        answers = await Promise.all([running, waiting]);
        assert.equal(await exited, 130, server.output());
        sandboxes = await watched;
      } finally {
        if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
      }

      // Answers: the running call was stopped, the waiting one refused; both name their records.
      const [killed, refused] = answers;
      assert.equal(killed!.status, 200, JSON.stringify(killed));
      assert.equal(killed!.body.status, 'killed');
      assert.equal(killed!.body.error?.type, 'SandboxDestroyed');
      assert.equal(killed!.connection, 'close', 'the answer tells the client the connection closes');
      assert.equal(refused!.status, 503, JSON.stringify(refused));
      assert.equal(refused!.body.error?.code, 'SHUTTING_DOWN');
      assert.match(refused!.body.error?.executionId ?? '', /^ex_/);

      // The log says the stop was forced, and the process ended with it.
      const lines = server.output().trim().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string; level: number });
      const messages = lines.map((l) => l.msg);
      assert.ok(messages.some((m) => m.startsWith('second signal: forcing the stop')), messages.join('\n'));
      assert.ok(messages.includes('forced stop: killing in-flight executions'), messages.join('\n'));
      assert.equal(messages.at(-1), 'stopped by force: calls in flight were ended and answered, job slices queued again', server.output());

      // No process that was below the server (sandboxes, the helper that forks them) survives it.
      assert.ok(sandboxes.length >= 2, `sandboxes were seen under the server: ${sandboxes.length}`);
      assert.deepEqual(sandboxes.filter(alive), [], 'no process of the server survives it');

      // The job's run handed its lease back: queued again, claimable now, no attempt counted.
      const db = new Database(join(dataDir, 'airlock.db'), { readonly: true });
      try {
        const row = db.prepare('SELECT status, attempts, lease_owner, last_error, run_after FROM queue_items WHERE id = ?').get(jobId) as {
          status: string; attempts: number; lease_owner: string | null; last_error: string | null; run_after: number;
        };
        assert.deepEqual([row.status, row.attempts, row.lease_owner, row.last_error], ['queued', 0, null, null]);
        assert.ok(row.run_after <= Date.now(), 'claimable at once');
      } finally {
        db.close();
      }

      // The records were written: a restarted server shows both calls.
      const again = await startServerProcess({ ...env, AIRLOCK_SHUTDOWN_GRACE_MS: '300' });
      try {
        const record = (id: string) => apiCall<{ status: string; error?: { type: string } }>(again.url, key, 'GET', `/v1/tenants/acme/executions/${id}`);
        const ran = await record(killed!.body.executionId!);
        assert.deepEqual([ran.status, ran.error?.type], ['killed', 'SandboxDestroyed']);
        const notRun = await record(refused!.body.error!.executionId!);
        assert.deepEqual([notRun.status, notRun.error?.type], ['rejected', 'ShuttingDown']);
        // The job goes on from its checkpoint on the new server, without a failed attempt.
        const job = await until('the job to run again', async () => {
          const j = await apiCall<JobBody>(again.url, key, 'GET', `/v1/tenants/acme/jobs/${jobId}`);
          return j.status === 'running' && j.runs >= 2 ? j : undefined;
        });
        assert.deepEqual([job.attempts, job.lastError], [0, undefined]);
      } finally {
        assert.equal(await again.stop(), 0);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
