// The pool's binds with sandboxes that change under them: one that exits on its own while its bind
// is pending (its first call answered, the pool not yet quiet) is not bound afterwards (its group
// is already removed, so the bind would fail as "a bug in the pool"); one whose first call ended
// while another call still runs in it keeps the first-call rule (bound 50 ms in) in a burst.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolConfig } from '../../src/core/config.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import type { Isolator, Sandbox } from '../../src/sandbox/port.js';

function fakeSandbox(n: number, binds: string[]): Sandbox & { die(): void } {
  const listeners: (() => void)[] = [];
  let alive = true;
  let resolveExit!: () => void;
  const exited = new Promise<void>((resolve) => (resolveExit = resolve));
  const die = (): void => {
    if (!alive) return;
    alive = false;
    // Like ChannelSandbox: afterExit (the group's removal) runs, then the exit listeners.
    queueMicrotask(() => {
      for (const l of listeners.splice(0)) l();
      resolveExit();
    });
  };
  return {
    id: `fake-${n}`, pid: undefined, memoryMiB: 64, layers: [], pending: 1, currentRunMs: 0,
    get alive() { return alive; },
    run: async () => ({ status: 'succeeded', logs: [], durationMs: 0, reusable: true }),
    // Short runs, one queued: a second call may queue behind the first (pool-queue.ts).
    averageRunMs: 0.1,
    cpuUsageNs: () => undefined,
    destroy: () => { die(); return exited; },
    onExit: (l: () => void) => { if (alive) listeners.push(l); else queueMicrotask(l); },
    promote: () => {},
    bindTenant: async (tenant: string) => { binds.push(`${alive ? 'alive' : 'dead'}:${tenant}`); },
    die,
  } as unknown as Sandbox & { die(): void };
}

/** A pool of fake sandboxes whose binds are recorded as `alive:tenant` or `dead:tenant`. */
function fakePool(blankSize: number): { pool: SandboxPool; binds: string[]; ready: () => Promise<void> } {
  const binds: string[] = [];
  let made = 0;
  const isolator = {
    name: 'none', isolation: 'none', check: async () => ({ layers: [] }),
    spawn: async () => fakeSandbox(made++, binds),
    parseModule: async () => undefined, close: async () => {},
  } as unknown as Isolator;
  const config: PoolConfig = { blankSize, maxSandboxes: blankSize + 4, idleTtlMs: 60_000, maxExecutionsPerSandbox: 100, queueBehind: 3, queueBehindMs: 5, parallelism: 1, spawnConcurrency: 4 };
  const logger = { warn: () => {}, info: () => {}, error: () => {}, debug: () => {} };
  const pool = new SandboxPool(isolator, config, 64, logger as never);
  pool.start?.();
  const ready = async (): Promise<void> => {
    const deadline = Date.now() + 5_000;
    while (pool.stats().blank < blankSize && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  };
  return { pool, binds, ready };
}

describe('pool binding and sandbox exit', () => {
  it('never binds a sandbox that exited while its bind was pending', async () => {
    const { pool, binds, ready } = fakePool(1);
    try {
      await ready();
      const lease = await pool.acquire({ tenant: 'acme', functionName: 'f', scope: 'tenant', memoryMiB: 64, queueable: false });
      assert.equal(lease.start, 'pool');
      lease.release(true); // first call answered: the bind waits for a quiet moment
      (lease.sandbox as Sandbox & { die(): void }).die(); // it exits on its own (crash, OOM while idle)
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(binds.filter((b) => b.startsWith('dead')), [], 'no bind of a sandbox that is gone');
    } finally {
      await pool.close();
    }
  });

  it('binds 50 ms into a call still running when the first call in the same sandbox ended, even in a burst', async () => {
    const { pool, binds, ready } = fakePool(12);
    try {
      await ready();
      const first = await pool.acquire({ tenant: 'acme', functionName: 'f', scope: 'tenant', memoryMiB: 64, queueable: true });
      const second = await pool.acquire({ tenant: 'acme', functionName: 'f', scope: 'tenant', memoryMiB: 64, queueable: true });
      assert.deepEqual([first.start, second.start, second.sandbox], ['pool', 'warm', first.sandbox], 'the second call queued in the same sandbox');
      const takenAt = Date.now();
      first.release(true); // the first call ends; the second still runs
      // A burst of other tenants' first calls, one every 10 ms for 400 ms: never a quiet moment.
      let n = 0;
      while (Date.now() - takenAt < 400 && !binds.includes('alive:acme')) {
        const other = await pool.acquire({ tenant: `t${n++}`, functionName: 'f', scope: 'tenant', memoryMiB: 64, queueable: false });
        other.release(true);
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(binds.includes('alive:acme'), `bound during the burst (${Date.now() - takenAt} ms): ${binds.join(', ')}`);
      second.release(true);
    } finally {
      await pool.close();
    }
  });
});
