// A pool sandbox that exits on its own while its bind is pending (its first call answered, the
// pool not yet quiet) must not be bound afterwards: its group is already removed, so the bind
// fails with "a bug in the pool" and is logged as a failed bind.
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
    id: `fake-${n}`, pid: undefined, memoryMiB: 64, layers: [], pending: 0, currentRunMs: 0, averageRunMs: undefined,
    get alive() { return alive; },
    run: async () => ({ status: 'succeeded', logs: [], durationMs: 0, reusable: true }),
    cpuUsageNs: () => undefined,
    destroy: () => { die(); return exited; },
    onExit: (l: () => void) => { if (alive) listeners.push(l); else queueMicrotask(l); },
    promote: () => {},
    bindTenant: async (tenant: string) => { binds.push(`${alive ? 'alive' : 'dead'}:${tenant}`); },
    die,
  } as unknown as Sandbox & { die(): void };
}

describe('pool binding and sandbox exit', () => {
  it('never binds a sandbox that exited while its bind was pending', async () => {
    const binds: string[] = [];
    const made: (Sandbox & { die(): void })[] = [];
    const isolator = {
      name: 'none', isolation: 'none', check: async () => ({ layers: [] }),
      spawn: async () => { const s = fakeSandbox(made.length, binds); made.push(s); return s; },
      parseModule: async () => undefined, close: async () => {},
    } as unknown as Isolator;
    const config: PoolConfig = { blankSize: 1, maxSandboxes: 4, idleTtlMs: 60_000, maxExecutionsPerSandbox: 100, queueBehind: 3, queueBehindMs: 5, parallelism: 1, spawnConcurrency: 4 };
    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown) => warnings.push(o), info: () => {}, error: () => {}, debug: () => {} };
    const pool = new SandboxPool(isolator, config, 64, logger as never);
    pool.start?.();
    try {
      const deadline = Date.now() + 5_000;
      while (pool.stats().blank < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
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
});
