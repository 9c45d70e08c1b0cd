// The warn lines for executions that did not succeed leave out a job's slices that go on: one
// that reached its cap after saving a checkpoint (`timeout`, SliceCapReached) and one handed back
// at a server stop (`killed`, ServerShutdown). Long syncs run in many slices and every restart
// hands back the running ones; as warnings they buried the failures. A slice at its cap without
// a checkpoint (on its way to NO_PROGRESS) and a call out of time are still logged.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { captureLog } from '../support/log-capture.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import { COUNTER, FAST_JOBS, submit, waitJob } from './jobs-support.js';

/** The outcome lines (one per execution logged) of `log`. */
function outcomes(log: ReturnType<typeof captureLog>): { errorType: unknown; function: unknown }[] {
  return log.lines().filter((l) => l.outcome !== undefined && l.executionId !== undefined) as never;
}

describe('outcome log: job slices that go on', () => {
  it('are not warned about; a slice without progress and a call out of time are', async () => {
    const log = captureLog('warn');
    const server = await startTestServer({ ...FAST_JOBS, AIRLOCK_SHUTDOWN_GRACE_MS: '100' }, {}, log.logger);
    let running: string;
    try {
      await deploy(server, 'acme', 'count', COUNTER);
      await deploy(server, 'acme', 'stuck', 'export default async () => new Promise(() => {})');
      await deploy(server, 'acme', 'hang', 'export default async () => new Promise(() => {})', { limits: { timeoutMs: 50 } });
      // 20 steps of 20 ms in slices capped at 150 ms: several slices reach their cap, each after a checkpoint.
      const capped = await submit(server, 'acme', 'count', { input: { n: 20, stepMs: 20 }, maxRunMs: 150 });
      assert.ok((await waitJob(server, 'acme', capped, (j) => j.status === 'succeeded')).runs >= 2);
      // A slice that saves nothing before its cap is still worth a line.
      await submit(server, 'acme', 'stuck', { maxRunMs: 100, maxAttempts: 1 });
      await log.waitFor((l) => l.function === 'stuck' && l.errorType === 'SliceCapReached', 'a slice without progress logged', 20_000);
      assert.equal((await invoke(server, 'acme', 'hang', {})).body.status, 'timeout');
      // A long job running when the server stops is handed back.
      running = await submit(server, 'acme', 'count', { input: { n: 100_000, stepMs: 20 } });
      await waitJob(server, 'acme', running, (j) => j.checkpointAt !== undefined);
    } finally {
      await server.close(); // stops it, then removes its data dir
    }
    const lines = outcomes(log);
    const types = lines.map((l) => `${String(l.function)} ${String(l.errorType)}`);
    assert.ok(types.includes('hang Timeout'), `the call out of time is logged: ${types.join(', ')}`);
    assert.ok(types.includes('stuck SliceCapReached'), `the slice without progress is logged: ${types.join(', ')}`);
    assert.ok(!types.some((t) => t === 'count SliceCapReached'), `no slice that saved progress: ${types.join(', ')}`);
    assert.ok(!types.some((t) => t === 'count ServerShutdown'), `no slice handed back at the stop: ${types.join(', ')}`);
  });
});
