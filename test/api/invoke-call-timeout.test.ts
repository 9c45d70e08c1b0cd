// A call's own time limit: `timeoutMs` in an invoke's body gives one call less time than the
// function's limits.timeoutMs (a caller's own deadline), never more; a call that runs out of it
// ends timeout, and its message names the call's limit. The CLI's --timeout-ms sends it.
// Real server, real bwrap sandbox, real HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/process.js';
import { deploy, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

const SLEEPY = 'export default async (input) => { await new Promise((r) => setTimeout(r, input.ms)); return { slept: input.ms }; };';

describe("invoke: a call's own time limit", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await deploy(server, 'acme', 'sleepy', SLEEPY, { limits: { timeoutMs: 5_000 } });
  });
  after(() => server.close());

  const call = (body: Record<string, unknown>) => server.request('POST', '/v1/tenants/acme/functions/sleepy/invoke', body);

  it('ends a call that runs past its own limit as timeout, naming that limit', async () => {
    const res = await call({ input: { ms: 30_000 }, timeoutMs: 200 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'timeout');
    assert.match(res.body.error.message, /^the function did not finish within 200 ms \(this call's timeoutMs; the function's limits\.timeoutMs is 5000 ms\)/);
    const record = await server.request('GET', `/v1/tenants/acme/executions/${res.body.executionId}`);
    assert.equal(record.body.status, 'timeout');
    // The function's own limit still applies to calls that ask for none, or for all of it.
    assert.equal((await call({ input: { ms: 300 } })).body.status, 'succeeded');
    assert.equal((await call({ input: { ms: 300 }, timeoutMs: 5_000 })).body.status, 'succeeded');
  });

  it('refuses more time than the function has, and less than the minimum, before running', async () => {
    const above = await call({ input: { ms: 1 }, timeoutMs: 6_000 });
    assert.equal(above.status, 400);
    assert.equal(above.body.error.code, 'LIMIT_ABOVE_MAXIMUM');
    assert.equal(
      above.body.error.message,
      "timeoutMs 6000 is above the function's limit of 5000 ms; a call may only ask for less time (redeploy acme/sleepy with a higher limits.timeoutMs for more)",
    );
    const below = await call({ input: { ms: 1 }, timeoutMs: 5 });
    assert.equal(below.status, 400);
    assert.equal(below.body.error.code, 'VALIDATION_FAILED');
    const list = await server.request('GET', '/v1/tenants/acme/executions?function=sleepy&limit=100');
    assert.equal((list.body.executions as unknown[]).length, 3, 'the refused calls left no record');
  });

  it('airlock invoke --timeout-ms sends it', async () => {
    const env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    const timedOut = await runCli(['invoke', 'acme/sleepy', '--input', '{"ms":30000}', '--timeout-ms', '200'], env);
    assert.equal(timedOut.code, 1, timedOut.stderr);
    assert.equal((JSON.parse(timedOut.stdout) as { status: string }).status, 'timeout');
    const bad = await runCli(['invoke', 'acme/sleepy', '--timeout-ms', '5'], env);
    assert.deepEqual([bad.code, bad.stderr], [2, '--timeout-ms must be a whole number >= 10, got "5"\n']);
  });
});
