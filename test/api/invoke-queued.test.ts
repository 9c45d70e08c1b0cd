// Calls queued in a busy warm sandbox (AIRLOCK_SANDBOX_QUEUE): a call that waited behind a run
// which timed out is not failed with it but run again in a sandbox of its own, and counted; a
// function granted egress never queues.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { waitFor } from '../sandbox/support.js';

// `spin` runs until the deadline; anything else answers at once.
const CODE = 'export default (input) => { if (input?.spin) for (;;) {} return { ok: input?.n ?? null }; };';

async function reruns(server: TestServer): Promise<number> {
  const res = await fetch(`${server.url}/metrics`);
  const m = /^airlock_invoke_reruns_total (\d+)$/m.exec(await res.text());
  assert.ok(m, 'the reruns counter is exported');
  return Number(m[1]);
}

describe('invoke: calls queued behind a run in progress', () => {
  let server: TestServer;
  before(async () => {
    // Queue behind any run for up to a minute, so that the test decides when a call queues.
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '1', AIRLOCK_SANDBOX_QUEUE: '1', AIRLOCK_SANDBOX_QUEUE_MS: '60000' });
    await server.airlock.pool.warmUp();
  });
  after(async () => server.close());

  it('runs a call again elsewhere when the run it waited behind times out', async () => {
    await deploy(server, 'acme', 'fn', CODE, { limits: { timeoutMs: 1_000 } });
    assert.equal((await invoke(server, 'acme', 'fn', { n: 0 })).body.status, 'succeeded'); // a warm sandbox with a run-time average
    const before = await reruns(server);
    const stuck = invoke(server, 'acme', 'fn', { spin: true });
    await waitFor('the spinning run to be in progress', () => server.airlock.pool.stats().busy === 1);
    const queued = await invoke(server, 'acme', 'fn', { n: 2 });
    const timedOut = await stuck;
    assert.equal(timedOut.body.status, 'timeout');
    assert.equal(queued.body.status, 'succeeded', JSON.stringify(queued.body.error));
    assert.deepEqual(queued.body.result, { ok: 2 });
    assert.notEqual(queued.body.start, 'warm', 'its second attempt had a sandbox of its own');
    assert.equal(await reruns(server), before + 1);
    const rec = await server.request('GET', `/v1/tenants/acme/executions/${queued.body.executionId}`);
    assert.equal(rec.body.status, 'succeeded');
  });

  it('never queues a call of a function granted egress', async () => {
    await deploy(server, 'acme', 'net', CODE, { limits: { timeoutMs: 1_000 }, egress: { allow: [{ host: 'example.com' }] } });
    assert.equal((await invoke(server, 'acme', 'net', { n: 0 })).body.status, 'succeeded');
    const before = await reruns(server);
    const stuck = invoke(server, 'acme', 'net', { spin: true });
    await waitFor('the spinning run to be in progress', () => server.airlock.pool.stats().busy === 1);
    const other = await invoke(server, 'acme', 'net', { n: 3 });
    assert.equal(other.body.status, 'succeeded');
    assert.equal((await stuck).body.status, 'timeout');
    assert.equal(await reruns(server), before, 'it went to another sandbox at once, not behind the stuck run');
  });
});
