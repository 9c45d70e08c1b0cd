// `airlock hooks` against a real server: show prints the URL to give the third party (a URL that
// really takes deliveries), rotate prints a new one and the old stops working, --json, and
// errors for unknown functions and bad usage.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../support/process.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, finished, waitJob } from '../api/jobs-support.js';

describe('airlock hooks', () => {
  let server: TestServer;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer(FAST_JOBS);
    env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    await deploy(server, 'acme', 'inbox', `export default async (input) => input.body;`);
  });
  after(() => server.close());

  it('show prints a URL that takes deliveries; rotate prints a new one and retires the old', async () => {
    const shown = await runCli(['hooks', 'show', 'acme/inbox'], env);
    assert.equal(shown.code, 0, shown.stderr);
    const url = shown.stdout.trim();
    assert.match(url, new RegExp(`^${server.url}/hooks/acme/inbox/whk_[A-Za-z0-9_-]{43}$`));
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(res.status, 202);
    const { jobId } = (await res.json()) as { jobId: string };
    const job = await waitJob(server, 'acme', jobId, finished);
    assert.deepEqual([job.status, job.result], ['succeeded', 'hello']);

    const rotated = await runCli(['hooks', 'rotate', 'acme/inbox', '--json'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const fresh = JSON.parse(rotated.stdout) as { token: string; path: string; url: string };
    assert.notEqual(fresh.url, url);
    assert.equal(fresh.url, server.url + fresh.path);
    assert.equal((await fetch(url, { method: 'POST', body: 'x' })).status, 404);
    assert.equal((await fetch(fresh.url, { method: 'POST', body: 'x' })).status, 202);
    const again = await runCli(['hooks', 'show', 'acme/inbox'], env);
    assert.equal(again.stdout.trim(), fresh.url);
  });

  it('an unknown function and bad usage are errors', async () => {
    const missing = await runCli(['hooks', 'show', 'acme/nope'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /FUNCTION_NOT_FOUND/);
    const usage = await runCli(['hooks', 'list'], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /airlock hooks show/);
    const target = await runCli(['hooks', 'show', 'acme'], env);
    assert.equal(target.code, 2);
  });
});
