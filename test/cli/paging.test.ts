// `airlock executions` and `airlock jobs list` a page at a time, against a real server: --before
// reaches the API, --json keeps the API's `next`, and under a table a `more:` line on stderr is
// the command for the next page (with the same filters); following it walks every item once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../support/process.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS } from '../api/jobs-support.js';

/** The arguments of the command in a `more: airlock …` line (ids and names need no quoting). */
function moreArgs(stderr: string): string[] {
  const m = /^more: airlock (.+)\n$/.exec(stderr);
  assert.ok(m, `no more: line in ${JSON.stringify(stderr)}`);
  return m[1]!.split(' ');
}

/** The first column of a table's rows (its ids), header left out. */
function ids(stdout: string): string[] {
  return stdout.trimEnd().split('\n').slice(1).map((line) => line.split(/\s+/)[0]!);
}

describe('paging in the CLI', () => {
  let server: TestServer;
  let env: Record<string, string>;
  const executions: string[] = []; // newest first
  const jobs: string[] = []; // newest first
  before(async () => {
    server = await startTestServer(FAST_JOBS);
    env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    await deploy(server, 'acme', 'echo', 'export default async (input) => input;');
    await deploy(server, 'acme', 'inv', 'export default async (input) => input;');
    await deploy(server, 'acme', 'other', 'export default async () => 0;');
    for (let i = 0; i < 3; i++) {
      executions.unshift((await invoke(server, 'acme', 'inv', i)).body.executionId as string);
      jobs.unshift((await server.request('POST', '/v1/tenants/acme/functions/echo/jobs', { input: i })).body.jobId as string);
    }
    await invoke(server, 'acme', 'other', null); // filtered out below, as the jobs' runs of echo are
  });
  after(() => server.close());

  it('executions: a full page ends with the command for the next; following it lists the rest', async () => {
    const first = await runCli(['executions', 'acme', '--function', 'inv', '--limit', '2'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(ids(first.stdout), executions.slice(0, 2));
    const args = moreArgs(first.stderr);
    assert.deepEqual(args, ['executions', 'acme', '--function', 'inv', '--limit', '2', '--before', executions[1]!]);
    const second = await runCli(args, env);
    assert.deepEqual([second.code, ids(second.stdout), second.stderr], [0, executions.slice(2), '']);
  });

  it('executions --json prints the page with the API next', async () => {
    const r = await runCli(['executions', 'acme', '--function', 'inv', '--limit', '2', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const page = JSON.parse(r.stdout) as { executions: { id: string }[]; next: string | null };
    assert.deepEqual([page.executions.map((e) => e.id), page.next, r.stderr], [executions.slice(0, 2), executions[1], '']);
    const last = await runCli(['executions', 'acme', '--function', 'inv', '--before', executions[1]!, '--json'], env);
    const lastPage = JSON.parse(last.stdout) as { executions: { id: string }[]; next: string | null };
    assert.deepEqual([lastPage.executions.map((e) => e.id), lastPage.next], [executions.slice(2), null]);
  });

  it('executions --all-tenants --status: every tenant, with a TENANT column; the more: line keeps --all-tenants', async () => {
    const failed: [string, string][] = []; // [id, tenant], newest first
    for (const tenant of ['acme', 'globex', 'initech']) {
      await deploy(server, tenant, 'boom', "export default () => { throw new Error('x') }");
      failed.unshift([(await invoke(server, tenant, 'boom', null)).body.executionId as string, tenant]);
    }
    const first = await runCli(['executions', '--all-tenants', '--status', 'failed', '--limit', '2'], env);
    assert.equal(first.code, 0, first.stderr);
    const rows = first.stdout.trimEnd().split('\n');
    assert.match(rows[0]!, /^ID\s+TENANT\s+FUNCTION\s+STATUS/);
    assert.deepEqual(rows.slice(1).map((l) => l.split(/\s+/).slice(0, 2)), failed.slice(0, 2));
    const args = moreArgs(first.stderr);
    assert.deepEqual(args, ['executions', '--all-tenants', '--status', 'failed', '--limit', '2', '--before', failed[1]![0]]);
    const second = await runCli(args, env);
    assert.deepEqual([second.code, ids(second.stdout), second.stderr], [0, [failed[2]![0]], '']);
    const refused = await runCli(['executions', '--all-tenants'], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--all-tenants needs --status/);
  });

  it('jobs list: --before reaches the API, the more: line keeps the filters, --json keeps next', async () => {
    const first = await runCli(['jobs', 'list', 'acme', '--function', 'echo', '--limit', '2'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(ids(first.stdout), jobs.slice(0, 2));
    const args = moreArgs(first.stderr);
    assert.deepEqual(args, ['jobs', 'list', 'acme', '--function', 'echo', '--limit', '2', '--before', jobs[1]!]);
    const second = await runCli(args, env);
    assert.deepEqual([second.code, ids(second.stdout), second.stderr], [0, jobs.slice(2), '']);
    const json = await runCli(['jobs', 'list', 'acme', '--limit', '1', '--before', jobs[0]!, '--json'], env);
    const page = JSON.parse(json.stdout) as { jobs: { id: string }[]; next: string | null };
    assert.deepEqual([page.jobs.map((j) => j.id), page.next], [[jobs[1]], jobs[1]]);
  });

  it("executions --job lists one job's runs, and the more: line keeps it", async () => {
    const job = jobs[0]!;
    const deadline = Date.now() + 30_000;
    let listed: string[] = [];
    while (listed.length === 0 && Date.now() < deadline) {
      const r = await runCli(['executions', 'acme', '--job', job, '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      listed = (JSON.parse(r.stdout) as { executions: { jobId?: string }[] }).executions.map((e) => e.jobId ?? 'none');
      if (listed.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(listed, [job], 'its one run, and no other execution');
    const table = await runCli(['executions', 'acme', '--job', job, '--limit', '1'], env);
    assert.deepEqual(moreArgs(table.stderr).slice(0, 4), ['executions', 'acme', '--job', job]);
  });

  it('a full last page points at a page that says nothing is before it', async () => {
    const full = await runCli(['jobs', 'list', 'acme', '--limit', '3'], env);
    const empty = await runCli(moreArgs(full.stderr), env);
    assert.deepEqual(empty, { code: 0, stdout: `no jobs for tenant acme with --before ${jobs[2]}\n`, stderr: '' });
  });
});
