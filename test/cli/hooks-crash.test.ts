// A real server process SIGKILLed in the middle of a webhook burst. The function reports every
// run to a sink served by this test on 127.0.0.1 (through the egress broker, so a run of the
// killed server cannot report after its server is gone) and returns its delivery id. A new
// server on the same data dir must then:
//   - process every delivery that got a 202 (durable before the answer): its job is `succeeded`
//     with that delivery's id as result, and exactly one job exists per delivery;
//   - complete each job once: the result names the run that completed it, a run the sink saw;
//     a delivery ran more than once only when the kill cut its first run (its job counts the
//     crashed attempt), never after it was complete.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, startServerProcess } from '../support/process.js';
import type { ServerProcess } from '../support/process.js';
import { startHttpServer } from '../egress/support.js';
import { FAST_JOBS } from '../api/jobs-support.js';

interface Job {
  id: string;
  status: string;
  result?: { deliveryId: string; executionId: string };
  attempts: number;
  runs: number;
  idempotencyKey?: string;
}

/** Every job of the function, paging through the list. */
async function allJobs(url: string, key: string): Promise<Job[]> {
  const out: Job[] = [];
  let before: string | null = null;
  for (let page = 0; page < 100; page++) {
    const qs: string = `function=rec&limit=500${before === null ? '' : `&before=${before}`}`;
    const { jobs, next } = await apiCall<{ jobs: Job[]; next: string | null }>(url, key, 'GET', `/v1/tenants/acme/jobs?${qs}`);
    out.push(...jobs);
    if (next === null) return out;
    before = next;
  }
  throw new Error('more than 100 pages of jobs');
}

describe('webhook deliveries survive a killed server', () => {
  it('every delivery that got a 202 is processed after a SIGKILL mid-burst, and none is completed twice', async () => {
    const runs: { deliveryId: string; executionId: string; at: number }[] = [];
    const sink = await startHttpServer((_req, res, body) => {
      runs.push({ ...(JSON.parse(body.toString()) as { deliveryId: string; executionId: string }), at: Date.now() });
      res.end('ok');
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-hooks-kill-'));
    // One cgroup root for both servers: the second sweeps the groups the killed one left behind.
    const env = { ...FAST_JOBS, AIRLOCK_DATA_DIR: dataDir, AIRLOCK_QUEUE_LEASE_MS: '1000', AIRLOCK_EGRESS_ALLOW_CIDRS: '127.0.0.1/32', AIRLOCK_CGROUP_ROOT: `airlock-crash-${process.pid}` };
    const code = `export default async (input, ctx) => {
      const run = { deliveryId: input.deliveryId, executionId: ctx.executionId };
      const res = await fetch('http://127.0.0.1:${sink.port}/ran', { method: 'POST', body: JSON.stringify(run) });
      if (!res.ok) throw new Error('sink answered ' + res.status);
      return run;
    }`;
    const accepted = new Map<string, string>(); // deliveryId → jobId
    let second: ServerProcess | undefined;
    try {
      const first = await startServerProcess(env);
      const key = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
      let killedAt = 0;
      try {
        await apiCall(first.url, key, 'PUT', '/v1/tenants/acme/functions/rec', {
          code,
          egress: { allow: [{ host: '127.0.0.1', ports: [sink.port] }] },
        });
        const hook = await apiCall<{ path: string }>(first.url, key, 'GET', '/v1/tenants/acme/functions/rec/webhook');
        // 16 senders in a closed loop; the server is killed once 300 deliveries were accepted,
        // with requests of every sender still in flight.
        let stop = false;
        let reachedTarget: () => void = () => {};
        const target = new Promise<void>((resolve) => (reachedTarget = resolve));
        const sender = async (n: number): Promise<void> => {
          for (let i = 0; !stop && i < 10_000; i++) {
            try {
              const res = await fetch(first.url + hook.path, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ sender: n, i }),
              });
              const body = (await res.json()) as { deliveryId: string; jobId: string };
              if (res.status === 202) accepted.set(body.deliveryId, body.jobId);
              if (accepted.size >= 300) reachedTarget();
            } catch {
              return; // the server is gone: this request's fate is unknown to its sender
            }
          }
        };
        const senders = Array.from({ length: 16 }, (_, n) => sender(n));
        await Promise.race([target, new Promise((_, reject) => setTimeout(() => reject(new Error('burst too slow')), 60_000))]);
        const exited = new Promise((resolve) => first.child.once('exit', resolve));
        first.child.kill('SIGKILL');
        killedAt = Date.now();
        await exited;
        stop = true;
        await Promise.all(senders);
      } finally {
        if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
      }
      const acceptedAtKill = accepted.size;
      const runsBeforeRestart = runs.length;
      assert.ok(acceptedAtKill >= 300, `accepted ${acceptedAtKill}`);

      second = await startServerProcess(env);
      const deadline = Date.now() + 120_000;
      let jobs: Job[];
      for (;;) {
        jobs = await allJobs(second.url, key);
        const byId = new Map(jobs.map((j) => [j.id, j]));
        const pending = [...accepted.values()].filter((id) => byId.get(id)?.status !== 'succeeded');
        if (pending.length === 0) break;
        if (Date.now() > deadline) assert.fail(`${pending.length} accepted deliveries not processed; e.g. ${JSON.stringify(byId.get(pending[0]!))}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const jobsByDelivery = new Map<string, Job[]>();
      for (const j of jobs) {
        assert.ok(j.idempotencyKey, `job ${j.id} names its delivery`);
        jobsByDelivery.set(j.idempotencyKey, [...(jobsByDelivery.get(j.idempotencyKey) ?? []), j]);
      }
      const runsByDelivery = new Map<string, string[]>();
      for (const r of runs) runsByDelivery.set(r.deliveryId, [...(runsByDelivery.get(r.deliveryId) ?? []), r.executionId]);

      let repeated = 0;
      for (const [deliveryId, jobId] of accepted) {
        const mine = jobsByDelivery.get(deliveryId) ?? [];
        assert.equal(mine.length, 1, `exactly one job for delivery ${deliveryId}`);
        const job = mine[0]!;
        assert.equal(job.id, jobId);
        assert.equal(job.status, 'succeeded');
        assert.equal(job.result?.deliveryId, deliveryId, 'the function processed this very delivery');
        const seen = runsByDelivery.get(deliveryId) ?? [];
        assert.ok(seen.includes(job.result!.executionId), 'the completing run is a run the sink saw');
        assert.ok(seen.length <= job.runs, `runs reported ${seen.length} <= runs claimed ${job.runs}`);
        if (seen.length > 1) {
          repeated++;
          assert.ok(job.attempts >= 1, `delivery ${deliveryId} ran ${seen.length} times without a crashed attempt: ${JSON.stringify(job)}`);
        }
      }
      // Every job (also deliveries whose 202 was lost in the kill) ran to completion once per
      // claim at most: a finished job is never claimed again.
      for (const j of jobs) assert.equal(j.status, 'succeeded', JSON.stringify(j));
      assert.ok(runs.length > runsBeforeRestart, 'the second server had deliveries left to process (the kill was mid-burst)');
      assert.ok(killedAt > 0);
      process.stderr.write(
        `# accepted ${acceptedAtKill} before the kill; jobs stored ${jobs.length}; runs before restart ${runsBeforeRestart}, ` +
          `after ${runs.length - runsBeforeRestart}; deliveries run twice (first run cut by the kill) ${repeated}\n`,
      );
    } finally {
      await second?.stop();
      await sink.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
