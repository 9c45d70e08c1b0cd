// Calls in flight while their function is redeployed or deleted, through the HTTP API with real
// bwrap sandboxes and SQLite: a call finishes on the version it started with, the next call gets
// the new version, and after a delete the next call is 404 FUNCTION_NOT_FOUND while the one in
// flight still succeeds. A call is held in flight by a request to a 127.0.0.1 test server that
// answers only when the test releases it.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { startHttpServer, until } from '../egress/support.js';
import type { TestHttpServer } from '../egress/support.js';

/** Version `tag` of a function that, asked to hold, waits for the test server's answer first. */
function source(tag: string): string {
  return `export default async (input) => {
    if (input.hold) await (await fetch(input.base + '/hold')).text();
    return '${tag}';
  };`;
}

describe('calls in flight during a deploy or a delete', () => {
  let api: TestServer;
  let target: TestHttpServer;
  const held: ServerResponse[] = [];
  let extra: Record<string, unknown>;
  let base: string;

  before(async () => {
    target = await startHttpServer((_req, res) => void held.push(res));
    base = `http://127.0.0.1:${target.port}`;
    // Generous limits: the call waits for the test's deploys while it is held.
    extra = { egress: { allow: [{ host: '127.0.0.1', ports: [target.port] }], limits: { timeoutMs: 30_000 } }, limits: { timeoutMs: 30_000 } };
    api = await startTestServer({ AIRLOCK_EGRESS_ALLOW_CIDRS: '127.0.0.1/32' });
  });

  after(async () => {
    for (const res of held) res.destroy();
    await api.close();
    await target.close();
  });

  /** The stored record's version (records are written in batches: poll with a deadline). */
  async function recordedVersion(id: string): Promise<string> {
    for (const end = Date.now() + 5_000; ; await new Promise((r) => setTimeout(r, 20))) {
      const got = await api.request('GET', `/v1/tenants/acme/executions/${id}`);
      if (got.status === 200) return got.body.version as string;
      if (Date.now() > end) assert.fail(`execution ${id} was not stored: ${got.status}`);
    }
  }

  it('finishes a call on the version it started with; the next call gets the new one, or 404 once deleted', async () => {
    const v1 = await deploy(api, 'acme', 'flip', source('v1'), extra);
    const first = invoke(api, 'acme', 'flip', { hold: true, base });
    await until(() => held.length === 1, 'the first call to reach the test server', 30_000);

    const v2 = await deploy(api, 'acme', 'flip', source('v2'), extra);
    assert.notEqual(v2, v1);
    const next = await invoke(api, 'acme', 'flip', { base });
    assert.equal(next.body.result, 'v2', JSON.stringify(next.body));
    held[0]!.end('go');
    const done = await first;
    assert.equal(done.body.status, 'succeeded', JSON.stringify(done.body));
    assert.equal(done.body.result, 'v1', 'the call in flight ran the version it started with');
    assert.equal(await recordedVersion(done.body.executionId), v1);

    const second = invoke(api, 'acme', 'flip', { hold: true, base });
    await until(() => held.length === 2, 'the second call to reach the test server', 30_000);
    const deleted = await api.request('DELETE', '/v1/tenants/acme/functions/flip');
    assert.equal(deleted.status, 204);
    const gone = await invoke(api, 'acme', 'flip', { base });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'FUNCTION_NOT_FOUND');
    held[1]!.end('go');
    const finished = await second;
    assert.equal(finished.body.status, 'succeeded', JSON.stringify(finished.body));
    assert.equal(finished.body.result, 'v2', 'the call in flight finished after its function was deleted');
    assert.equal(await recordedVersion(finished.body.executionId), v2);
  });
});
