// Auth: admin key reaches everything; a tenant key reaches only its own tenant, for every route.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('auth and tenant scoping', () => {
  let server: TestServer;
  let keyA: string;
  let keyB: string;
  let execB: string;

  before(async () => {
    server = await startTestServer();
    await deploy(server, 'tenant-a', 'fa', 'export default () => "a"');
    await deploy(server, 'tenant-b', 'fb', 'export default () => "secret-of-b"');
    keyA = (await server.request('POST', '/v1/tenants/tenant-a/keys')).body.key;
    const created = await server.request('POST', '/v1/tenants/tenant-b/keys');
    assert.equal(created.status, 201);
    keyB = created.body.key;
    execB = (await invoke(server, 'tenant-b', 'fb', null)).body.executionId;
  });
  after(async () => server.close());

  it('refuses requests without a key or with an unknown key', async () => {
    const none = await server.request('GET', '/v1/tenants/tenant-a/functions', undefined, null);
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'UNAUTHORIZED');
    assert.match(none.body.error.message, /^missing API key: send "Authorization: Bearer <key>"/);
    const wrong = await server.request('GET', '/v1/tenants/tenant-a/functions', undefined, 'ak_nope');
    assert.equal(wrong.status, 401);
  });

  /** GET of tenant-a's functions with `authorization` as the whole header value. */
  async function withHeader(authorization: string) {
    const res = await fetch(`${server.url}/v1/tenants/tenant-a/functions`, { headers: { authorization } });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  }

  it('takes the Bearer scheme in any case, with extra spaces', async () => {
    for (const header of [`bearer ${keyA}`, `BEARER ${keyA}`, `Bearer   ${keyA}  `, `  bEaReR\t${keyA}`]) {
      const res = await withHeader(header);
      assert.equal(res.status, 200, `${JSON.stringify(header.replace(keyA, '<key>'))}: ${JSON.stringify(res.body)}`);
    }
  });

  it('says the header must be "Bearer <key>" when it has no Bearer scheme, instead of "missing"', async () => {
    const cases: [string, RegExp][] = [
      [keyA, /^the Authorization header has no scheme \(a bare key\?\); it must be "Bearer <key>"/],
      ['Basic dXNlcjpwYXNz', /^the Authorization header has the scheme "Basic"; it must be "Bearer <key>"/],
      [`${keyA} ${keyA}`, /^the Authorization header does not start with Bearer; it must be "Bearer <key>"/],
      ['Bearer', /^the Authorization header has no key; it must be "Bearer <key>"/],
    ];
    for (const [header, message] of cases) {
      const res = await withHeader(header);
      assert.equal(res.status, 401);
      assert.equal(res.body.error?.code, 'UNAUTHORIZED');
      assert.match(res.body.error!.message, message);
      assert.doesNotMatch(res.body.error!.message, /missing/);
      assert.ok(!res.body.error!.message.includes(keyA), 'the key is not repeated back');
    }
  });

  it('lets a tenant key use its own tenant', async () => {
    const res = await invoke(server, 'tenant-a', 'fa', null, keyA);
    assert.equal(res.status, 200);
    assert.equal(res.body.result, 'a');
    const list = await server.request('GET', '/v1/tenants/tenant-a/functions', undefined, keyA);
    assert.equal(list.status, 200);
  });

  it("never lets tenant A's key reach tenant B", async () => {
    const attempts: [string, string, unknown?][] = [
      ['GET', '/v1/tenants/tenant-b/functions'],
      ['GET', '/v1/tenants/tenant-b/functions/fb'],
      ['PUT', '/v1/tenants/tenant-b/functions/fb', { code: 'export default () => "pwned"' }],
      ['DELETE', '/v1/tenants/tenant-b/functions/fb'],
      ['POST', '/v1/tenants/tenant-b/functions/fb/invoke', { input: null }],
      ['GET', `/v1/tenants/tenant-b/executions/${execB}`],
      ['GET', '/v1/tenants/tenant-b/executions'],
      ['GET', '/v1/tenants/tenant-b/keys'],
    ];
    for (const [method, path, body] of attempts) {
      const res = await server.request(method, path, body, keyA);
      assert.equal(res.status, 403, `${method} ${path} gave ${res.status}`);
      assert.equal(res.body.error.code, 'FORBIDDEN');
      assert.doesNotMatch(JSON.stringify(res.body), /secret-of-b/);
    }
    // The function of B is untouched.
    assert.equal((await invoke(server, 'tenant-b', 'fb', null, keyB)).body.result, 'secret-of-b');
  });

  it("refuses tenant A's key on tenant B's routes before it looks at the request (403, never 400 or 404)", async () => {
    const attempts: [string, string, unknown?][] = [
      ['POST', '/v1/tenants/tenant-b/functions/fb/invoke', { code: 1 }],
      ['PUT', '/v1/tenants/tenant-b/functions/fb', { code: 'export default 1', surprise: true }],
      ['GET', '/v1/tenants/tenant-b/executions?limit=nope'],
      ['GET', '/v1/tenants/tenant-b/functions/no-such-function'],
      ['POST', '/v1/tenants/tenant-b/functions/fb/jobs', 'not an object'],
    ];
    for (const [method, path, body] of attempts) {
      const res = await server.request(method, path, body, keyA);
      assert.equal(res.status, 403, `${method} ${path} gave ${res.status}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'FORBIDDEN');
    }
  });

  it("does not find tenant B's execution through tenant A's path", async () => {
    const res = await server.request('GET', `/v1/tenants/tenant-a/executions/${execB}`, undefined, keyA);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'EXECUTION_NOT_FOUND');
  });

  it('reserves key management to the admin and honours revocation', async () => {
    const byTenant = await server.request('POST', '/v1/tenants/tenant-a/keys', undefined, keyA);
    assert.equal(byTenant.status, 403);
    const extra = await server.request('POST', '/v1/tenants/tenant-a/keys');
    const listed = await server.request('GET', '/v1/tenants/tenant-a/keys', undefined, keyA);
    assert.ok(listed.body.keys.some((k: { id: string }) => k.id === extra.body.id));
    assert.ok(listed.body.keys.every((k: { key?: string }) => k.key === undefined), 'keys are never listed');
    assert.equal((await invoke(server, 'tenant-a', 'fa', null, extra.body.key)).status, 200);
    const revoked = await server.request('DELETE', `/v1/tenants/tenant-a/keys/${extra.body.id}`);
    assert.equal(revoked.status, 204);
    assert.equal((await invoke(server, 'tenant-a', 'fa', null, extra.body.key)).status, 401);
    const again = await server.request('DELETE', `/v1/tenants/tenant-a/keys/${extra.body.id}`);
    assert.equal(again.status, 404);
    assert.equal(again.body.error.message, `no key ${extra.body.id} for tenant tenant-a; list them with \`airlock keys list tenant-a\` (GET /v1/tenants/tenant-a/keys)`);
  });

  it('names a key at creation and shows the name in listings; an unnamed key has name null', async () => {
    const named = await server.request('POST', '/v1/tenants/tenant-c/keys', { name: 'ci pipeline' });
    assert.equal(named.status, 201, JSON.stringify(named.body));
    assert.equal(named.body.name, 'ci pipeline');
    const unnamed = await server.request('POST', '/v1/tenants/tenant-c/keys');
    assert.equal(unnamed.body.name, null);
    const listed = await server.request('GET', '/v1/tenants/tenant-c/keys');
    assert.deepEqual(
      (listed.body.keys as { id: string; name: string | null }[]).map((k) => [k.id, k.name]),
      [[named.body.id, 'ci pipeline'], [unnamed.body.id, null]],
    );
    for (const bad of [{ name: '' }, { name: 'x'.repeat(65) }, { name: 'line\nbreak' }, { label: 'ci' }]) {
      const res = await server.request('POST', '/v1/tenants/tenant-c/keys', bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
    }
  });
});

describe('an admin key given in AIRLOCK_ADMIN_KEY', () => {
  const adminKey = 'correct horse battery staple';
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ AIRLOCK_ADMIN_KEY: adminKey });
  });
  after(async () => server.close());

  it('passes whole, spaces inside it included, whatever the case of the scheme', async () => {
    for (const header of [`Bearer ${adminKey}`, `bearer  ${adminKey} `]) {
      const res = await fetch(`${server.url}/v1/tenants/acme/functions`, { headers: { authorization: header } });
      assert.equal(res.status, 200, `${JSON.stringify(header)}: ${await res.text()}`);
    }
  });
});
