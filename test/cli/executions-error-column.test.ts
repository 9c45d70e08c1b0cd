// `airlock executions` tables name each execution's error type. Both a call that ran out of time
// and a job slice that reached its cap (a long sync going on in its next slice, which is normal)
// end with status `timeout`; in the operator's view of who is failing (`--all-tenants --status
// timeout`) only the ERROR column tells them apart: Timeout, SliceCapReached.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { runCli } from '../support/process.js';
import { COUNTER, FAST_JOBS, submit, waitJob } from '../api/jobs-support.js';

describe('airlock executions: the ERROR column', () => {
  let server: TestServer;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer(FAST_JOBS);
    env = { AIRLOCK_URL: server.url, AIRLOCK_KEY: server.adminKey };
    await deploy(server, 'acme', 'stuck', 'export default async () => new Promise(() => {})', { limits: { timeoutMs: 50 } });
    await deploy(server, 'acme', 'count', COUNTER);
    await deploy(server, 'acme', 'echo', 'export default async (input) => input');
    const call = await invoke(server, 'acme', 'stuck', {});
    assert.equal(call.body.status, 'timeout', JSON.stringify(call.body));
    assert.equal((await invoke(server, 'acme', 'echo', 1)).body.status, 'succeeded');
    // 20 steps of 20 ms in slices capped at 150 ms: at least one slice reaches its cap.
    const job = await submit(server, 'acme', 'count', { input: { n: 20, stepMs: 20 }, maxRunMs: 150 });
    const done = await waitJob(server, 'acme', job, (j) => j.status === 'succeeded');
    assert.ok(done.runs >= 2, JSON.stringify(done));
  });
  after(() => server.close());

  /** The table's rows as column lists, header first. */
  function rows(stdout: string): string[][] {
    return stdout.trimEnd().split('\n').map((line) => line.split(/\s{2,}/));
  }

  it("a tenant's list: the type of each execution's error, - when it has none", async () => {
    const r = await runCli(['executions', 'acme', '--limit', '100'], env);
    assert.equal(r.code, 0, r.stderr);
    const [header, ...body] = rows(r.stdout);
    assert.deepEqual(header, ['ID', 'FUNCTION', 'STATUS', 'ERROR', 'START', 'MS', 'FINISHED']);
    const seen = new Set(body.map((c) => `${c[1]} ${c[2]} ${c[3]}`));
    for (const row of ['stuck timeout Timeout', 'count timeout SliceCapReached', 'count succeeded -', 'echo succeeded -']) {
      assert.ok(seen.has(row), `${row} in:\n${r.stdout}`);
    }
  });

  it('--all-tenants --status timeout: a call out of time and a job slice at its cap are told apart', async () => {
    const r = await runCli(['executions', '--all-tenants', '--status', 'timeout'], env);
    assert.equal(r.code, 0, r.stderr);
    const [header, ...body] = rows(r.stdout);
    assert.deepEqual(header, ['ID', 'TENANT', 'FUNCTION', 'STATUS', 'ERROR', 'START', 'MS', 'FINISHED']);
    const kinds = new Set(body.map((c) => `${c[2]} ${c[4]}`));
    assert.deepEqual([...kinds].sort(), ['count SliceCapReached', 'stuck Timeout']);
  });
});
