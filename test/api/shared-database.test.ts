// Several servers on one database (docs/queue.md): a deploy, a delete or a key revocation through
// one server reaches the others once their cached entry is re-read (services/function-cache.ts,
// services/keys.ts), instead of their serving the old state for as long as it stays cached.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

/** Invokes through `server` until `accept` holds for the answer, or fails after 10 s. */
async function invokeUntil(server: TestServer, name: string, accept: (res: { status: number; body: any }) => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await invoke(server, 'acme', name, null);
    if (accept(res)) return res;
    if (Date.now() > deadline) assert.fail(`${what}: still ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('several servers on one database', () => {
  it("a deploy or delete through one server reaches the other's invocations", async () => {
    const a = await startTestServer();
    const b = await startTestServer({ AIRLOCK_DATA_DIR: a.dataDir });
    try {
      const v1 = await deploy(a, 'acme', 'shared', 'export default () => 1');
      assert.equal((await invoke(b, 'acme', 'shared', null)).body.result, 1, 'b reads the function from the database');
      const v2 = await deploy(a, 'acme', 'shared', 'export default () => 2');
      assert.notEqual(v2, v1);
      await invokeUntil(b, 'shared', (res) => res.body.result === 2, 'the new version never reached b');
      const pinned = await b.request('POST', '/v1/tenants/acme/functions/shared/invoke', { input: null, version: v1 });
      assert.equal(pinned.body.result, 1, 'a pinned version still runs');

      assert.equal((await a.request('DELETE', '/v1/tenants/acme/functions/shared')).status, 204);
      const gone = await invokeUntil(b, 'shared', (res) => res.status === 404, 'the delete never reached b');
      assert.equal(gone.body.error.code, 'FUNCTION_NOT_FOUND');
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('a tenant key revoked through one server stops working on the other', async () => {
    const a = await startTestServer();
    const b = await startTestServer({ AIRLOCK_DATA_DIR: a.dataDir });
    try {
      await deploy(a, 'acme', 'guarded', 'export default () => "in"');
      const created = await a.request('POST', '/v1/tenants/acme/keys');
      assert.equal(created.status, 201);
      const key = created.body.key as string;
      assert.equal((await invoke(b, 'acme', 'guarded', null, key)).body.result, 'in', 'the key works on b (and b caches it)');
      assert.equal((await a.request('DELETE', `/v1/tenants/acme/keys/${created.body.id}`)).status, 204);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const res = await invoke(b, 'acme', 'guarded', null, key);
        if (res.status === 401) {
          assert.equal(res.body.error.code, 'UNAUTHORIZED');
          break;
        }
        assert.equal(res.status, 200, JSON.stringify(res.body));
        if (Date.now() > deadline) assert.fail('the revoked key still works on b');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await b.close();
      await a.close();
    }
  });
});
