// End to end through the HTTP API, real bwrap sandboxes and SQLite: deploying an egress policy
// (validated, limits resolved, part of the version hash, returned by GET), a function calling
// a 127.0.0.1 test server with fetch and ctx.fetch, the execution record listing the requests,
// a function without egress unable to reach it, and secrets substituted on the host and masked
// in results and logs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { secretSource, startHttpServer } from './support.js';
import type { TestHttpServer } from './support.js';

describe('egress end to end', () => {
  let api: TestServer;
  let target: TestHttpServer;
  let policy: { allow: { host: string; ports: number[] }[] };
  before(async () => {
    target = await startHttpServer((req, res) => {
      // /reverse answers the bearer token reversed: a transformation the broker cannot recognise
      if (req.url === '/reverse') return void res.end([...(req.headers.authorization ?? '').replace('Bearer ', '')].reverse().join(''));
      res.end(`hello from ${req.url}`);
    });
    policy = { allow: [{ host: '127.0.0.1', ports: [target.port] }] };
    api = await startTestServer(
      { AIRLOCK_EGRESS_ALLOW_CIDRS: '127.0.0.1/32' },
      { secrets: secretSource([{ name: 'TOKEN', hosts: ['127.0.0.1'], value: 'sk-live-abcdef' }]) },
    );
  });
  /** The execution as stored (records are written in batches: poll with a deadline). */
  async function storedExecution(id: string): Promise<{ result?: unknown; egress?: { path: string; status: number; host: string; method: string }[] }> {
    for (const end = Date.now() + 5_000; ; await new Promise((r) => setTimeout(r, 20))) {
      const got = await api.request('GET', `/v1/tenants/acme/executions/${id}`);
      if (got.status === 200) return got.body;
      if (Date.now() > end) assert.fail(`execution ${id} was not stored: ${got.status}`);
    }
  }

  after(async () => {
    await api.close();
    await target.close();
  });

  it('deploys a policy: validated, limits resolved, in the version hash, returned by GET', async () => {
    const code = 'export default async () => 1;';
    const plain = await deploy(api, 'acme', 'hash-probe', code);
    const withEgress = await deploy(api, 'acme', 'hash-probe', code, { egress: policy });
    assert.notEqual(plain, withEgress, 'the policy is part of the content hash');
    const got = await api.request('GET', '/v1/tenants/acme/functions/hash-probe');
    assert.deepEqual(got.body.egress, { allow: policy.allow, limits: { requests: 50, requestBytes: 1048576, responseBytes: 1048576, timeoutMs: 10000 } });
    const above = await api.request('PUT', '/v1/tenants/acme/functions/hash-probe', { code, egress: { allow: [], limits: { timeoutMs: 60_001 } } });
    assert.equal(above.status, 400);
    assert.equal(above.body.error.code, 'LIMIT_ABOVE_MAXIMUM');
    const bad = await api.request('PUT', '/v1/tenants/acme/functions/hash-probe', { code, egress: { allow: [{ host: '*.com' }] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
    const openapi = await api.request('GET', '/openapi.json');
    assert.match(JSON.stringify(openapi.body), /pathPrefixes/);
  });

  it('runs fetch and ctx.fetch against the test server and records each request', async () => {
    await deploy(api, 'acme', 'caller', `export default async (input, ctx) => {
      const a = await fetch(input.base + '/one?secret=query');
      const b = await ctx.fetch(input.base + '/two');
      return [await a.text(), await b.text()];
    };`, { egress: policy });
    const res = await invoke(api, 'acme', 'caller', { base: `http://127.0.0.1:${target.port}` });
    assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
    assert.deepEqual(res.body.result, ['hello from /one?secret=query', 'hello from /two']);
    const record = await storedExecution(res.body.executionId);
    assert.deepEqual(record.egress?.map((r) => [r.method, r.host, r.path, r.status]), [
      ['GET', '127.0.0.1', '/one', 200],
      ['GET', '127.0.0.1', '/two', 200],
    ]);
  });

  it('gives a function without egress no ctx.fetch and no way to the server', async () => {
    await deploy(api, 'acme', 'no-egress', `export default async (input, ctx) => ({
      has: 'fetch' in ctx,
      reached: await fetch(input.base + '/sneak').then(() => true, () => false),
    });`);
    const seen = target.seen.length;
    const res = await invoke(api, 'acme', 'no-egress', { base: `http://127.0.0.1:${target.port}` });
    assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
    assert.deepEqual(res.body.result, { has: false, reached: false });
    assert.equal(target.seen.length, seen);
  });

  it('substitutes a secret on the host only, and masks it in results and logs', async () => {
    await deploy(api, 'acme', 'secretive', `export default async (input, ctx) => {
      const res = await fetch(input.base + '/reverse', { headers: { authorization: 'Bearer {{secrets.TOKEN}}' } });
      const token = [...await res.text()].reverse().join('');
      console.log('got', token);
      return { token, placeholderSeen: JSON.stringify(ctx).includes('sk-live') };
    };`, { egress: policy });
    const res = await invoke(api, 'acme', 'secretive', { base: `http://127.0.0.1:${target.port}` });
    assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
    assert.equal(target.seen.at(-1)?.headers.authorization, 'Bearer sk-live-abcdef', 'the server got the real value');
    assert.deepEqual(res.body.result, { token: '[secret:TOKEN]', placeholderSeen: false });
    assert.ok(res.body.logs.some((l: { msg: string }) => l.msg === 'got [secret:TOKEN]'));
    assert.ok(!JSON.stringify(res.body).includes('sk-live'));
    const stored = await storedExecution(res.body.executionId);
    assert.equal(stored.egress?.length, 1);
    assert.ok(!JSON.stringify(stored).includes('sk-live'), 'the stored record holds no secret value');
  });

  it('masks it in a large result too, which the answer and the record carry as JSON text made once', async () => {
    await deploy(api, 'acme', 'secretive-large', `export default async (input) => {
      const res = await fetch(input.base + '/reverse', { headers: { authorization: 'Bearer {{secrets.TOKEN}}' } });
      const token = [...await res.text()].reverse().join('');
      return { token, padding: 'x'.repeat(40 * 1024) };
    };`, { egress: policy });
    const res = await invoke(api, 'acme', 'secretive-large', { base: `http://127.0.0.1:${target.port}` });
    assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body).slice(0, 500));
    assert.equal(res.body.result.token, '[secret:TOKEN]');
    assert.equal(res.body.result.padding.length, 40 * 1024);
    assert.ok(!JSON.stringify(res.body).includes('sk-live'), 'the answer holds no secret value');
    const stored = await storedExecution(res.body.executionId);
    assert.equal((stored.result as { token: string }).token, '[secret:TOKEN]');
    assert.ok(!JSON.stringify(stored).includes('sk-live'), 'the stored record holds no secret value');
  });
});
