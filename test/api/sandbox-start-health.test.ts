// GET /healthz and airlock_health_problems{check="sandboxes"} while sandboxes cannot be started:
// bwrap goes missing under a running server (as while a package upgrade replaces it). Calls that
// need a new sandbox answer 500 SANDBOX_FAILED; the health check says degraded with why, and the
// log says it once at error level; once bwrap is back, the next start clears it, and the log
// says so. A real server with real bwrap, reached through a symlink the test removes and restores.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveExecutable } from '../../src/sandbox/executables.js';
import { captureLog } from '../support/log-capture.js';
import { deploy, invoke, startTestServer } from '../support/server.js';
import type { TestServer } from '../support/server.js';

describe('health: sandboxes that cannot be started', () => {
  let dir: string;
  let link: string;
  let server: TestServer;
  const log = captureLog('info');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-bwrap-link-'));
    chmodSync(dir, 0o755); // bwrap is started as the sandboxes' unprivileged uid
    link = join(dir, 'bwrap');
    symlinkSync(resolveExecutable('bwrap')!, link);
    // No blank pool: every tenant's first call starts a sandbox of its own.
    server = await startTestServer({ AIRLOCK_BWRAP: link, AIRLOCK_POOL_SIZE: '0' }, {}, log.logger);
    for (const tenant of ['t1', 't2', 't3']) await deploy(server, tenant, 'echo', 'export default (input) => input');
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function gauge(): Promise<string | undefined> {
    const text = await (await fetch(server.url + '/metrics')).text();
    return /^airlock_health_problems\{check="sandboxes"\} (\d)$/m.exec(text)?.[1];
  }

  async function health(): Promise<{ status: string; problems: { check: string; problem: string }[] }> {
    return (await server.request('GET', '/healthz', undefined, null)).body;
  }

  it('is degraded, saying why, while no sandbox starts; ok again after the next start', async () => {
    assert.equal((await invoke(server, 't1', 'echo', 1)).body.status, 'succeeded');
    assert.deepEqual([(await health()).status, await gauge()], ['ok', '0']);

    unlinkSync(link);
    for (const tenant of ['t2', 't3']) {
      const call = await invoke(server, tenant, 'echo', 2);
      assert.equal(call.status, 500, JSON.stringify(call.body));
      assert.equal(call.body.error.code, 'SANDBOX_FAILED');
    }
    assert.equal((await invoke(server, 't1', 'echo', 3)).body.status, 'succeeded', 'a warm sandbox still serves its tenant');
    const degraded = await health();
    assert.equal(degraded.status, 'degraded');
    const problem = degraded.problems.find((p) => p.check === 'sandboxes');
    assert.match(problem?.problem ?? '', /^starting a sandbox failed 2 times in a row since \S+ and none has started since \(last: .*ENOENT.*\); calls that need a new sandbox answer 500 SANDBOX_FAILED\. Run `airlock doctor`/);
    assert.equal(await gauge(), '1');
    const errors = log.lines().filter((l) => l.level === 50 && l.msg.startsWith('a sandbox could not be started'));
    assert.equal(errors.length, 1, 'said once, not per failed start');

    symlinkSync(resolveExecutable('bwrap')!, link);
    assert.equal((await invoke(server, 't2', 'echo', 4)).body.status, 'succeeded');
    assert.deepEqual([(await health()).status, await gauge()], ['ok', '0']);
    const back = await log.waitFor((l) => String(l.msg).startsWith('sandboxes start again'), 'the recovery line');
    assert.equal(back.failedStarts, 2);
  });
});
