// Webhook deliveries run on the queue's interactive lane: long job slices that hold every slot the
// background lane may use (here 2 of 3) do not hold another tenant's delivery back, since the
// reserved slot is the worker's to use by default. Real server, real bwrap, real SQLite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, getJob, submit, waitJob } from './jobs-support.js';

/** A sync that runs until its slice ends or it is cancelled. */
const LONG_SYNC = `export default async (input, ctx) => { await new Promise((r) => ctx.signal.addEventListener('abort', r)); return 'stopped'; };`;
const ECHO = `export default async (input) => ({ got: input.body });`;

describe('webhook deliveries beside long job slices', () => {
  let server: TestServer;
  const syncs: string[] = [];

  before(async () => {
    server = await startTestServer({
      ...FAST_JOBS,
      AIRLOCK_QUEUE_SLOTS: '3',
      AIRLOCK_QUEUE_INTERACTIVE_RESERVED: '1',
    });
    await deploy(server, 'syncer', 'sync', LONG_SYNC);
    await deploy(server, 'hooked', 'echo', ECHO);
  });
  after(async () => {
    for (const id of syncs) await server.request('POST', `/v1/tenants/syncer/jobs/${id}/cancel`);
    await server.close();
  });

  it("runs another tenant's delivery at once while long syncs hold every background slot", async () => {
    for (let i = 0; i < 3; i++) syncs.push(await submit(server, 'syncer', 'sync', { input: { i }, maxRunMs: 120_000 }));
    // Two run (the background lane's share of 3 slots with 1 reserved); the third waits.
    const deadline = Date.now() + 30_000;
    let states: string[] = [];
    while (Date.now() < deadline) {
      states = (await Promise.all(syncs.map((id) => getJob(server, 'syncer', id)))).map((job) => job.status).sort();
      if (states.filter((s) => s === 'running').length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.deepEqual(states, ['queued', 'running', 'running'], 'two syncs run, the third waits for a background slot');

    const hook = (await server.request('GET', '/v1/tenants/hooked/functions/echo/webhook')).body as { path: string };
    const res = await fetch(`${server.url}${hook.path}?wait=20000`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"event":"push"}',
    });
    const text = await res.text();
    assert.equal(res.status, 200, `the delivery ran while the syncs still held their slots: ${text}`);
    assert.deepEqual(JSON.parse(text), { got: { event: 'push' } });
    const jobId = res.headers.get('x-airlock-job-id')!;
    const delivery = await waitJob(server, 'hooked', jobId, (job) => job.status === 'succeeded');
    assert.equal(delivery.status, 'succeeded');
    const stillRunning = (await Promise.all(syncs.map((id) => getJob(server, 'syncer', id)))).filter((job) => job.status === 'running');
    assert.equal(stillRunning.length, 2, 'the syncs were not stopped to make room');
  });
});
