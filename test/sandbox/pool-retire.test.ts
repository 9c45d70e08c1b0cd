// SandboxPool.retireTenant against real bwrap sandboxes: every sandbox that ran for the tenant
// (idle or busy, any isolation scope) is destroyed and its process gone; other tenants' warm
// sandboxes stay and are still reused; the tenant's next call gets a new sandbox.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { PoolConfig } from '../../src/core/config.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import { assertNoChildren, childSandboxFootprints, leftovers, makeIsolator, request } from './support.js';

const MEMORY = 64;
const SLEEP = 'export default (ms) => new Promise((resolve) => setTimeout(() => resolve(ms), ms));';

describe('sandbox pool: retiring a tenant (bwrap)', () => {
  after(() => assertNoChildren());

  it('destroys the idle and busy sandboxes of one tenant only', async () => {
    const config: PoolConfig = { blankSize: 0, maxSandboxes: 8, idleTtlMs: 60_000, maxExecutionsPerSandbox: 1_000, queueBehind: 3, queueBehindMs: 5, parallelism: 4, spawnConcurrency: 8 };
    const pool = new SandboxPool(makeIsolator('bwrap'), config, MEMORY);
    try {
      const acquire = (tenant: string, scope: 'tenant' | 'function' | 'execution' = 'tenant') =>
        pool.acquire({ tenant, functionName: 'f', scope, memoryMiB: MEMORY, queueable: false });
      const idle = await acquire('acme');
      assert.equal((await idle.sandbox.run(request(SLEEP, { input: 1, tenant: 'acme' }))).status, 'succeeded');
      idle.release(true);
      const other = await acquire('globex');
      assert.equal((await other.sandbox.run(request(SLEEP, { input: 1, tenant: 'globex' }))).status, 'succeeded');
      other.release(true);
      const busy = await acquire('acme', 'execution');
      const running = busy.sandbox.run(request(SLEEP, { input: 60_000, tenant: 'acme', timeoutMs: 120_000 }));
      assert.deepEqual([pool.stats().idle, pool.stats().busy], [2, 1]);
      const before = childSandboxFootprints();

      const { retired, exited } = pool.retireTenant('acme');
      assert.equal(retired, 2);
      await exited;
      assert.equal((await running).status, 'killed', 'the busy run was ended');
      busy.release(false);
      assert.deepEqual([pool.stats().idle, pool.stats().busy, pool.stats().total], [1, 0, 1]);
      const alive = before.filter((fp) => leftovers(fp).length > 0);
      assert.equal(alive.length, 1, 'only the other tenant\'s sandbox process is left');

      const again = await acquire('globex');
      assert.equal(again.start, 'warm');
      again.release(true);
      const fresh = await acquire('acme');
      assert.equal(fresh.start, 'spawn', 'no warm sandbox of the retired tenant is left');
      fresh.release(true);
      assert.equal(pool.retireTenant('nobody').retired, 0);
    } finally {
      await pool.close();
    }
  });
});
