// AIRLOCK_JOBS=paused (a restored copy of production's database): the server takes, lists and
// cancels jobs but starts no run, says so at start (and that the work it found waits) and in
// GET /healthz and airlock_paused while it runs, and calls are still served; a server started on
// the same data dir without it runs what was left queued.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { captureLog } from '../support/log-capture.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import { FAST_JOBS, finished, getJob, submit, waitJob } from './jobs-support.js';

const ECHO = 'export default async (input) => ({ echo: input })';

describe('AIRLOCK_JOBS=paused', () => {
  it('starts no job run while calls are served; a server without it runs the queued jobs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-jobs-paused-'));
    const env = { ...FAST_JOBS, AIRLOCK_DATA_DIR: dataDir };
    try {
      const log = captureLog('warn');
      const paused = await startTestServer({ ...env, AIRLOCK_JOBS: 'paused' }, {}, log.logger);
      let kept: string;
      let dropped: string;
      try {
        assert.match(String((await log.waitFor((l) => /AIRLOCK_JOBS=paused/.test(String(l.msg)), 'saying jobs are paused')).msg), /starts no job run/);
        await deploy(paused, 'acme', 'echo', ECHO);
        kept = await submit(paused, 'acme', 'echo', { input: { n: 1 } });
        dropped = await submit(paused, 'acme', 'echo', { input: { n: 2 } });
        const call = await invoke(paused, 'acme', 'echo', { now: true });
        assert.equal(call.status, 200);
        assert.equal(call.body.status, 'succeeded', 'calls are served while jobs are paused');
        // A running worker would have claimed the job at once (the submission wakes it, and it
        // polls every 50 ms here): twenty polls later it is still queued.
        for (const end = Date.now() + 1_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
          assert.equal((await getJob(paused, 'acme', kept)).status, 'queued');
        }
        const cancel = await paused.request('POST', `/v1/tenants/acme/jobs/${dropped}/cancel`);
        assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
        assert.equal((await getJob(paused, 'acme', dropped)).status, 'cancelled');
      } finally {
        await paused.airlock.stop();
      }
      // Started paused again with the job left queued: its account of that work says it waits.
      const again = captureLog('info');
      const pausedAgain = await startTestServer({ ...env, AIRLOCK_JOBS: 'paused' }, {}, again.logger);
      try {
        const line = await again.waitFor((l) => /background work from before this start/.test(String(l.msg)), 'counting the waiting work');
        assert.equal(line.queued, 1);
        assert.match(String(line.msg), /AIRLOCK_JOBS=paused: this server runs none of them/);
        assert.doesNotMatch(String(line.msg), /they run from their last checkpoints/);
      } finally {
        await pausedAgain.airlock.stop();
      }
      const resumed = await startTestServer(env);
      try {
        const job = await waitJob(resumed, 'acme', kept, finished);
        assert.equal(job.status, 'succeeded', JSON.stringify(job));
        assert.deepEqual(job.result, { echo: { n: 1 } });
        assert.equal((await getJob(resumed, 'acme', dropped)).status, 'cancelled', 'a job cancelled while paused never runs');
      } finally {
        await resumed.airlock.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('is said for as long as the server runs: GET /healthz lists what is paused, airlock_paused is 1 for it', async () => {
    const metric = (text: string, work: string): string | undefined => new RegExp(`^airlock_paused\\{work="${work}"\\} (\\d)$`, 'm').exec(text)?.[1];
    const paused = await startTestServer({ AIRLOCK_JOBS: 'paused', AIRLOCK_SCHEDULES: 'paused' });
    try {
      const health = await paused.request('GET', '/healthz');
      assert.equal(health.status, 200);
      assert.deepEqual([(health.body as { status: string }).status, (health.body as { paused: string[] }).paused], ['ok', ['jobs', 'schedules']]);
      const text = await (await fetch(`${paused.url}/metrics`)).text();
      assert.deepEqual([metric(text, 'jobs'), metric(text, 'schedules')], ['1', '1']);
    } finally {
      await paused.close(); // stops it and removes the data dir it made
    }
    const running = await startTestServer({ AIRLOCK_SCHEDULES: 'paused' });
    try {
      assert.deepEqual(((await running.request('GET', '/healthz')).body as { paused: string[] }).paused, ['schedules']);
      const text = await (await fetch(`${running.url}/metrics`)).text();
      assert.deepEqual([metric(text, 'jobs'), metric(text, 'schedules')], ['0', '1']);
    } finally {
      await running.close();
    }
  });
});
