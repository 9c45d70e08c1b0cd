// Secrets over HTTP on a real server: create/replace/list/describe/delete answer metadata only,
// values never come back (not in any answer, not in errors), tenant keys reach only their
// tenant, the value is not in the database files at rest, and the server's SecretSource opens it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const VALUE = 'sk_live_at-rest-marker-51c9e0d2';
const A = '/v1/tenants/tenant-a/secrets';

describe('secrets API', () => {
  let server: TestServer;
  let keyA: string;
  let keyB: string;
  /** Every raw answer body, to prove the value never appears in any of them. */
  const answers: string[] = [];

  async function call(method: string, path: string, body?: unknown, key?: string | null) {
    const res = await server.request(method, path, body, key);
    answers.push(JSON.stringify(res.body ?? null));
    return res;
  }

  before(async () => {
    server = await startTestServer({ AIRLOCK_SECRET_MAX_BYTES: '256', AIRLOCK_SECRET_MAX_HOSTS: '4' });
    keyA = (await server.request('POST', '/v1/tenants/tenant-a/keys')).body.key;
    keyB = (await server.request('POST', '/v1/tenants/tenant-b/keys')).body.key;
  });
  after(async () => server.close());

  it('PUT creates (201) then replaces (200), keeping createdAt; answers carry metadata only', async () => {
    const created = await call('PUT', `${A}/stripe`, { value: VALUE, hosts: ['api.stripe.com'] }, keyA);
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(created.body).sort(), ['createdAt', 'hosts', 'name', 'updatedAt']);
    assert.deepEqual(created.body.hosts, ['api.stripe.com']);
    assert.equal(created.body.name, 'stripe');

    const deadline = Date.now() + 5_000; // make updatedAt differ from createdAt
    while (Date.now() <= Date.parse(created.body.createdAt) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    const replaced = await call('PUT', `${A}/stripe`, { value: VALUE + '-v2', hosts: ['*.stripe.com', 'api.stripe.com'] }, keyA);
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.createdAt, created.body.createdAt);
    assert.ok(Date.parse(replaced.body.updatedAt) > Date.parse(created.body.createdAt));
    assert.deepEqual(replaced.body.hosts, ['*.stripe.com', 'api.stripe.com']);
    assert.equal((await server.airlock.secrets.get('tenant-a', 'stripe'))?.value, VALUE + '-v2');
  });

  it('lists and describes without values', async () => {
    await call('PUT', `${A}/github`, { value: VALUE, hosts: ['api.github.com'] });
    const list = await call('GET', A, undefined, keyA);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.secrets.map((s: { name: string }) => s.name), ['github', 'stripe']);
    for (const s of list.body.secrets) assert.deepEqual(Object.keys(s).sort(), ['createdAt', 'hosts', 'name', 'updatedAt']);
    const one = await call('GET', `${A}/github`, undefined, keyA);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.hosts, ['api.github.com']);
    const missing = await call('GET', `${A}/nope`, undefined, keyA);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'SECRET_NOT_FOUND');
    assert.match(missing.body.error.message, /has no secret nope; list them with `airlock secrets list \S+` \(GET \/v1\/tenants\/\S+\/secrets\)$/);
  });

  it('the value is not in the database file or its WAL, while the metadata is', async () => {
    await call('PUT', `${A}/at-rest`, { value: VALUE, hosts: ['at-rest-host.example.com'] }, keyA);
    const db = join(server.dataDir, 'airlock.db');
    const files = [db, `${db}-wal`].filter((f) => existsSync(f));
    assert.ok(files.length >= 1);
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    assert.ok(bytes.includes(Buffer.from('at-rest-host.example.com')), 'reading the right files: the hosts are there');
    assert.equal(bytes.includes(Buffer.from(VALUE)), false, 'the value is not stored in clear');
    assert.equal(bytes.includes(Buffer.from(VALUE, 'utf16le')), false);
    assert.equal((await server.airlock.secrets.get('tenant-a', 'at-rest'))?.value, VALUE);
  });

  it('validation errors never echo the value', async () => {
    const long = VALUE.repeat(20); // over the 256-byte cap
    const cases: [unknown, RegExp][] = [
      [{ value: long, hosts: ['a.com'] }, /VALIDATION_FAILED/],
      [{ value: VALUE, hosts: ['not a host'] }, /VALIDATION_FAILED/],
      [{ value: VALUE, hosts: 'a.com' }, /VALIDATION_FAILED/], // not a list ([] is allowed: a webhook signing key)
      [{ value: VALUE, hosts: ['a.com', 'b.com', 'c.com', 'd.com', 'e.com'] }, /VALIDATION_FAILED/],
      [{ value: VALUE, hosts: ['a.com'], extra: VALUE }, /VALIDATION_FAILED/],
      [{ value: VALUE }, /VALIDATION_FAILED/],
      [{ value: { nested: VALUE }, hosts: ['a.com'] }, /VALIDATION_FAILED/],
      [`{"value": "${VALUE}", "hosts": ["a.com"]`, /BAD_REQUEST/], // malformed JSON
      [`{"value": "${VALUE}\u0001", "hosts": ["a.com"]}`, /BAD_REQUEST/], // control character in a string
    ];
    for (const [body, code] of cases) {
      const res = await call('PUT', `${A}/bad`, body, keyA);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.code, code);
      assert.ok(res.body.error.message.length > 0);
    }
    assert.equal((await call('GET', `${A}/bad`, undefined, keyA)).status, 404, 'nothing was stored');
  });

  it('invalid JSON is refused without quoting any of the body', async () => {
    // JSON.parse's own message would quote the text around the error: `..."{"value": sk_live_at"...`.
    const res = await call('PUT', `${A}/bad`, `{"value": ${VALUE}, "hosts": ["a.com"]}`, keyA);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'BAD_REQUEST');
    assert.match(res.body.error.message, /^request body is not valid JSON \(an unexpected character\)/);
    assert.equal(res.body.error.message.includes(VALUE.slice(0, 6)), false, res.body.error.message);
  });

  it('a body that is not JSON is 415 UNSUPPORTED_MEDIA_TYPE here too', async () => {
    const res = await fetch(`${server.url}${A}/bad`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `value=${VALUE}`,
    });
    const body = (await res.json()) as { error: { code: string; message: string } };
    answers.push(JSON.stringify(body));
    assert.equal(res.status, 415);
    assert.equal(body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    assert.match(body.error.message, /content-type "application\/x-www-form-urlencoded"; the API takes JSON/);
  });

  it("a tenant key never reaches another tenant's secrets", async () => {
    const attempts: [string, string, unknown?][] = [
      ['GET', A],
      ['GET', `${A}/stripe`],
      ['PUT', `${A}/stripe`, { value: 'pwned', hosts: ['evil.example.com'] }],
      ['PUT', `${A}/new-one`, { value: 'pwned', hosts: ['evil.example.com'] }],
      ['DELETE', `${A}/stripe`],
    ];
    for (const [method, path, body] of attempts) {
      const res = await call(method, path, body, keyB);
      assert.equal(res.status, 403, `${method} ${path} gave ${res.status}`);
      assert.equal(res.body.error.code, 'FORBIDDEN');
    }
    const intact = await server.airlock.secrets.get('tenant-a', 'stripe');
    assert.deepEqual(intact?.hosts, ['*.stripe.com', 'api.stripe.com']);
    assert.equal(intact?.value, VALUE + '-v2');
    assert.equal((await call('GET', `${A}/new-one`)).status, 404);
    assert.equal((await call('GET', A, undefined, null)).status, 401);
  });

  it('DELETE answers 204, then the secret is gone (404)', async () => {
    const del = await call('DELETE', `${A}/github`, undefined, keyA);
    assert.equal(del.status, 204);
    assert.equal((await call('GET', `${A}/github`, undefined, keyA)).status, 404);
    assert.equal((await call('DELETE', `${A}/github`, undefined, keyA)).body.error.code, 'SECRET_NOT_FOUND');
    assert.equal(await server.airlock.secrets.get('tenant-a', 'github'), undefined);
  });

  it('documents the routes in /openapi.json without any value in responses', async () => {
    const spec = (await server.request('GET', '/openapi.json', undefined, null)).body;
    const put = spec.paths['/v1/tenants/{tenant}/secrets/{name}'].put;
    assert.ok(put);
    const shown = put.responses['200'].content['application/json'].schema.properties;
    assert.deepEqual(Object.keys(shown).sort(), ['createdAt', 'hosts', 'name', 'updatedAt']);
  });

  it('no answer above ever contained the value (runs last)', () => {
    assert.ok(answers.length > 20, `saw ${answers.length} answers`);
    for (const text of answers) assert.equal(text.includes(VALUE), false, `an answer contained the value: ${text}`);
  });
});
