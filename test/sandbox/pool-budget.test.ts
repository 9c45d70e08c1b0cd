// SandboxPool under a full budget, against real bwrap sandboxes: the blank pool keeps its place
// (a refill evicts the least recently used idle sandbox), one idle sandbox is evicted per caller
// that could boot now rather than one at a time, at most spawnConcurrency sandboxes boot at once,
// and a caller whose own idle sandbox is free is not held behind another tenant's boot.
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import type { PoolConfig } from '../../src/core/config.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import type { Lease } from '../../src/sandbox/pool.js';
import type { Isolator, SpawnOptions } from '../../src/sandbox/port.js';
import { assertNoChildren, childSandboxFootprints, leftovers, makeIsolator, ticksSinceBoot, waitFor } from './support.js';

const isolator = makeIsolator('bwrap');
const MEMORY = 64;
const pools: SandboxPool[] = [];

/** Boots started, in order, and the most in progress at once (the real isolator underneath). */
const boots = { started: [] as (string | undefined)[], warmups: [] as (string | undefined)[], inProgress: 0, most: 0 };
const counting: Isolator = Object.create(isolator, {
  spawn: {
    value: async (opts: SpawnOptions) => {
      boots.started.push(opts.tenant);
      boots.warmups.push(opts.warmup);
      boots.most = Math.max(boots.most, ++boots.inProgress);
      try {
        return await isolator.spawn(opts);
      } finally {
        boots.inProgress--;
      }
    },
  },
}) as Isolator;

function makePool(overrides: Partial<PoolConfig>): SandboxPool {
  const config: PoolConfig = {
    blankSize: 0, maxSandboxes: 8, idleTtlMs: 60_000, maxExecutionsPerSandbox: 1_000, queueBehind: 3, queueBehindMs: 5, parallelism: 1, spawnConcurrency: 8,
    ...overrides,
  };
  const pool = new SandboxPool(counting, config, MEMORY);
  pools.push(pool);
  return pool;
}

function acquire(pool: SandboxPool, tenant: string): Promise<Lease> {
  return pool.acquire({ tenant, functionName: 'f', scope: 'tenant', memoryMiB: MEMORY, queueable: false });
}

/** Takes a sandbox for `tenant` and hands it back, idle and warm. */
async function touch(pool: SandboxPool, tenant: string): Promise<Lease> {
  const lease = await acquire(pool, tenant);
  lease.release(true);
  return lease;
}

describe('sandbox pool under a full budget (bwrap)', () => {
  afterEach(async () => {
    const footprints = childSandboxFootprints();
    const closedAt = ticksSinceBoot(); // processes of other tests' sandboxes start later
    await Promise.all(pools.splice(0).map((p) => p.close()));
    for (const fp of footprints) assert.deepEqual(leftovers(fp, closedAt), [], 'close() left no sandbox process');
  });
  after(() => assertNoChildren());

  it('a refill evicts the least recently used idle sandbox, so a new tenant still starts from the pool', async () => {
    const pool = makePool({ blankSize: 1, maxSandboxes: 3 });
    boots.warmups = [];
    await pool.warmUp();
    // A blank sandbox is warmed up fully (off any call's path), so a first call from the pool
    // pays only for its own module.
    assert.deepEqual(boots.warmups, ['full']);
    const a = await touch(pool, 'tenant-a');
    await waitFor('the pool to refill', () => pool.stats().blank === 1);
    const b = await touch(pool, 'tenant-b');
    await waitFor('the pool to refill', () => pool.stats().blank === 1);
    // The budget holds a and b idle and one blank; c takes the blank, and the refill needs a place.
    const c = await touch(pool, 'tenant-c');
    assert.equal(c.start, 'pool');
    await waitFor('the pool to refill within the full budget', () => pool.stats().blank === 1);
    assert.equal(a.sandbox.alive, false, 'a, the least recently used, made room for the blank sandbox');
    assert.equal(b.sandbox.alive, true);
    assert.equal(pool.stats().evicted, 1);
    assert.equal((await touch(pool, 'tenant-d')).start, 'pool', "a new tenant's first call still finds a blank sandbox");
    assert.ok(pool.stats().total <= 3);
  });

  it('evicts one idle sandbox per caller that could boot now, all at once', async () => {
    const pool = makePool({ maxSandboxes: 4, spawnConcurrency: 4 });
    const idle = [];
    for (const tenant of ['a', 'b', 'c', 'd']) idle.push(await touch(pool, tenant));
    const waiting = ['e', 'f', 'g'].map((tenant) => acquire(pool, tenant));
    // Three callers wait for a place: the three least recently used sandboxes are evicted at once.
    assert.deepEqual([pool.stats().waiting, pool.stats().evicted], [3, 3]);
    const leases = await Promise.all(waiting);
    assert.deepEqual(leases.map((l) => l.start), ['spawn', 'spawn', 'spawn']);
    assert.deepEqual(idle.map((l) => l.sandbox.alive), [false, false, false, true], 'a, b and c evicted; d kept');
    assert.ok(pool.stats().total <= 4);
    for (const lease of leases) lease.release(true);
  });

  it('boots at most spawnConcurrency sandboxes at once; the others wait their turn in order', async () => {
    const pool = makePool({ maxSandboxes: 8, spawnConcurrency: 2 });
    boots.started = [];
    boots.warmups = [];
    boots.most = 0;
    const tenants = ['t1', 't2', 't3', 't4', 't5'];
    const calls = tenants.map((tenant) => acquire(pool, tenant));
    assert.deepEqual([pool.stats().spawning, pool.stats().waiting], [2, 3]);
    const leases = await Promise.all(calls);
    assert.equal(boots.most, 2, 'at most 2 booting at once');
    assert.deepEqual(leases.map((l) => l.start), ['spawn', 'spawn', 'spawn', 'spawn', 'spawn']);
    assert.deepEqual(boots.started, tenants, 'the waiting ones boot in the order they came');
    // Each warms its loader before the handover, outside the first run's time limit, and only
    // that: the rest of a blank sandbox's warm-up would lengthen the waiting call's wait.
    assert.deepEqual(boots.warmups, tenants.map(() => 'loader'));
    for (const lease of leases) lease.release(true);
  });

  it("serves a caller whose own sandbox is free at once, not after another tenant's boot", async () => {
    const pool = makePool({ maxSandboxes: 2, spawnConcurrency: 1 });
    const a = await acquire(pool, 'tenant-a');
    const b = await acquire(pool, 'tenant-b');
    const c = acquire(pool, 'tenant-c'); // needs a place: both are busy
    let again: Lease | undefined;
    const bAgain = acquire(pool, 'tenant-b').then((lease) => (again = lease));
    assert.equal(pool.stats().waiting, 2);
    b.release(true);
    await bAgain;
    assert.equal(again!.sandbox, b.sandbox, "b's second call took its own sandbox, which was not evicted for c");
    assert.equal(again!.start, 'warm');
    a.release(true); // now c gets a's place
    const cLease = await c;
    assert.equal(cLease.start, 'spawn');
    assert.equal(a.sandbox.alive, false);
    again!.release(true);
    cLease.release(true);
  });
});
