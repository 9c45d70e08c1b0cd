// What the server log says, at the default info level, of executions that did not succeed, on a
// real server with real sandboxes: one warn line naming the tenant, function, version, execution
// id, status, error type and start (and the exit code of a sandbox that exited, the job of a
// slice), bounded per tenant/function/status with a summary of the rest; 429 refusals per tenant.
// A succeeded call writes nothing. A job that runs out of attempts: one warn line, and a count.
// The answer of a call whose function ended its process says a function must not do that.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { captureLog } from '../support/log-capture.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { FAST_JOBS, finished, submit, waitJob } from './jobs-support.js';

type Line = Record<string, unknown>;
const outcomes = (lines: Line[]): Line[] => lines.filter((l) => typeof l.outcome === 'string');

describe('outcome lines (info level)', () => {
  const log = captureLog('info');
  let server: TestServer;
  let stopped = false;

  before(async () => {
    server = await startTestServer({ AIRLOCK_TENANT_CONCURRENCY: '1', AIRLOCK_QUEUE_WAIT_MS: '20', ...FAST_JOBS }, {}, log.logger);
  });
  after(async () => {
    if (!stopped) await server?.close();
  });

  it('a succeeded call writes no line; a failing function one line for many failures, without its message', async () => {
    const version = await deploy(server, 'acme', 'boom', "export default (input) => { if (input === 'ok') return 1; throw new TypeError('private-tenant-text') }");
    assert.equal((await invoke(server, 'acme', 'boom', 'ok')).body.status, 'succeeded');
    const first = await invoke(server, 'acme', 'boom', null);
    for (let i = 0; i < 4; i++) assert.equal((await invoke(server, 'acme', 'boom', null)).body.status, 'failed');
    const lines = outcomes(log.lines());
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.deepEqual(
      [lines[0]!.level, lines[0]!.tenant, lines[0]!.function, lines[0]!.version, lines[0]!.executionId, lines[0]!.status, lines[0]!.errorType, lines[0]!.kind],
      [40, 'acme', 'boom', version, first.body.executionId, 'failed', 'TypeError', 'invoke'],
    );
    assert.equal(typeof lines[0]!.durationMs, 'number');
    assert.match(String(lines[0]!.start), /^(warm|pool|spawn)$/);
    assert.doesNotMatch(log.text(), /private-tenant-text/);
  });

  it('a sandbox that exits mid-run is logged killed with its exit code; the answer says not to exit the process', async () => {
    await deploy(server, 'acme', 'quit', 'export default () => { process.exit(3) }');
    const res = await invoke(server, 'acme', 'quit', null);
    assert.equal(res.body.status, 'killed');
    assert.match(res.body.error?.message ?? '', /^the sandbox process exited during the execution \(exit code 3\); a function must not end its process \(process\.exit\(\), .*\): return its result, or throw an Error to fail the call/);
    const line = await log.waitFor((l) => l.outcome === 'killed', 'for the killed run');
    assert.deepEqual([line.function, line.executionId, line.errorType, line.exitCode, line.signal], ['quit', res.body.executionId, 'SandboxExited', 3, null]);
  });

  it('a timeout is logged with the host message; the 429s it causes once for the tenant', async () => {
    await deploy(server, 'acme', 'spin', 'export default () => { for (;;) {} }', { limits: { timeoutMs: 1000 } });
    await deploy(server, 'acme', 'quick', 'export default () => 1');
    const spinning = invoke(server, 'acme', 'spin', null);
    let refused = 0;
    for (let i = 0; i < 200 && refused < 3; i++) if ((await invoke(server, 'acme', 'quick', null)).status === 429) refused++;
    assert.equal(refused, 3, 'the spinning call holds the tenant’s only slot');
    assert.equal((await spinning).body.status, 'timeout');
    const lines = outcomes(log.lines());
    const rejected = lines.filter((l) => l.status === 'rejected');
    assert.equal(rejected.length, 1, JSON.stringify(rejected));
    assert.deepEqual([rejected[0]!.tenant, rejected[0]!.errorType, rejected[0]!.start], ['acme', 'TooManyRequests', null]);
    const timeout = lines.find((l) => l.status === 'timeout');
    assert.ok(timeout !== undefined);
    assert.equal(timeout.function, 'spin');
    assert.match(String(timeout.errorMessage), /did not finish within 1000 ms/);
  });

  it('a failed job run names its job', async () => {
    await deploy(server, 'jobco', 'sync', "export default () => { throw new Error('nope') }");
    const id = await submit(server, 'jobco', 'sync', { maxAttempts: 1 });
    await waitJob(server, 'jobco', id, finished);
    const line = await log.waitFor((l) => l.outcome === 'failed' && l.tenant === 'jobco', 'for the job run');
    assert.deepEqual([line.kind, line.jobId, line.function, line.errorType], ['job', id, 'sync', 'Error']);
  });

  it('a job that runs out of attempts is logged dead once and counted apart from its failed runs', async () => {
    await deploy(server, 'jobco', 'flaky', "export default () => { throw new Error('nope') }");
    const id = await submit(server, 'jobco', 'flaky', { maxAttempts: 2 });
    const job = await waitJob(server, 'jobco', id, finished);
    assert.equal(job.status, 'dead');
    const line = await log.waitFor((l) => l.dead === true && l.job === id, 'for the dead job');
    assert.deepEqual([line.level, line.tenant, line.function, line.source, line.attempts, line.lastErrorCode], [40, 'jobco', 'flaky', 'api', 2, job.error?.code]);
    const text = await (await fetch(server.url + '/metrics')).text();
    // Two jobs died here (sync above, flaky); failed runs count every attempt (1 + 2).
    assert.match(text, /^airlock_jobs_dead_total\{source="api"\} 2$/m);
    assert.match(text, /^airlock_jobs_dead_total\{source="webhook"\} 0$/m);
    assert.match(text, /^airlock_job_runs_total\{outcome="failed"\} 3$/m);
  });

  it('the lines left out are summed up, at the latest when the server stops', async () => {
    stopped = true;
    await server.close();
    const summary = outcomes(log.lines()).find((l) => l.suppressed !== undefined && l.function === 'boom');
    assert.ok(summary !== undefined, log.text());
    assert.equal(summary.suppressed, 4, 'five failures: the first logged, four summed up');
    const refusals = outcomes(log.lines()).find((l) => l.suppressed !== undefined && l.status === 'rejected');
    assert.equal(refusals?.suppressed, 2);
  });
});
