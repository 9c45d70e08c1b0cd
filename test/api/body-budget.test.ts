// AIRLOCK_BODY_BYTES_IN_FLIGHT: large request bodies count from their parse until their answer is
// sent; one that would take the total above the budget, or its tenant above half of it, is refused
// 429 with Retry-After while small calls and other tenants go on, and the bytes come back when
// the answer is sent. One body alone always fits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BodyBudget, LARGE_BODY_BYTES } from '../../src/api/body-budget.js';
import { deploy, invoke, startTestServer } from '../support/server.js';

const HOLD = `export default async (input) => {
  await new Promise((resolve) => setTimeout(resolve, input.holdMs ?? 0));
  return input.blob?.length ?? 0;
}`;

describe('large request bodies held at once', () => {
  it('BodyBudget takes bytes while they fit in the budget and the tenant\'s half, always takes one body alone, and gives them back', () => {
    const budget = new BodyBudget(1000);
    assert.equal(budget.tryTake(400, 'a'), undefined);
    assert.equal(budget.tryTake(400, 'a'), 'tenant', 'above the tenant\'s half');
    assert.equal(budget.tryTake(400, 'b'), undefined);
    assert.equal(budget.tryTake(300, 'c'), 'server', 'above the budget');
    assert.equal(budget.held(), 800);
    assert.equal(budget.held('a'), 400);
    budget.give(400, 'a');
    budget.give(400, 'b');
    assert.equal(budget.held(), 0);
    assert.equal(budget.held('a'), 0);
    assert.equal(budget.tryTake(5000, 'a'), undefined, 'one body alone fits whatever its size');
  });

  it('refuses a large body 429 while others hold the budget, serves small calls, and takes it once they answered', async () => {
    const server = await startTestServer({ AIRLOCK_BODY_BYTES_IN_FLIGHT: String(1024 * 1024) });
    try {
      await deploy(server, 'acme', 'hold', HOLD, { limits: { timeoutMs: 20_000 } });
      const blob = 'x'.repeat(700 * 1024);
      assert.ok(blob.length > LARGE_BODY_BYTES);
      const first = invoke(server, 'acme', 'hold', { blob, holdMs: 3_000 });
      // The first call is running (its body counted) once a sandbox is busy with it.
      for (const end = Date.now() + 15_000; ; await new Promise((r) => setTimeout(r, 20))) {
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        if (/^airlock_sandboxes\{state="busy"\} [1-9]/m.test(metrics)) break;
        assert.ok(Date.now() < end, 'the first call did not start');
      }
      const refused = await invoke(server, 'acme', 'hold', { blob });
      assert.equal(refused.status, 429, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'TOO_MANY_REQUESTS');
      assert.match(refused.body.error.message, /holding 0\.7 MiB of large request bodies.*AIRLOCK_BODY_BYTES_IN_FLIGHT, 1\.0 MiB/);
      assert.equal(refused.headers.get('retry-after'), '1');
      const small = await invoke(server, 'acme', 'hold', { blob: 'small' });
      assert.equal(small.status, 200, 'small calls go on');
      // acme holds 0.7 MiB, above its half: another of its bodies is refused for its share, while
      // another tenant's fits in what is left of the budget.
      await deploy(server, 'globex', 'hold', HOLD);
      const share = await invoke(server, 'acme', 'hold', { blob: 'y'.repeat(100 * 1024) });
      assert.equal(share.status, 429, JSON.stringify(share.body));
      assert.match(share.body.error.message, /^tenant "acme" has 0\.7 MiB of large request bodies in progress, the most one tenant may \(half of AIRLOCK_BODY_BYTES_IN_FLIGHT, 0\.5 MiB\)/);
      const other = await invoke(server, 'globex', 'hold', { blob: 'z'.repeat(200 * 1024) });
      assert.equal(other.status, 200, JSON.stringify(other.body));
      assert.equal((await first).status, 200);
      const again = await invoke(server, 'acme', 'hold', { blob });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.result, blob.length);
    } finally {
      await server.close();
    }
  });
});
