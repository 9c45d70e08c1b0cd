// Operations routes: health, Prometheus metrics, and admission answering 429 with Retry-After
// when a tenant is over its limit. The OpenAPI document: openapi.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('operations', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AIRLOCK_TENANT_CONCURRENCY: '1', AIRLOCK_QUEUE_WAIT_MS: '50' });
  });
  after(async () => server.close());

  it('reports health without a key', async () => {
    const res = await server.request('GET', '/healthz', undefined, null);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.isolation, 'bwrap');
    assert.ok(res.body.layers.includes('namespaces') && res.body.layers.includes('unprivileged-uid'), String(res.body.layers));
  });

  it('answers 429 with Retry-After when the tenant is over its concurrency', async () => {
    await deploy(server, 'busy', 'slow', 'export default async () => { await new Promise(r => setTimeout(r, 1500)); return 1 }');
    await deploy(server, 'busy', 'fast', 'export default () => 2');
    const slow = invoke(server, 'busy', 'slow', null);
    // Poll until the slow call holds the tenant's only slot, then a second call must be refused.
    let refused;
    for (let i = 0; i < 100 && !refused; i++) {
      const res = await invoke(server, 'busy', 'fast', null);
      if (res.status === 429) refused = res;
    }
    assert.ok(refused, 'a second concurrent call of the same tenant was refused');
    assert.equal(refused.body.error.code, 'TOO_MANY_REQUESTS');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.match(refused.body.error.executionId, /^ex_/, 'the error names the rejected record');
    assert.equal((await slow).body.result, 1);
    const rejected = await server.request('GET', '/v1/tenants/busy/executions?status=rejected');
    assert.ok(rejected.body.executions.length >= 1, 'the rejection is recorded');
    // Each rejected record is counted as a finished invocation with no sandbox, and by reason.
    const text = await (await fetch(server.url + '/metrics')).text();
    const count = (series: string): number => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1]);
    assert.equal(count('airlock_invocations_total{status="rejected",start="none"}'), rejected.body.executions.length);
    assert.equal(count('airlock_rejections_total{reason="admission"}'), rejected.body.executions.length);
  });

  it('exposes Prometheus metrics', async () => {
    await deploy(server, 'metrics', 'm', 'export default () => 1');
    await invoke(server, 'metrics', 'm', null);
    const res = await fetch(server.url + '/metrics');
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.match(text, /airlock_invocations_total\{[^}]*status="succeeded"[^}]*\} [1-9]/);
    assert.match(text, /airlock_invocation_duration_seconds_bucket/);
    assert.match(text, /airlock_sandboxes\{state="idle"\}/);
    assert.match(text, /airlock_queue_wait_seconds/);
    // The call's wait for its sandbox, by how it got one (its first call: pool or spawn).
    const waits = [...text.matchAll(/^airlock_sandbox_wait_seconds_count\{start="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])] as const);
    assert.ok(waits.some(([start, n]) => start !== 'warm' && n >= 1), text);
    assert.match(text, /^airlock_sandbox_evictions_total\{reason="budget"\} \d+$/m);
    assert.match(text, /^airlock_sandbox_waiting_calls \d+$/m);
    assert.match(text, /^airlock_records_pending \d+$/m, 'the recorder backlog of this server');
    assert.match(text, /^airlock_records_dropped_total 0$/m);
  });
});
