// A leaked key on a real server: tenant keys keep a short prefix that listings show, and the
// admin can look a whole key up (POST /v1/keys/lookup) to learn its id, tenant and name; a
// revoked key is gone (404 saying so), tenant keys cannot look keys up, and no key reaches the log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { captureLog } from '../support/log-capture.js';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('key prefixes and lookup', () => {
  const log = captureLog('trace');
  let server: TestServer;
  let key: { id: string; key: string; prefix: string; createdAt: string };

  before(async () => {
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0' }, {}, log.logger);
    const created = await server.request('POST', '/v1/tenants/acme/keys', { name: 'ci' });
    assert.equal(created.status, 201);
    key = created.body;
  });
  after(async () => server.close());

  it('keeps ak_ and the next 8 characters as the prefix, shown at creation and in the list', async () => {
    assert.match(key.key, /^ak_[A-Za-z0-9_-]{43}$/);
    assert.equal(key.prefix, key.key.slice(0, 11));
    const listed = await server.request('GET', '/v1/tenants/acme/keys');
    assert.deepEqual(listed.body.keys, [{ id: key.id, tenant: 'acme', createdAt: key.createdAt, name: 'ci', prefix: key.prefix }]);
  });

  it('looks a whole key up (admin only), tolerating whitespace around it', async () => {
    for (const sent of [key.key, `  ${key.key}\n`]) {
      const found = await server.request('POST', '/v1/keys/lookup', { key: sent });
      assert.equal(found.status, 200, JSON.stringify(found.body));
      assert.deepEqual(found.body, { kind: 'tenant', id: key.id, tenant: 'acme', name: 'ci', prefix: key.prefix, createdAt: key.createdAt });
    }
    const admin = await server.request('POST', '/v1/keys/lookup', { key: server.adminKey });
    assert.deepEqual(admin.body, { kind: 'admin', previous: false, id: null, tenant: null, name: null, prefix: null, createdAt: null });
    const byTenant = await server.request('POST', '/v1/keys/lookup', { key: key.key }, key.key);
    assert.equal(byTenant.status, 403);
    assert.equal(byTenant.body.error.code, 'FORBIDDEN');
    assert.equal(byTenant.body.error.message, 'only the admin key can look keys up; ask the operator to look the key up (airlock keys find)');
  });

  it('answers 404 for an unknown key and, once revoked (revoked keys are deleted), for that key', async () => {
    const unknown = await server.request('POST', '/v1/keys/lookup', { key: 'ak_' + 'x'.repeat(43) });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'NOT_FOUND');
    assert.match(unknown.body.error.message, /^no key of this server matches: it was never issued here, or it was revoked \(revoked keys are deleted/);
    const other = await server.request('POST', '/v1/tenants/acme/keys');
    assert.equal((await server.request('DELETE', `/v1/tenants/acme/keys/${other.body.id}`)).status, 204);
    const revoked = await server.request('POST', '/v1/keys/lookup', { key: other.body.key });
    assert.equal(revoked.status, 404);
    assert.doesNotMatch(JSON.stringify(revoked.body), new RegExp(other.body.key));
    const empty = await server.request('POST', '/v1/keys/lookup', { key: '' });
    assert.equal(empty.status, 400);
  });

  it('never writes a key to the log, at trace level', async () => {
    const text = log.text();
    assert.ok(text.includes('"audit":"key.lookup"'), 'lookups are audited');
    assert.equal(text.includes(key.key), false);
    assert.equal(text.includes(server.adminKey), false);
  });
});
