// `airlock tenants` against a real server: list as a table (counts, yes/no for jobs and
// executions), as JSON, and a page at a time with the command for the next page; delete refuses
// without --yes, saying what would be deleted and how to confirm, and deletes with it; a deletion
// that cannot complete ends with exit 1 (against a fake server), not 0.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cliRig } from '../support/cli-rig.js';
import { runCli } from '../support/process.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('airlock tenants', () => {
  let server: TestServer;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0' });
    env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    await deploy(server, 'acme', 'echo', 'export default async (input) => input;');
    await deploy(server, 'acme', 'twice', 'export default async (input) => [input, input];');
    assert.equal((await invoke(server, 'acme', 'echo', 1)).body.status, 'succeeded');
    await server.request('POST', '/v1/tenants/globex/keys');
  });
  after(() => server.close());

  it('lists the tenants as a table, as JSON, and a page at a time', async () => {
    const table = await runCli(['tenants', 'list'], env);
    assert.equal(table.code, 0, table.stderr);
    assert.deepEqual(table.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/)), [
      ['TENANT', 'FUNCTIONS', 'KEYS', 'SECRETS', 'SCHEDULES', 'JOBS', 'BACKLOG', 'EXECUTIONS'],
      ['acme', '2', '0', '0', '0', 'no', '0', 'yes'],
      ['globex', '0', '1', '0', '0', 'no', '0', 'no'],
    ]);
    const json = await runCli(['tenants', 'list', '--json'], env);
    assert.deepEqual(JSON.parse(json.stdout).tenants.map((t: { tenant: string }) => t.tenant), ['acme', 'globex']);
    const page = await runCli(['tenants', 'list', '--limit', '1'], env);
    assert.equal(page.stdout.trimEnd().split('\n').length, 2);
    assert.equal(page.stderr, 'more: airlock tenants list --limit 1 --after acme\n');
    const next = await runCli(['tenants', 'list', '--limit', '1', '--after', 'acme'], env);
    assert.match(next.stdout, /^TENANT .*\nglobex /);
  });

  it('delete refuses without --yes, saying what it would delete and how to confirm; with --yes it deletes', async () => {
    const refused = await runCli(['tenants', 'delete', 'acme'], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /not deleted: this deletes everything of tenant acme and cannot be undone/);
    assert.match(refused.stderr, /2 function\(s\) with all their versions/);
    assert.match(refused.stderr, /its execution records/);
    assert.match(refused.stderr, /to confirm, run: airlock tenants delete acme --yes/);
    assert.equal((await server.request('GET', '/v1/tenants/acme')).status, 200, 'nothing was deleted');

    const done = await runCli(['tenants', 'delete', 'acme', '--yes'], env);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^deleted tenant acme\n/);
    assert.match(done.stdout, /\nfunctions +2\n/);
    assert.match(done.stdout, /\nexecutions +1\n/);
    assert.equal((await server.request('GET', '/v1/tenants/acme')).status, 404);

    const again = await runCli(['tenants', 'delete', 'acme', '--yes'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /TENANT_NOT_FOUND/);
    const json = await runCli(['tenants', 'delete', 'globex', '--yes', '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual([JSON.parse(json.stdout).deleted.keys, JSON.parse(json.stdout).complete], [1, true]);
    assert.equal((await runCli(['tenants', 'list'], env)).stdout, 'no tenants yet: nothing is stored under any tenant name\n');
  });
});

describe('airlock tenants delete --yes that cannot complete', () => {
  // A server whose deletion never completes and, after the first call, deletes nothing more.
  let calls = 0;
  const { env, requests } = cliRig('tenants-incomplete', (req) => {
    if (req.method !== 'DELETE') return { status: 404, json: { error: { code: 'NOT_FOUND', message: 'no' } } };
    calls++;
    const deleted = { functions: calls === 1 ? 2 : 0, versions: 0, webhooks: 0, webhookVerifications: 0, keys: 0, secrets: 0, schedules: 0, scheduleRuns: 0, jobs: 0, executions: 0, queueState: 0 };
    return { status: 200, json: { tenant: 'acme', deleted, stoppedJobs: 0, retiredSandboxes: 0, complete: false } };
  });

  it('stops once a call deletes nothing more and exits 1 with DELETE_INCOMPLETE, not 0', async () => {
    const r = await runCli(['tenants', 'delete', 'acme', '--yes'], env);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(requests.filter((q) => q.method === 'DELETE').length, 2, 'no burst of calls that delete nothing');
    assert.match(r.stdout, /^deleted tenant acme \(not complete\)$/m);
    assert.match(r.stderr, /^error DELETE_INCOMPLETE: tenant acme is not deleted completely after 2 call\(s\)/);
  });
});
