// The sandbox budget watch: a warning with the numbers and the fix when evictions to stay under
// AIRLOCK_MAX_SANDBOXES reach the threshold within one check interval, at most once per quiet
// period; nothing below the threshold. Then the same from a real server whose budget is too
// small for the tenants it is asked to call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BudgetWatch } from '../../src/sandbox/budget-watch.js';
import { captureLog } from '../support/log-capture.js';
import { deploy, invoke, startTestServer } from '../support/server.js';

test('warns once the evictions of one interval reach the threshold, then stays quiet for the quiet period', () => {
  let evicted = 5; // evictions before the watch started are not counted
  let now = 0;
  const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
  const logger = { warn: (fields: Record<string, unknown>, msg: string) => void warnings.push({ fields, msg }) };
  const watch = new BudgetWatch(() => evicted, logger as never, { maxSandboxes: 4, threshold: 10, intervalMs: 10_000, quietMs: 60_000 }, () => now);
  evicted += 9;
  now += 10_000;
  watch.check();
  assert.equal(warnings.length, 0, '9 evictions in an interval are below the threshold');
  evicted += 10;
  now += 10_000;
  watch.check();
  assert.equal(warnings.length, 1);
  assert.deepEqual(warnings[0]!.fields, { evicted: 10, seconds: 10, maxSandboxes: 4 });
  assert.match(warnings[0]!.msg, /^10 warm sandboxes were evicted in the last 10 s to stay under AIRLOCK_MAX_SANDBOXES=4: .*Raise AIRLOCK_MAX_SANDBOXES/);
  evicted += 50;
  now += 10_000;
  watch.check();
  assert.equal(warnings.length, 1, 'quiet for a minute after a warning');
  now += 50_000;
  evicted += 10;
  watch.check();
  assert.equal(warnings.length, 2, 'warns again once the quiet period is over');
  assert.equal(warnings[1]!.fields.evicted, 10, 'counts only the last interval');
});

test('a server whose budget is smaller than the tenants it calls logs the warning', async () => {
  const log = captureLog('warn');
  // A budget of 2 (one blank, one warm) for 3 tenants called in turn: nearly every call evicts.
  const server = await startTestServer({ AIRLOCK_MAX_SANDBOXES: '2', AIRLOCK_POOL_SIZE: '1' }, { budgetWatch: { threshold: 2, intervalMs: 500, quietMs: 60_000 } }, log.logger);
  try {
    for (const tenant of ['t1', 't2', 't3']) await deploy(server, tenant, 'fn', 'export default async () => 1');
    const warned = () => log.lines().find((l) => /AIRLOCK_MAX_SANDBOXES=2/.test(l.msg));
    for (let round = 0; round < 60 && warned() === undefined; round++) {
      for (const tenant of ['t1', 't2', 't3']) assert.equal((await invoke(server, tenant, 'fn', null)).body.status, 'succeeded');
    }
    const warning = await log.waitFor((l) => typeof l.msg === 'string' && /AIRLOCK_MAX_SANDBOXES=2/.test(l.msg), 'the budget warning');
    assert.equal(warning.maxSandboxes, 2);
    assert.ok((warning.evicted as number) >= 2);
  } finally {
    await server.close();
  }
});
