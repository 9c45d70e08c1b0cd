// Per-tenant concurrency overrides end to end (real server, bwrap sandboxes, SQLite): with
// AIRLOCK_TENANT_CONCURRENCY=1 and AIRLOCK_TENANT_CONCURRENCY_OVERRIDES=paid=4, tenant "paid" runs
// four calls at once while a tenant without an override gets a 429 for its second. Calls are held
// in flight by a request to a 127.0.0.1 test server that answers only when the test releases it.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { startHttpServer, until } from '../egress/support.js';
import type { TestHttpServer } from '../egress/support.js';

const HOLD = `export default async (input) => (await fetch(input.base + '/hold?t=' + input.t)).text();`;

describe('per-tenant concurrency overrides', () => {
  let api: TestServer;
  let target: TestHttpServer;
  const held: { tenant: string; res: ServerResponse }[] = [];
  let base: string;

  before(async () => {
    target = await startHttpServer((req, res) => {
      held.push({ tenant: new URL(req.url ?? '/', 'http://x').searchParams.get('t') ?? '', res });
    });
    base = `http://127.0.0.1:${target.port}`;
    api = await startTestServer({
      AIRLOCK_EGRESS_ALLOW_CIDRS: '127.0.0.1/32',
      AIRLOCK_TENANT_CONCURRENCY: '1',
      AIRLOCK_TENANT_CONCURRENCY_OVERRIDES: 'paid=4',
      // No queueing: a call over its tenant's cap is refused at once, whatever the machine's speed.
      AIRLOCK_QUEUE_WAIT_MS: '0',
    });
    const extra = { egress: { allow: [{ host: '127.0.0.1', ports: [target.port] }], limits: { timeoutMs: 60_000 } }, limits: { timeoutMs: 60_000 } };
    await deploy(api, 'paid', 'hold', HOLD, extra);
    await deploy(api, 'free', 'hold', HOLD, extra);
  });

  after(async () => {
    for (const { res } of held) res.destroy();
    await api?.close();
    await target?.close();
  });

  const count = (tenant: string): number => held.filter((h) => h.tenant === tenant).length;

  it('runs four calls of the tenant with override 4 at once; the default tenant gets 429 for its second', async () => {
    const paid = Array.from({ length: 4 }, () => invoke(api, 'paid', 'hold', { base, t: 'paid' }));
    await until(() => count('paid') === 4, 'four calls of tenant paid to be in flight together', 60_000);
    const fifth = await invoke(api, 'paid', 'hold', { base, t: 'paid' });
    assert.equal(fifth.status, 429, JSON.stringify(fifth.body));
    assert.match(fifth.body.error.message, /tenant "paid" is at its concurrency limit \(4 executions running\)/);

    const free = invoke(api, 'free', 'hold', { base, t: 'free' });
    await until(() => count('free') === 1, 'the call of tenant free to be in flight', 60_000);
    const second = await invoke(api, 'free', 'hold', { base, t: 'free' });
    assert.equal(second.status, 429, JSON.stringify(second.body));
    assert.equal(second.body.error.code, 'TOO_MANY_REQUESTS');
    assert.match(second.body.error.message, /tenant "free" is at its concurrency limit \(1 executions running\)/);
    assert.ok(Number(second.headers.get('retry-after')) >= 1);

    for (const { res } of held) res.end('done');
    for (const call of [...paid, free]) {
      const res = await call;
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.result, 'done');
    }
    assert.equal(count('paid'), 4, 'the refused calls never ran');
    assert.equal(count('free'), 1);
  });
});
