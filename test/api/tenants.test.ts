// GET /v1/tenants and DELETE /v1/tenants/{tenant} against a real server (real SQLite file, bwrap
// sandboxes, HTTP on 127.0.0.1): the listing with counts and pages; a deletion that removes every
// kind of data of the tenant (checked through the API and in the SQLite file itself), stops its
// running job, retires its warm sandboxes and leaves the other tenant untouched; tenant keys are
// refused; a second deletion is 404 TENANT_NOT_FOUND; the deletion is audit-logged.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SQLITE_FILE } from '../../src/store/index.js';
import { captureLog } from '../support/log-capture.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { tenantRows } from '../support/tenant-rows.js';
import { TestClock } from './schedules-support.js';
import { FAST_JOBS, finished, getJob, submit, waitJob } from './jobs-support.js';

// Saves a checkpoint first, so the test knows the function is running inside its sandbox.
const SLEEPER = `export default async (input, ctx) => {
  await ctx.checkpoint.save({ started: true });
  await new Promise((r) => setTimeout(r, input.ms));
  return 'slept';
};`;
const ECHO = 'export default async (input) => input;';

/** Polls `check` until it answers true; fails with `what` after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('tenants API', () => {
  const log = captureLog('info');
  const clock = new TestClock(Date.now());
  let server: TestServer;
  let acmeKey: string;
  let globexKey: string;
  let sleepJob: string;
  let executionId: string;
  let hookPath: string;

  before(async () => {
    server = await startTestServer(
      { ...FAST_JOBS, AIRLOCK_JOB_CONCURRENCY: '4', AIRLOCK_QUEUE_TENANT_CONCURRENCY: '4', AIRLOCK_SCHEDULE_POLL_MS: '3600000' },
      { scheduleClock: clock.now },
      log.logger,
    );
    await deploy(server, 'acme', 'echo', ECHO);
    await deploy(server, 'acme', 'sleep', SLEEPER);
    await deploy(server, 'globex', 'echo', ECHO);
    acmeKey = (await server.request('POST', '/v1/tenants/acme/keys', { name: 'ci' })).body.key;
    globexKey = (await server.request('POST', '/v1/tenants/globex/keys')).body.key;
    assert.equal((await server.request('PUT', '/v1/tenants/acme/secrets/signing', { value: 'whsec-1', hosts: [] })).status, 201);
    assert.equal((await server.request('PUT', '/v1/tenants/acme/secrets/api', { value: 'tok-1', hosts: ['api.example.com'] })).status, 201);
    assert.equal((await server.request('PUT', '/v1/tenants/acme/functions/sleep/webhook/verify', { preset: 'github', secret: 'signing' })).status, 201);
    // An execution record and an idle warm sandbox of each tenant.
    const called = await invoke(server, 'acme', 'echo', { n: 1 }, acmeKey);
    assert.equal(called.body.status, 'succeeded');
    executionId = called.body.executionId;
    assert.equal((await invoke(server, 'globex', 'echo', { n: 1 }, globexKey)).body.status, 'succeeded');
    // A webhook delivery (a job on the interactive lane), run to its end.
    hookPath = (await server.request('GET', '/v1/tenants/acme/functions/echo/webhook')).body.path;
    const delivered = await fetch(server.url + hookPath, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(delivered.status, 202);
    const hookJob = ((await delivered.json()) as { jobId: string }).jobId;
    await waitJob(server, 'acme', hookJob, finished);
    // A schedule with one occurrence fired (its job run to its end).
    assert.equal((await server.request('PUT', '/v1/tenants/acme/schedules/hourly', { function: 'echo', everySeconds: 3600 })).status, 201);
    clock.advance(3_601_000);
    await server.airlock.scheduleRunner.tick();
    const runs = await server.request('GET', '/v1/tenants/acme/schedules/hourly/runs');
    assert.ok(runs.body.runs.length >= 1, JSON.stringify(runs.body));
    const fired = runs.body.runs.find((r: { jobId?: string }) => r.jobId !== undefined && r.jobId !== null);
    if (fired !== undefined) await waitJob(server, 'acme', fired.jobId, finished);
    // A job running in its sandbox, with a checkpoint.
    sleepJob = await submit(server, 'acme', 'sleep', { input: { ms: 120_000 } });
    await waitJob(server, 'acme', sleepJob, (j) => j.status === 'running' && j.checkpointAt !== undefined);
    // While it runs, a call leaves a second, idle warm sandbox of acme.
    assert.equal((await invoke(server, 'acme', 'echo', { n: 2 }, acmeKey)).body.status, 'succeeded');
  });
  after(() => server.close());

  it('lists the tenants with their counts, a page at a time; a tenant key is refused', async () => {
    const all = await server.request('GET', '/v1/tenants');
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.deepEqual(all.body, {
      tenants: [
        // acme's backlog: the job still running.
        { tenant: 'acme', functions: 2, keys: 1, secrets: 2, schedules: 1, jobs: true, executions: true, backlog: 1 },
        { tenant: 'globex', functions: 1, keys: 1, secrets: 0, schedules: 0, jobs: false, executions: true, backlog: 0 },
      ],
      next: null,
    });
    const first = await server.request('GET', '/v1/tenants?limit=1');
    assert.deepEqual([first.body.tenants.map((t: { tenant: string }) => t.tenant), first.body.next], [['acme'], 'acme']);
    const second = await server.request('GET', '/v1/tenants?limit=1&after=acme');
    assert.deepEqual([second.body.tenants.map((t: { tenant: string }) => t.tenant), second.body.next], [['globex'], 'globex']);
    const last = await server.request('GET', '/v1/tenants?limit=1&after=globex');
    assert.deepEqual(last.body, { tenants: [], next: null });
    const one = await server.request('GET', '/v1/tenants/globex');
    assert.deepEqual(one.body, all.body.tenants[1]);

    for (const [method, path] of [['GET', '/v1/tenants'], ['GET', '/v1/tenants/acme'], ['DELETE', '/v1/tenants/acme']] as const) {
      const refused = await server.request(method, path, undefined, acmeKey);
      assert.equal(refused.status, 403, `${method} ${path}`);
      assert.equal(refused.body.error.code, 'FORBIDDEN');
    }
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions', undefined, acmeKey)).status, 200, 'refused, the tenant still exists');
    // Another tenant's admin-only route: the refusal does not suggest a key of that tenant (none would do).
    for (const [method, path, action] of [
      ['GET', '/v1/tenants/globex', 'read tenants'],
      ['DELETE', '/v1/tenants/globex', 'delete tenants'],
      ['POST', '/v1/tenants/globex/keys', 'create keys'],
      ['DELETE', '/v1/tenants/globex/keys/k_x', 'revoke keys'],
    ] as const) {
      const refused = await server.request(method, path, undefined, acmeKey);
      assert.equal(refused.status, 403, `${method} ${path}`);
      assert.equal(refused.body.error.message, `this key cannot access tenant "globex"; only the admin key can ${action}`, `${method} ${path}`);
    }
    const otherRoute = await server.request('GET', '/v1/tenants/globex/functions', undefined, acmeKey);
    assert.equal(otherRoute.body.error.message, 'this key cannot access tenant "globex"; use a key of that tenant or the admin key');
  });

  it('deletes everything of the tenant, stops its running job, retires its sandboxes; the other tenant is untouched', async () => {
    const pool = server.airlock.pool;
    assert.ok(pool.stats().idle >= 2 && pool.stats().busy >= 1, JSON.stringify(pool.stats()));

    const res = await server.request('DELETE', '/v1/tenants/acme');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { deleted } = res.body;
    assert.equal(res.body.tenant, 'acme');
    assert.equal(res.body.complete, true);
    assert.equal(res.body.stoppedJobs, 1);
    assert.ok(res.body.retiredSandboxes >= 2, JSON.stringify(res.body));
    assert.deepEqual(
      [deleted.functions, deleted.versions, deleted.webhooks, deleted.webhookVerifications, deleted.keys, deleted.secrets, deleted.schedules, deleted.queueState],
      [2, 2, 2, 1, 1, 2, 1, 1],
      JSON.stringify(deleted),
    );
    assert.ok(deleted.jobs >= 3 && deleted.executions >= 3 && deleted.scheduleRuns >= 1, JSON.stringify(deleted));

    // Not a row of the tenant is left in any table of the file; the other tenant's rows are all there.
    const file = join(server.dataDir, SQLITE_FILE);
    for (const [table, n] of Object.entries(tenantRows(file, 'acme'))) assert.equal(n, 0, `rows of acme left in ${table}`);
    const globex = tenantRows(file, 'globex');
    assert.deepEqual([globex.functions, globex.function_versions, globex.webhooks, globex.api_keys], [1, 1, 1, 1]);
    assert.ok(globex.executions! >= 1);

    // Through the API: the key is refused at once, the webhook URL and the records are gone.
    assert.equal((await server.request('GET', '/v1/tenants/acme/functions', undefined, acmeKey)).status, 401);
    const hook = await fetch(server.url + hookPath, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(hook.status, 404);
    assert.deepEqual((await server.request('GET', '/v1/tenants/acme/functions')).body, { functions: [] });
    assert.deepEqual((await server.request('GET', '/v1/tenants/acme/keys')).body, { keys: [] });
    assert.deepEqual((await server.request('GET', '/v1/tenants/acme/secrets')).body.secrets, []);
    assert.deepEqual((await server.request('GET', '/v1/tenants/acme/schedules')).body.schedules, []);
    assert.deepEqual((await server.request('GET', '/v1/tenants/acme/jobs')).body.jobs, []);
    assert.deepEqual((await server.request('GET', '/v1/tenants/acme/executions')).body.executions, []);
    assert.equal((await server.request('GET', `/v1/tenants/acme/jobs/${sleepJob}`)).body.error.code, 'JOB_NOT_FOUND');
    assert.equal((await server.request('GET', `/v1/tenants/acme/executions/${executionId}`)).status, 404);
    const listed = await server.request('GET', '/v1/tenants');
    assert.deepEqual(listed.body.tenants.map((t: { tenant: string }) => t.tenant), ['globex']);

    // The running slice was stopped and no sandbox of acme is left: only globex's warm one is idle.
    await until('acme sandboxes gone', () => pool.stats().busy === 0 && pool.stats().idle === 1);
    const again = await invoke(server, 'globex', 'echo', { n: 2 }, globexKey);
    assert.deepEqual([again.status, again.body.status, again.body.start], [200, 'succeeded', 'warm']);
    assert.equal((await getJob(server, 'globex', 'nope').catch(() => undefined)), undefined);

    const line = log.lines().find((l) => l.audit === 'tenant.delete');
    assert.ok(line, 'audit line');
    assert.deepEqual([line.tenant, line.object, line.keyId, line.complete, line.functions], ['acme', 'tenant/acme', 'admin', true, 2]);
  });

  it('a tenant with nothing stored is 404 TENANT_NOT_FOUND, deleted again included', async () => {
    for (const [method, path] of [['DELETE', '/v1/tenants/acme'], ['GET', '/v1/tenants/acme'], ['DELETE', '/v1/tenants/never-seen']] as const) {
      const res = await server.request(method, path);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.body.error.code, 'TENANT_NOT_FOUND');
      assert.match(res.body.error.message, /airlock tenants list/);
    }
    assert.equal((await server.request('DELETE', '/v1/tenants/Bad!Name')).status, 400);
  });
});
