// GET /healthz and airlock_health_problems: ok while all works; degraded, saying what, while the
// store refuses execution records (a full disk, simulated at the store's boundary); ok again once
// the records are written. (The jobs check: test/services/jobs/claim-failure-log.test.ts; the
// secrets check: test/api/lost-secret-key.test.ts.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { failRecordWritesWhile } from '../support/full-records.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('health', () => {
  let server: TestServer;
  let full = false;
  const wrapStore = failRecordWritesWhile(() => full);

  before(async () => {
    server = await startTestServer({ AIRLOCK_RECORD_FLUSH_MS: '10' }, { wrapStore });
    await deploy(server, 'acme', 'echo', 'export default (input) => input');
  });
  after(async () => server.close());

  async function healthGauge(check: string): Promise<number> {
    const text = await (await fetch(server.url + '/metrics')).text();
    const line = text.split('\n').find((l) => l.startsWith(`airlock_health_problems{check="${check}"}`));
    assert.ok(line !== undefined, `airlock_health_problems{check="${check}"} is exported`);
    return Number(line.split(' ')[1]);
  }

  /** Polls /healthz until its status is `status` (with a deadline, never a fixed sleep). */
  async function waitHealth(status: string): Promise<{ status: string; problems: { check: string; problem: string }[] }> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const res = await server.request('GET', '/healthz', undefined, null);
      assert.equal(res.status, 200);
      if (res.body.status === status) return res.body;
      if (Date.now() > deadline) assert.fail(`healthz never said ${status}: ${JSON.stringify(res.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('is ok with no problems, and every check at 0, while all works', async () => {
    const body = await waitHealth('ok');
    assert.deepEqual(body.problems, []);
    for (const check of ['records', 'jobs', 'secrets']) assert.equal(await healthGauge(check), 0);
  });

  it('is degraded, saying why, while records cannot be written; ok again once they are', async () => {
    full = true;
    const res = await invoke(server, 'acme', 'echo', { n: 1 });
    assert.equal(res.body.status, 'succeeded', 'calls are still answered');
    const degraded = await waitHealth('degraded');
    assert.deepEqual(degraded.problems.map((p) => p.check), ['records']);
    assert.match(degraded.problems[0]!.problem, /^writing execution records failed \d+ times? in a row \(database or disk is full\); 1 held in memory and retried/);
    assert.equal(await healthGauge('records'), 1);
    full = false;
    await waitHealth('ok');
    assert.equal(await healthGauge('records'), 0);
    const written = await server.request('GET', `/v1/tenants/acme/executions/${res.body.executionId}`);
    assert.equal(written.status, 200, 'the record held in memory was written');
  });
});
