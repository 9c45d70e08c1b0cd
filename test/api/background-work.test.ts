// Work a function leaves running after it returned, against the real bwrap sandbox and cgroups: a
// warm sandbox that keeps a core busy between calls is retired (logged, counted in metrics) and
// the tenant's next call starts a fresh one, while a sandbox whose leftover timer does little
// stays warm through the same sweeps, and one of a server with the check off keeps working.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { captureLog } from '../support/log-capture.js';
import type { CapturedLog } from '../support/log-capture.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';
import { skipReason } from '../sandbox/cgroup/support.js';

/** Armed, it leaves a timer that keeps one core busy for up to 20 s (bounded: it stops itself). */
const MINER = `export default async (input) => {
  if (input.arm) {
    const end = Date.now() + 20_000;
    const spin = () => { const t = Date.now(); while (Date.now() - t < 40) {} if (Date.now() < end) setTimeout(spin, 0); };
    setTimeout(spin, 0);
    return 'armed';
  }
  return 'ok';
};`;
/** Armed, it leaves a timer that wakes 5 times a second for a moment (for up to 20 s). */
const TICKER = `export default async (input) => {
  if (input.arm) {
    globalThis.ticks = 0;
    const timer = setInterval(() => { globalThis.ticks++; }, 200);
    setTimeout(() => clearInterval(timer), 20_000);
    return 'armed';
  }
  return globalThis.ticks;
};`;

describe('work left running in a warm sandbox', { skip: skipReason() }, () => {
  let server: TestServer;
  let log: CapturedLog;
  before(async () => {
    log = captureLog('warn');
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0' }, {}, log.logger);
    await deploy(server, 'miner', 'spin', MINER);
    await deploy(server, 'quiet', 'tick', TICKER);
  });
  after(() => server.close());

  it('retires a sandbox that keeps a core busy between calls; a light timer keeps its sandbox warm', async () => {
    assert.equal((await invoke(server, 'quiet', 'tick', { arm: true })).body.result, 'armed');
    assert.equal((await invoke(server, 'miner', 'spin', { arm: true })).body.result, 'armed');

    const line = await log.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('warm sandbox retired: it kept using CPU'), 'the retirement', 20_000);
    assert.equal(line.tenant, 'miner');
    assert.ok(typeof line.excessCpuMs === 'number' && line.excessCpuMs > 0, JSON.stringify(line));
    assert.equal(server.airlock.pool.stats().overworked, 1);
    const metrics = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.adminKey}` } }).then((r) => r.text());
    assert.match(metrics, /^airlock_sandbox_evictions_total\{reason="background"\} 1$/m);

    const next = await invoke(server, 'miner', 'spin', { arm: false });
    assert.equal(next.body.result, 'ok');
    assert.notEqual(next.body.start, 'warm', 'a fresh sandbox: the busy one is gone');
    // The ticker's sandbox was idle through the same sweeps and is still the warm one, its timer still going.
    const tick = await invoke(server, 'quiet', 'tick', { arm: false });
    assert.equal(tick.body.start, 'warm');
    assert.ok(tick.body.result > 0, JSON.stringify(tick.body));
    assert.equal(log.lines().filter((l) => l.tenant === 'quiet').length, 0, 'nothing logged about the quiet tenant');
  });
});

describe('work left running, the check off', { skip: skipReason() }, () => {
  let server: TestServer;
  let log: CapturedLog;
  before(async () => {
    log = captureLog('warn');
    server = await startTestServer({ AIRLOCK_POOL_SIZE: '0', AIRLOCK_SANDBOX_BACKGROUND_CPU_PERCENT: '0' }, {}, log.logger);
    await deploy(server, 'miner', 'spin', MINER);
    await deploy(server, 'quiet', 'tick', TICKER);
  });
  after(() => server.close());

  it('keeps the busy sandbox warm (AIRLOCK_SANDBOX_BACKGROUND_CPU_PERCENT=0)', async () => {
    assert.equal((await invoke(server, 'miner', 'spin', { arm: true })).body.result, 'armed');
    // Wait for the ticker's sandbox to count 15 ticks (3 s at 5 a second): sweeps a second apart
    // would have found the miner by then, as in the test above.
    assert.equal((await invoke(server, 'quiet', 'tick', { arm: true })).body.result, 'armed');
    const deadline = Date.now() + 20_000;
    let ticks = 0;
    while (ticks < 15 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100)); // a poll's pace, not a wait for an outcome
      ticks = (await invoke(server, 'quiet', 'tick', { arm: false })).body.result as number;
    }
    assert.ok(ticks >= 15, `ticks ${ticks}`);
    const again = await invoke(server, 'miner', 'spin', { arm: false });
    assert.equal(again.body.start, 'warm');
    assert.equal(server.airlock.pool.stats().overworked, 0);
    assert.equal(log.lines().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('warm sandbox retired')).length, 0);
  });
});
