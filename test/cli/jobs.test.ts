// `airlock jobs` against a real server: submit (inline and @file input, idempotency key), get,
// list as a table and as JSON, cancel, retry, and usage errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../support/process.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, finished, waitJob } from '../api/jobs-support.js';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('airlock jobs', () => {
  let server: TestServer;
  let work: string;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer(FAST_JOBS);
    work = mkdtempSync(join(tmpdir(), 'airlock-cli-jobs-'));
    env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    await deploy(server, 'acme', 'add', `export default async (input) => input.a + input.b;`);
    await deploy(server, 'acme', 'hold', `export default async () => { await new Promise((r) => setTimeout(r, 120000)); };`);
  });
  after(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('submits with inline input and an idempotency key, then gets the finished job', async () => {
    const first = await cli(['jobs', 'submit', 'acme/add', '--input', '{"a":2,"b":3}', '--idempotency-key', 'k-1'], env);
    assert.equal(first.code, 0, first.stderr);
    const { jobId } = JSON.parse(first.stdout) as { jobId: string };
    assert.match(jobId, /^qi_/);
    const again = await cli(['jobs', 'submit', 'acme/add', '--input', '{"b":3,"a":2}', '--idempotency-key', 'k-1'], env);
    assert.deepEqual(JSON.parse(again.stdout), { jobId, created: false });
    const other = await cli(['jobs', 'submit', 'acme/add', '--input', '{"a":9,"b":9}', '--idempotency-key', 'k-1'], env);
    assert.equal(other.code, 1, other.stdout);
    assert.match(other.stderr, new RegExp(`IDEMPOTENCY_CONFLICT.*already names job ${jobId}, submitted with another input`));
    await waitJob(server, 'acme', jobId, finished);
    const got = await cli(['jobs', 'get', 'acme', jobId], env);
    assert.equal(got.code, 0, got.stderr);
    const job = JSON.parse(got.stdout) as { status: string; result: unknown };
    assert.deepEqual([job.status, job.result], ['succeeded', 5]);
  });

  it('submits input from a file and lists jobs as a table and as JSON', async () => {
    const file = join(work, 'input.json');
    writeFileSync(file, '{"a":40,"b":2}');
    const res = await cli(['jobs', 'submit', 'acme/add', '--input', `@${file}`], env);
    const { jobId } = JSON.parse(res.stdout) as { jobId: string };
    await waitJob(server, 'acme', jobId, finished);
    const table = await cli(['jobs', 'list', 'acme', '--function', 'add', '--status', 'succeeded'], env);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+FUNCTION\s+STATUS\s+ATTEMPTS\s+RUNS\s+UPDATED$/);
    assert.match(lines[1]!, new RegExp(`^${jobId}\\s+add\\s+succeeded\\s+0\\s+1\\s+\\S+$`));
    const json = await cli(['jobs', 'list', 'acme', '--json'], env);
    const { jobs } = JSON.parse(json.stdout) as { jobs: { id: string; result: unknown }[] };
    assert.equal(jobs.find((j) => j.id === jobId)?.result, 42);
  });

  it('finds the job an idempotency key names', async () => {
    const res = await cli(['jobs', 'submit', 'acme/add', '--input', '{"a":1,"b":1}', '--idempotency-key', 'order 9'], env);
    const { jobId } = JSON.parse(res.stdout) as { jobId: string };
    const found = await cli(['jobs', 'list', 'acme', '--idempotency-key', 'order 9'], env);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout.trimEnd().split('\n')[1]!, new RegExp(`^${jobId}\\s+add\\s`));
    assert.equal(found.stderr, '', 'no page after it');
    const none = await cli(['jobs', 'list', 'acme', '--idempotency-key', 'nothing-here'], env);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /no jobs for tenant acme with --idempotency-key nothing-here/);
  });

  it('cancels a running job', async () => {
    const res = await cli(['jobs', 'submit', 'acme/hold'], env);
    const { jobId } = JSON.parse(res.stdout) as { jobId: string };
    const cancel = await cli(['jobs', 'cancel', 'acme', jobId], env);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal((JSON.parse(cancel.stdout) as { status: string }).status, 'cancelled');
    assert.equal(cancel.stderr, '');
  });

  it('says when a job to cancel had already ended', async () => {
    const res = await cli(['jobs', 'submit', 'acme/add', '--input', '{"a":1,"b":1}'], env);
    const { jobId } = JSON.parse(res.stdout) as { jobId: string };
    await waitJob(server, 'acme', jobId, finished);
    const cancel = await cli(['jobs', 'cancel', 'acme', jobId], env);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal((JSON.parse(cancel.stdout) as { status: string }).status, 'succeeded');
    assert.equal(cancel.stderr, `job ${jobId} had already ended (succeeded): nothing was cancelled\n`);
  });

  it('retries a cancelled job with a new deadline and says how to follow it; a job that cannot be retried is an error', async () => {
    const res = await cli(['jobs', 'submit', 'acme/hold', '--max-attempts', '2'], env);
    const { jobId } = JSON.parse(res.stdout) as { jobId: string };
    await cli(['jobs', 'cancel', 'acme', jobId], env);
    const retried = await cli(['jobs', 'retry', 'acme', jobId, '--deadline-ms', '60000', '--max-attempts', '3'], env);
    assert.equal(retried.code, 0, retried.stderr);
    const job = JSON.parse(retried.stdout) as { id: string; status: string; maxAttempts: number };
    assert.deepEqual([job.id, job.status, job.maxAttempts], [jobId, 'queued', 3]);
    assert.equal(retried.stderr, `job ${jobId} is queued again; follow it with: airlock jobs get acme ${jobId}\n`);
    const detail = await server.request('GET', `/v1/tenants/acme/jobs/${jobId}`);
    assert.ok(Date.parse(detail.body.deadlineAt) - Date.parse(detail.body.retriedAt) === 60_000, JSON.stringify(detail.body));

    const busy = await cli(['jobs', 'retry', 'acme', jobId], env);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /JOB_NOT_RETRYABLE/);
    await cli(['jobs', 'cancel', 'acme', jobId], env);
    const wrongOption = await cli(['jobs', 'retry', 'acme', jobId, '--input', '1'], env);
    assert.equal(wrongOption.code, 2, wrongOption.stderr);
  });

  it('retries the cancelled jobs of a function at once, and says how many', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await cli(['jobs', 'submit', 'acme/hold'], env);
      ids.push((JSON.parse(res.stdout) as { jobId: string }).jobId);
    }
    for (const id of ids) await cli(['jobs', 'cancel', 'acme', id], env);
    const retried = await cli(['jobs', 'retry', 'acme', '--function', 'hold', '--status', 'cancelled', '--limit', '1'], env);
    assert.equal(retried.code, 0, retried.stderr);
    assert.deepEqual(JSON.parse(retried.stdout), { retried: [ids[1]], skipped: [], more: true });
    assert.equal(retried.stderr, '1 cancelled job(s) of acme/hold queued again; more are left: run the same command again\n');
    for (const id of ids) await cli(['jobs', 'cancel', 'acme', id], env);
  });

  it('reports usage and API errors', async () => {
    const usage = await cli(['jobs', 'get', 'acme'], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /airlock jobs get <tenant> <id>/);
    const badInput = await cli(['jobs', 'submit', 'acme/add', '--input', '{nope'], env);
    assert.equal(badInput.code, 2);
    const missing = await cli(['jobs', 'get', 'acme', 'qi_missing'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /JOB_NOT_FOUND/);
  });
});
