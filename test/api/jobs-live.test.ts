// A running job shows its slice in progress: GET /v1/tenants/{t}/jobs/{id} has `currentRun` with
// the execution id the slice's record will have, its start, and its log lines so far, long
// before the slice ends (a sync's slice may run 10 minutes). Real HTTP, bwrap and SQLite.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from '../../src/store/index.js';
import { after, before, describe, it } from 'node:test';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, finished, getJob, submit, waitJob } from './jobs-support.js';

// Logs two lines, saves a checkpoint, then waits (far longer than the test).
const SYNC = `export default async (input, ctx) => {
  ctx.log.info('page 1 of 3');
  console.log('fetched 50 items');
  await ctx.checkpoint.save({ page: 1 });
  await new Promise((r) => setTimeout(r, 120_000));
  return 'done';
};`;

interface LiveView {
  status: string;
  currentRun?: { executionId: string; startedAt: string; logs: { level: string; msg: string }[] };
}

describe('a running job shows its slice in progress', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ...FAST_JOBS, AIRLOCK_JOB_CONCURRENCY: '1' });
    await deploy(server, 'acme', 'sync', SYNC);
    await deploy(server, 'acme', 'quick', 'export default async () => 1;');
  });
  after(() => server.close());

  it('with its execution id and logs so far, and its record has them once it ends', async () => {
    const id = await submit(server, 'acme', 'sync');
    const queuedBehind = await submit(server, 'acme', 'quick'); // one slot: it waits
    const deadline = Date.now() + 30_000;
    let view: LiveView;
    for (;;) {
      view = (await server.request('GET', `/v1/tenants/acme/jobs/${id}`)).body as LiveView;
      if ((view.currentRun?.logs.length ?? 0) >= 2) break;
      if (Date.now() > deadline) assert.fail(`no logs in progress: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const run = view.currentRun!;
    assert.equal(view.status, 'running');
    assert.match(run.executionId, /^ex_/);
    assert.ok(Date.parse(run.startedAt) <= Date.now());
    assert.deepEqual(run.logs.map((l) => [l.level, l.msg]), [['info', 'page 1 of 3'], ['info', 'fetched 50 items']]);
    const waiting = (await server.request('GET', `/v1/tenants/acme/jobs/${queuedBehind}`)).body as LiveView;
    assert.deepEqual([waiting.status, waiting.currentRun], ['queued', undefined], 'a queued job has no run in progress');
    const listed = (await server.request('GET', '/v1/tenants/acme/jobs?function=sync')).body as { jobs: LiveView[] };
    assert.equal(listed.jobs[0]!.currentRun, undefined, 'lists stay small: the run in progress is on the job read on its own');

    // Cancelled, the slice ends and its record is written under the id shown, with those lines.
    assert.equal((await server.request('POST', `/v1/tenants/acme/jobs/${id}/cancel`)).status, 200);
    const recordDeadline = Date.now() + 30_000;
    for (;;) {
      const record = await server.request('GET', `/v1/tenants/acme/executions/${run.executionId}`);
      if (record.status === 200) {
        assert.equal(record.body.jobId, id);
        assert.equal(record.body.status, 'killed');
        assert.deepEqual((record.body.logs as { msg: string }[]).slice(0, 2).map((l) => l.msg), ['page 1 of 3', 'fetched 50 items']);
        break;
      }
      if (Date.now() > recordDeadline) assert.fail(`no record ${run.executionId}: ${JSON.stringify(record.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const done = await waitJob(server, 'acme', queuedBehind, finished);
    assert.equal(done.status, 'succeeded');
    assert.equal(((await getJob(server, 'acme', queuedBehind)) as unknown as LiveView).currentRun, undefined, 'a finished job has none');
  });
});

describe("a running job's logs are noted at its heartbeats", () => {
  let server: TestServer;
  before(async () => {
    // A short lease: heartbeats every 100 ms.
    server = await startTestServer({ ...FAST_JOBS, AIRLOCK_QUEUE_LEASE_MS: '300' });
    await deploy(server, 'acme', 'sync', SYNC);
  });
  after(() => server.close());

  it('so that a run lost with its server keeps the lines it had printed (the queue row holds them, masked)', async () => {
    const id = await submit(server, 'acme', 'sync');
    const db = new Database(join(server.dataDir, SQLITE_FILE), { readonly: true });
    try {
      const read = db.prepare<[string], { run_record: string | null }>('SELECT run_record FROM queue_items WHERE id = ?');
      const deadline = Date.now() + 30_000;
      let note: { id: string; jobId: string; logs?: { msg: string }[] } | undefined;
      for (;;) {
        const row = read.get(id);
        note = row?.run_record ? JSON.parse(row.run_record) : undefined;
        if ((note?.logs?.length ?? 0) >= 2) break;
        if (Date.now() > deadline) assert.fail(`the run's logs were not noted: ${JSON.stringify(note)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const view = (await server.request('GET', `/v1/tenants/acme/jobs/${id}`)).body as LiveView;
      assert.equal(note?.id, view.currentRun?.executionId, 'the note is of the run in progress');
      assert.equal(note?.jobId, id);
      assert.deepEqual(note?.logs?.map((l) => l.msg), ['page 1 of 3', 'fetched 50 items']);
    } finally {
      db.close();
    }
    assert.equal((await server.request('POST', `/v1/tenants/acme/jobs/${id}/cancel`)).status, 200);
  });
});

