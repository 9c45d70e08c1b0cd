// Calls queued in a busy warm sandbox (AIRLOCK_SANDBOX_QUEUE): a call that waited behind a run
// which timed out is not failed with it but run again in a sandbox of its own, and counted; so is
// one taken back from behind a run that goes on too long; a function granted egress and a call
// with a large input never queue.
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

type Answer = Awaited<ReturnType<typeof invoke>>;

/**
 * Deploys `name` (with `extra`), calls it once (the sandbox then has a run-time average), and
 * starts a call with `busyInput` that keeps that sandbox busy. Resolves once that call is in
 * progress, with the reruns counted so far and the busy call's answer to come.
 */
async function behindBusyRun(
  server: TestServer,
  name: string,
  code: string,
  extra: Record<string, unknown>,
  busyInput: unknown,
): Promise<{ before: number; busy: Promise<Answer> }> {
  await deploy(server, 'acme', name, code, extra);
  assert.equal((await invoke(server, 'acme', name, { n: 0 })).body.status, 'succeeded');
  const before = await reruns(server);
  const busy = invoke(server, 'acme', name, busyInput);
  await waitFor('the busy run to be in progress', () => server.airlock.pool.stats().busy === 1);
  return { before, busy };
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
    const { before, busy: stuck } = await behindBusyRun(server, 'fn', CODE, { limits: { timeoutMs: 1_000 } }, { spin: true });
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

  it('never queues a call whose input is large', async () => {
    const { before, busy: stuck } = await behindBusyRun(server, 'big', CODE, { limits: { timeoutMs: 1_000 } }, { spin: true });
    const other = await invoke(server, 'acme', 'big', { n: 4, pad: 'x'.repeat(70 * 1024) });
    assert.equal(other.body.status, 'succeeded');
    assert.equal((await stuck).body.status, 'timeout');
    assert.equal(await reruns(server), before, 'it went to another sandbox at once, not behind the stuck run');
  });

  it('never queues a call of a function granted egress', async () => {
    const egress = { allow: [{ host: 'example.com' }] };
    const { before, busy: stuck } = await behindBusyRun(server, 'net', CODE, { limits: { timeoutMs: 1_000 }, egress }, { spin: true });
    const other = await invoke(server, 'acme', 'net', { n: 3 });
    assert.equal(other.body.status, 'succeeded');
    assert.equal((await stuck).body.status, 'timeout');
    assert.equal(await reruns(server), before, 'it went to another sandbox at once, not behind the stuck run');
  });
});

describe('invoke: a call queued behind a run that goes on too long', () => {
  let server: TestServer;
  before(async () => {
    // Queue behind runs averaging up to 100 ms; take a queued call back after 4 × 100 ms.
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '1', AIRLOCK_SANDBOX_QUEUE: '1', AIRLOCK_SANDBOX_QUEUE_MS: '100' });
    await server.airlock.pool.warmUp();
  });
  after(async () => server.close());

  it('is taken back and answered from another sandbox before the run ahead ends', async () => {
    const code = 'export default async (input) => { if (input.ms) await new Promise((r) => setTimeout(r, input.ms)); return { ok: input.n }; };';
    const { before, busy: long } = await behindBusyRun(server, 'slow', code, { limits: { timeoutMs: 5_000 } }, { n: 1, ms: 2_500 });
    let longAnswered = false;
    void long.then(() => (longAnswered = true));
    const queued = await invoke(server, 'acme', 'slow', { n: 2 });
    assert.equal(longAnswered, false, 'answered while the 2.5 s run ahead was still going, not after it');
    assert.equal(queued.body.status, 'succeeded', JSON.stringify(queued.body.error));
    assert.deepEqual(queued.body.result, { ok: 2 });
    assert.equal(await reruns(server), before + 1, 'it was queued, taken back and run again');
    assert.equal((await long).body.status, 'succeeded');
  });
});
