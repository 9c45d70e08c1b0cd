// Webhook deliveries run on the queue's interactive lane, and long job slices never hold another
// tenant's delivery back: not when they fill the background lane's share of the queue's slots,
// not when they fill a server's AIRLOCK_JOB_CONCURRENCY (deliveries may use the reserve beyond
// it), and not while requests saturate the event loop (the pacer lets each lane run a slice).
// Real server, real bwrap, real SQLite.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import type { AirlockOverrides } from '../../src/app.js';
import { FAST_JOBS, getJob, submit, waitJob } from './jobs-support.js';

/** A sync that runs until its slice ends or it is cancelled. */
const LONG_SYNC = `export default async (input, ctx) => { await new Promise((r) => ctx.signal.addEventListener('abort', r)); return 'stopped'; };`;
const ECHO = `export default async (input) => ({ got: input.body });`;

/**
 * Starts `syncs` long syncs of one tenant, waits until `running` of them run (the rest queued),
 * then sends another tenant's delivery with ?wait and expects its answer while the syncs run.
 */
async function deliveryBesideSyncs(server: TestServer, syncs: number, running: number, during?: () => Promise<void>): Promise<void> {
  await deploy(server, 'syncer', 'sync', LONG_SYNC);
  await deploy(server, 'hooked', 'echo', ECHO);
  const ids: string[] = [];
  try {
    for (let i = 0; i < syncs; i++) ids.push(await submit(server, 'syncer', 'sync', { input: { i }, maxRunMs: 120_000 }));
    const deadline = Date.now() + 30_000;
    let states: string[] = [];
    while (Date.now() < deadline) {
      states = (await Promise.all(ids.map((id) => getJob(server, 'syncer', id)))).map((job) => job.status).sort();
      if (states.filter((s) => s === 'running').length === running) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const expected = [...Array<string>(syncs - running).fill('queued'), ...Array<string>(running).fill('running')];
    assert.deepEqual(states, expected, `${running} syncs run, the others wait for a background slot`);
    await during?.();

    const hook = (await server.request('GET', '/v1/tenants/hooked/functions/echo/webhook')).body as { path: string };
    const res = await fetch(`${server.url}${hook.path}?wait=20000`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"event":"push"}',
    });
    const text = await res.text();
    assert.equal(res.status, 200, `the delivery ran while the syncs still held their slots: ${text}`);
    assert.deepEqual(JSON.parse(text), { got: { event: 'push' } });
    const delivery = await waitJob(server, 'hooked', res.headers.get('x-airlock-job-id')!, (job) => job.status === 'succeeded');
    assert.equal(delivery.status, 'succeeded');
    const stillRunning = (await Promise.all(ids.map((id) => getJob(server, 'syncer', id)))).filter((job) => job.status === 'running');
    assert.equal(stillRunning.length, running, 'the syncs were not stopped to make room');
  } finally {
    for (const id of ids) await server.request('POST', `/v1/tenants/syncer/jobs/${id}/cancel`);
  }
}

async function withServer(env: Record<string, string>, body: (server: TestServer) => Promise<void>, overrides: AirlockOverrides = {}): Promise<void> {
  const server = await startTestServer({ ...FAST_JOBS, ...env }, overrides);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

describe('webhook deliveries beside long job slices', () => {
  it("run while syncs hold the background lane's share of the queue's slots", () =>
    // 3 slots, 1 reserved: two syncs run, the third waits.
    withServer({ AIRLOCK_QUEUE_SLOTS: '3', AIRLOCK_QUEUE_INTERACTIVE_RESERVED: '1' }, (server) => deliveryBesideSyncs(server, 3, 2)));

  it("run while syncs hold every slice of a server's lower job concurrency", () =>
    // 8 slots (1 reserved), but 3 job slices on this server: three syncs run, the fourth waits,
    // and a delivery may use the 1 reserved slot beyond them.
    withServer({ AIRLOCK_JOB_CONCURRENCY: '3', AIRLOCK_QUEUE_INTERACTIVE_RESERVED: '1' }, (server) => deliveryBesideSyncs(server, 4, 3)));

  it('run, one at a time, while requests saturate the event loop and job slices yield', () =>
    withServer(
      { AIRLOCK_QUEUE_SLOTS: '3', AIRLOCK_QUEUE_INTERACTIVE_RESERVED: '1', AIRLOCK_JOB_YIELD_PERCENT: '1' },
      async (server) => {
        // Any steady traffic counts as pressure: the pacer yields for as long as it goes on, and
        // one sync already runs, which used to be the one slice a yielding worker allowed.
        let traffic = true;
        const loops: Promise<void>[] = [];
        try {
          await deliveryBesideSyncs(server, 1, 1, async () => {
            for (let i = 0; i < 4; i++) loops.push((async () => { while (traffic) await server.request('GET', '/healthz'); })());
            await new Promise((resolve) => setTimeout(resolve, 300)); // a few pacer windows judged under traffic
          });
        } finally {
          traffic = false;
          await Promise.all(loops);
        }
      },
      { pacer: { minForeground: 1 } },
    ));
});
