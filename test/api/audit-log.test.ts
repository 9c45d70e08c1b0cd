// What the server log records of who did what, on a real server: an info audit line for every
// change (keys, deploys, rollbacks, function deletes, secrets, schedules, webhook rotation, job
// cancels and retries) naming the
// tenant, the object and the key id that made it, and never a key, a secret value, code or an
// input; a warn line for each refused authentication (401/403) with the key id when known, the
// remote address and the route pattern, bounded per second with a line counting the rest; and
// at debug level only, one access line per request.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REFUSAL_LINES_PER_SECOND } from '../../src/api/refusal-log.js';
import { captureLog } from '../support/log-capture.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const CODE_MARKER = 'code-marker-5e1f0a';
const INPUT_MARKER = 'input-marker-77c2d9';
const SECRET_VALUE = 'secret-value-marker-0b93aa';
const CODE = `export default (input) => ({ got: input, from: '${CODE_MARKER}' })`;

type Line = Record<string, unknown>;
const audits = (lines: Line[]): Line[] => lines.filter((l) => typeof l.audit === 'string');

describe('audit and refusal lines (info level)', () => {
  const log = captureLog('info');
  let server: TestServer;
  let tenantKey: { id: string; key: string };
  let otherKey: { id: string; key: string };

  before(async () => {
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0' }, {}, log.logger);
  });
  after(async () => server.close());

  it('records each change with event, tenant, object and the key id that made it; nothing secret', async () => {
    tenantKey = (await server.request('POST', '/v1/tenants/acme/keys', { name: 'ci' })).body;
    otherKey = (await server.request('POST', '/v1/tenants/globex/keys')).body;
    const as = tenantKey.key;
    const first = await server.request('PUT', '/v1/tenants/acme/functions/echo', { code: CODE }, as);
    assert.equal(first.status, 201);
    const second = await server.request('PUT', '/v1/tenants/acme/functions/echo', { code: `${CODE} // 2` }, as);
    assert.equal(second.status, 201);
    assert.equal((await server.request('PUT', '/v1/tenants/acme/functions/echo/latest', { version: first.body.version }, as)).status, 200);
    assert.equal((await invoke(server, 'acme', 'echo', { marker: INPUT_MARKER }, as)).body.status, 'succeeded');
    assert.equal((await server.request('PUT', '/v1/tenants/acme/secrets/stripe', { value: SECRET_VALUE, hosts: ['api.stripe.com'] }, as)).status, 201);
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/secrets/stripe', undefined, as)).status, 204);
    assert.equal((await server.request('PUT', '/v1/tenants/acme/schedules/nightly', { function: 'echo', everySeconds: 3600 }, as)).status, 201);
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/schedules/nightly', undefined, as)).status, 204);
    const rotated = await server.request('POST', '/v1/tenants/acme/functions/echo/webhook/rotate', undefined, as);
    assert.equal(rotated.status, 200);
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/functions/echo', undefined, as)).status, 204);
    assert.equal((await server.request('DELETE', `/v1/tenants/globex/keys/${otherKey.id}`)).status, 204);

    const got = audits(log.lines()).map((l) => [l.audit, l.tenant, l.object, l.keyId, l.remote, l.level]);
    const by = tenantKey.id;
    assert.deepEqual(got, [
      ['key.create', 'acme', `key/${tenantKey.id}`, 'admin', '127.0.0.1', 30],
      ['key.create', 'globex', `key/${otherKey.id}`, 'admin', '127.0.0.1', 30],
      ['function.deploy', 'acme', 'function/echo', by, '127.0.0.1', 30],
      ['function.deploy', 'acme', 'function/echo', by, '127.0.0.1', 30],
      ['function.rollback', 'acme', 'function/echo', by, '127.0.0.1', 30],
      ['secret.set', 'acme', 'secret/stripe', by, '127.0.0.1', 30],
      ['secret.delete', 'acme', 'secret/stripe', by, '127.0.0.1', 30],
      ['schedule.set', 'acme', 'schedule/nightly', by, '127.0.0.1', 30],
      ['schedule.delete', 'acme', 'schedule/nightly', by, '127.0.0.1', 30],
      ['webhook.rotate', 'acme', 'webhook/echo', by, '127.0.0.1', 30],
      ['function.delete', 'acme', 'function/echo', by, '127.0.0.1', 30],
      ['key.revoke', 'globex', `key/${otherKey.id}`, 'admin', '127.0.0.1', 30],
    ]);
    const deployLine = audits(log.lines()).find((l) => l.audit === 'function.deploy')!;
    assert.match(String(deployLine.version), /^[0-9a-f]+$/);
    const rollbackLine = audits(log.lines()).find((l) => l.audit === 'function.rollback')!;
    assert.deepEqual([rollbackLine.version, rollbackLine.previousVersion, rollbackLine.changed], [first.body.version, second.body.version, true]);
    assert.equal(audits(log.lines())[0]!.name, 'ci');
    const text = log.text();
    for (const secret of [tenantKey.key, otherKey.key, server.adminKey, SECRET_VALUE, CODE_MARKER, INPUT_MARKER, rotated.body.token as string]) {
      assert.equal(text.includes(secret), false, `the log holds ${secret.slice(0, 12)}…`);
    }
    // A failed change is not recorded as made.
    const before = audits(log.lines()).length;
    assert.equal((await server.request('DELETE', '/v1/tenants/acme/secrets/nope', undefined, as)).status, 404);
    assert.equal(audits(log.lines()).length, before);
  });

  it('records job cancels and retries, with the function and the status a cancel left', async () => {
    const as = tenantKey.key;
    // Runs until cancelled (the cancel stops it wherever it is: queued or running).
    assert.equal((await server.request('PUT', '/v1/tenants/acme/functions/slow', { code: 'export default () => new Promise(() => {})' }, as)).status, 201);
    const submitted = await server.request('POST', '/v1/tenants/acme/functions/slow/jobs', { input: { marker: INPUT_MARKER } }, as);
    assert.equal(submitted.status, 202);
    const id = submitted.body.jobId as string;
    const start = log.lines().length;
    const cancelled = await server.request('POST', `/v1/tenants/acme/jobs/${id}/cancel`, undefined, as);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.equal((await server.request('POST', `/v1/tenants/acme/jobs/${id}/retry`, {}, as)).status, 200);
    assert.equal((await server.request('POST', `/v1/tenants/acme/jobs/${id}/cancel`)).status, 200);
    const got = audits(log.lines().slice(start)).map((l) => [l.audit, l.tenant, l.object, l.function, l.status, l.keyId]);
    assert.deepEqual(got, [
      ['job.cancel', 'acme', `job/${id}`, 'slow', 'cancelled', tenantKey.id],
      ['job.retry', 'acme', `job/${id}`, 'slow', undefined, tenantKey.id],
      ['job.cancel', 'acme', `job/${id}`, 'slow', 'cancelled', 'admin'],
    ]);
    const before = audits(log.lines()).length;
    assert.equal((await server.request('POST', `/v1/tenants/acme/jobs/job_nope/retry`, {}, as)).status, 404);
    assert.equal(audits(log.lines()).length, before, 'a refused retry is not recorded');
    assert.equal(log.text().includes(INPUT_MARKER), false);
  });

  it('logs refused authentication with the key id when recognised, the remote address and the route pattern', async () => {
    const start = log.lines().length;
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions', undefined, 'ak_not-a-key-of-this-server')).status, 401);
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions', undefined, otherKey.key)).status, 401); // revoked
    assert.equal((await server.request('GET', '/v1/tenants/globex/functions', undefined, tenantKey.key)).status, 403);
    assert.equal((await server.request('POST', '/v1/tenants/acme/keys', undefined, tenantKey.key)).status, 403);
    const refused = log.lines().slice(start).filter((l) => l.refused !== undefined);
    assert.deepEqual(refused.map((l) => [l.refused, l.code, l.keyId, l.remote, l.method, l.route, l.level]), [
      [401, 'UNAUTHORIZED', null, '127.0.0.1', 'GET', '/v1/tenants/:tenant/functions', 40],
      [401, 'UNAUTHORIZED', null, '127.0.0.1', 'GET', '/v1/tenants/:tenant/functions', 40],
      [403, 'FORBIDDEN', tenantKey.id, '127.0.0.1', 'GET', '/v1/tenants/:tenant/functions', 40],
      [403, 'FORBIDDEN', tenantKey.id, '127.0.0.1', 'POST', '/v1/tenants/:tenant/keys', 40],
    ]);
    assert.deepEqual(refused.map((l) => l.reason), [
      'unknown or revoked key',
      'unknown or revoked key',
      'this key cannot access tenant "globex"; use a key of that tenant or the admin key',
      'only the admin key can create keys; ask the operator for a new key of this tenant (airlock keys create <tenant>)',
    ]);
    // A header with something where the scheme goes: the log says only that it is malformed.
    const mangled = await fetch(`${server.url}/v1/tenants/acme/functions`, { headers: { authorization: 'Leakedadminkey123 x' } });
    assert.equal(mangled.status, 401);
    const malformed = await log.waitFor((l) => l.reason === 'malformed Authorization header', 'for the mangled header');
    assert.equal(malformed.keyId, null);
    assert.equal(log.text().includes('Leakedadminkey123'), false);
    assert.equal(log.text().includes('ak_not-a-key-of-this-server'), false);
    assert.equal(log.text().includes(otherKey.key), false);
  });

  it('a flood of refusals logs at most the per-second cap, then one line counting the rest', async () => {
    const start = log.lines().length;
    const flood = 6 * REFUSAL_LINES_PER_SECOND;
    const answers = await Promise.all(
      Array.from({ length: flood }, () => server.request('GET', '/v1/tenants/acme/functions', undefined, 'ak_flood')),
    );
    assert.ok(answers.every((a) => a.status === 401));
    const counted = (): { lines: number; suppressed: number } => {
      const after = log.lines().slice(start);
      return {
        lines: after.filter((l) => l.refused !== undefined).length,
        suppressed: after.reduce((n, l) => n + (typeof l.refusedSuppressed === 'number' ? l.refusedSuppressed : 0), 0),
      };
    };
    // Every refusal is either a line or counted in a summary line once its second is over.
    await log.waitFor(() => counted().lines + counted().suppressed === flood, `accounting for all ${flood} refusals`);
    const { lines, suppressed } = counted();
    assert.ok(suppressed > 0, `some refusals were left out (${lines} lines)`);
    assert.ok(lines < flood);
    assert.equal(log.text().includes('ak_flood'), false);
  });

  it('logs no access line at info level', () => {
    assert.equal(log.lines().some((l) => l.msg === 'request'), false);
  });
});

describe('access lines (debug level)', () => {
  const log = captureLog('debug');
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0', AIRLOCK_TENANT_CONCURRENCY: '1', AIRLOCK_QUEUE_WAIT_MS: '20' }, {}, log.logger);
  });
  after(async () => server.close());

  it('logs method, route pattern, status, duration and key id per request; never the URL of a webhook', async () => {
    const key = (await server.request('POST', '/v1/tenants/acme/keys')).body as { id: string; key: string };
    await deploy(server, 'acme', 'echo', CODE);
    const called = await invoke(server, 'acme', 'echo', { marker: INPUT_MARKER }, key.key);
    assert.equal(called.body.status, 'succeeded');
    assert.equal((await server.request('PUT', '/v1/tenants/acme/secrets/stripe', { value: 'v', hosts: ['api.stripe.com'] })).status, 201);
    const hook = await server.request('GET', '/v1/tenants/acme/functions/echo/webhook');
    const delivered = await fetch(server.url + hook.body.path, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(delivered.status, 202);
    await server.request('GET', '/v1/tenants/nope/functions', undefined, 'ak_wrong');
    const line = await log.waitFor((l) => l.msg === 'request' && l.route === '/hooks/:tenant/:function/:token', 'for the delivery');
    const access = log.lines().filter((l) => l.msg === 'request');
    const invoked = access.find((l) => l.route === '/v1/tenants/:tenant/functions/:name/invoke')!;
    assert.deepEqual([invoked.level, invoked.method, invoked.status, invoked.keyId], [20, 'POST', 200, key.id]);
    assert.deepEqual([invoked.tenant, invoked.function, invoked.executionId], ['acme', 'echo', called.body.executionId], 'an invoke names its tenant, function and execution');
    const secret = access.find((l) => l.route === '/v1/tenants/:tenant/secrets/:name')!;
    assert.deepEqual([secret.tenant, secret.function, secret.executionId], ['acme', null, null], "a secret's name is not a function");
    assert.equal(typeof invoked.ms, 'number');
    assert.deepEqual([line.method, line.status, line.keyId, line.tenant, line.function], ['POST', 202, null, 'acme', 'echo']);
    const refused = access.find((l) => l.status === 401)!;
    assert.deepEqual([refused.route, refused.keyId], ['/v1/tenants/:tenant/functions', null]);
    assert.equal(access.find((l) => l.route === '/v1/tenants/:tenant/keys')?.keyId, 'admin');
    const text = log.text();
    assert.equal(text.includes(hook.body.token as string), false, 'the webhook token is not logged');
    assert.equal(text.includes(key.key), false);
    assert.equal(text.includes(INPUT_MARKER), false);
  });

  it('an invoke answered with a large result (spliced in as text) names its execution id too', async () => {
    await deploy(server, 'acme', 'large', "export default () => 'x'.repeat(40 * 1024)");
    const called = await invoke(server, 'acme', 'large', null);
    assert.equal(called.body.status, 'succeeded');
    const line = await log.waitFor((l) => l.msg === 'request' && l.executionId === called.body.executionId, 'for the large result');
    assert.deepEqual([line.tenant, line.function, line.status], ['acme', 'large', 200]);
  });

  it("a refused call's line names the execution id of its rejected record", async () => {
    await deploy(server, 'busy', 'spin', 'export default () => { for (;;) {} }', { limits: { timeoutMs: 1000 } });
    await deploy(server, 'busy', 'quick', 'export default () => 1');
    const spinning = invoke(server, 'busy', 'spin', null);
    let refused;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const res = await invoke(server, 'busy', 'quick', null);
      if (res.status === 429) refused = res;
    }
    assert.ok(refused !== undefined, 'the spinning call holds the tenant’s only slot');
    await spinning;
    const line = await log.waitFor((l) => l.msg === 'request' && l.status === 429, 'for the refused call');
    assert.deepEqual([line.tenant, line.function, line.executionId], ['busy', 'quick', refused.body.error.executionId]);
  });
});
