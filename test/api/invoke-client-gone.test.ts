// A call whose client goes away while it waits for an admission slot is dropped, not run for
// nobody: recorded as rejected (ClientClosedRequest) and counted as a client_gone rejection, so
// clients that time out and retry do not pile their abandoned calls onto the load. Real server,
// real bwrap sandbox, real HTTP over loopback.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../sandbox/support.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const SLEEPY = 'export default async (input) => { await new Promise((r) => setTimeout(r, input.ms)); return { n: input.n }; };';

describe('invoke: a client that leaves while its call waits for a slot', () => {
  let server: TestServer;
  before(async () => {
    // One call of the tenant at a time: the others wait for its slot (up to 10 s).
    server = await startTestServer({ AIRLOCK_TENANT_CONCURRENCY: '1', AIRLOCK_QUEUE_WAIT_MS: '10000' });
    await deploy(server, 'acme', 'sleepy', SLEEPY, { limits: { timeoutMs: 10_000 } });
  });
  after(() => server.close());

  async function clientGoneCount(): Promise<number> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(/^airlock_rejections_total\{reason="client_gone"\} (\d+)$/m.exec(text)?.[1] ?? NaN);
  }

  it('drops the waiting calls whose clients left, and runs only the one in progress', async () => {
    assert.equal(await clientGoneCount(), 0, 'the series exists from the start');
    const holder = invoke(server, 'acme', 'sleepy', { n: 0, ms: 1_500 });
    await waitFor('the first call to hold the slot', () => server.airlock.pool.stats().busy === 1);
    const abandoned = [1, 2, 3, 4].map((n) =>
      fetch(`${server.url}/v1/tenants/acme/functions/sleepy/invoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: { n, ms: 0 } }),
        signal: AbortSignal.timeout(300),
      }).then(
        () => 'answered',
        (err: Error) => err.name,
      ),
    );
    assert.deepEqual(await Promise.all(abandoned), ['TimeoutError', 'TimeoutError', 'TimeoutError', 'TimeoutError']);
    // Dropped as their connections closed, while the first call still runs.
    const deadline = Date.now() + 10_000;
    while ((await clientGoneCount()) < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await clientGoneCount(), 4);
    assert.equal((await holder).body.status, 'succeeded');

    const list = await server.request('GET', '/v1/tenants/acme/executions?function=sleepy&limit=50');
    const records = list.body.executions as { status: string; start: string | null; error?: { type: string; message: string } }[];
    assert.equal(records.filter((r) => r.status === 'succeeded').length, 1, 'only the call in progress ran');
    const dropped = records.filter((r) => r.status === 'rejected');
    assert.equal(dropped.length, 4);
    for (const r of dropped) {
      assert.equal(r.start, null);
      assert.deepEqual(r.error, {
        type: 'ClientClosedRequest',
        message: 'the client closed the connection while the call waited for an admission slot; it was not run',
      });
    }
    // The slot is free again for a caller that stays.
    assert.equal((await invoke(server, 'acme', 'sleepy', { n: 5, ms: 0 })).body.status, 'succeeded');
  });
});
