// Lifecycle of the groups on the real kernel (v1): a blank sandbox sits under the pool group,
// binding moves every one of its processes under its tenant's group in the cpu hierarchies and
// leaves its memory and pids groups where they are (through the pool, too), destroy removes the
// sandbox's groups and the emptied tenant group, a server start removes leftovers of a crashed
// one, and a sandbox that cannot be placed is never started (fail closed).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AirlockError } from '../../../src/core/errors.js';
import { BwrapIsolator } from '../../../src/sandbox/bwrap/isolator.js';
import { createCgroupManager, createPolicy } from '../../../src/sandbox/cgroup/index.js';
import { SandboxPool } from '../../../src/sandbox/pool.js';
import { childrenOf, request, sandboxConfig, waitFor } from '../support.js';
import { cgroupConfig, groupOf, skipReason, v1GroupDir, withCgroups } from './support.js';

const skip = skipReason(true);
const CONTROLLERS = ['memory', 'pids', 'cpu', 'cpuacct'];
/** The hierarchies a bind moves a sandbox in; memory and pids stay with the group it started in. */
const MOVED = new Set(['cpu', 'cpuacct']);
const POOL = { blankSize: 1, maxSandboxes: 4, idleTtlMs: 60_000, maxExecutionsPerSandbox: 100, queueBehind: 3, queueBehindMs: 5, parallelism: 1, spawnConcurrency: 4 };

/** Host pids of a bwrap sandbox: the outer bwrap and the namespace's pid 1. */
function pidsOf(pid: number): number[] {
  return [pid, ...childrenOf(pid)];
}

describe('cgroup lifecycle (real kernel)', { skip }, () => {
  it('places a blank sandbox under the pool group, moves it to its tenant for CPU only, removes every group on destroy', async () => {
    await withCgroups(async ({ tracker, config }) => {
      const sb = await tracker.spawn();
      const pids = pidsOf(sb.pid!);
      assert.equal(pids.length, 2);
      for (const pid of pids) {
        for (const c of CONTROLLERS) assert.match(groupOf(pid, c) ?? '', new RegExp(`/${config.root}/_pool/sb-[0-9a-f]+$`), `${pid} ${c}`);
      }
      const started = CONTROLLERS.map((c) => v1GroupDir(sb.pid!, c));
      await sb.bindTenant('acme');
      const dirs = CONTROLLERS.map((c) => v1GroupDir(sb.pid!, c));
      for (const pid of pids) {
        for (const c of CONTROLLERS) {
          const where = MOVED.has(c) ? 'acme' : '_pool';
          assert.match(groupOf(pid, c) ?? '', new RegExp(`/${config.root}/${where}/sb-[0-9a-f]+$`), `${pid} ${c}`);
        }
      }
      CONTROLLERS.forEach((c, i) => {
        if (!MOVED.has(c)) assert.equal(dirs[i], started[i], `${c}: still the group it started in`);
      });
      // The group it left goes once the move is done, without holding up the bind.
      await waitFor('the cpu groups it left to be removed', () => CONTROLLERS.every((c, i) => !MOVED.has(c) || !existsSync(started[i]!)));
      const memory = dirs[0]!;
      assert.equal(readFileSync(join(memory, 'memory.limit_in_bytes'), 'utf8').trim(), String(128 * 1024 * 1024));
      const cpu = dirs[CONTROLLERS.indexOf('cpu')]!;
      assert.equal(readFileSync(join(cpu, 'cpu.cfs_quota_us'), 'utf8').trim(), '100000', 'the moved group has its CPU quota');
      assert.equal(readFileSync(join(cpu, '..', '..', '_pool', 'cgroup.procs'), 'utf8'), '', 'nothing left in the pool group for CPU');
      const outcome = await sb.run(request('export default async () => { globalThis.keep = Buffer.alloc(4 << 20, 1); return 42; };'));
      assert.equal(outcome.result, 42);
      // What the tenant allocates is charged to its sandbox's group.
      assert.ok(Number(readFileSync(join(memory, 'memory.usage_in_bytes'), 'utf8')) >= 4 << 20, 'tenant memory is charged here');
      await sb.destroy();
      CONTROLLERS.forEach((c, i) => {
        assert.equal(existsSync(dirs[i]!), false, `${dirs[i]} removed`);
        if (MOVED.has(c)) assert.equal(existsSync(join(dirs[i]!, '..')), false, 'empty tenant group removed');
        assert.equal(existsSync(join(dirs[i]!, '..', '..', 'acme')), false, `no tenant group left in ${c}`);
      });
    }, { cgroups: { pids: 64 } });
  });

  it('places a sandbox spawned for a tenant under that tenant at once (nothing to move later)', async () => {
    await withCgroups(async ({ tracker, config }) => {
      const sb = await tracker.spawn(64, { warmup: 'none', tenant: 'acme' });
      const inTenant = new RegExp(`/${config.root}/acme/sb-[0-9a-f]+$`);
      for (const pid of pidsOf(sb.pid!)) {
        for (const c of CONTROLLERS) assert.match(groupOf(pid, c) ?? '', inTenant, `${pid} ${c} before any call`);
      }
      await sb.bindTenant('acme'); // what the pool does after the first call: nothing left to do
      const outcome = await sb.run(request('export default async () => 7;'));
      assert.equal(outcome.result, 7);
      const dirs = CONTROLLERS.map((c) => v1GroupDir(sb.pid!, c));
      await sb.destroy();
      for (const dir of dirs) {
        assert.equal(existsSync(dir), false, `${dir} removed`);
        assert.equal(existsSync(join(dir, '..')), false, 'empty tenant group removed');
      }
    });
  });

  it('the pool binds sandboxes to their tenant (pool and spawn starts) and records the cgroups layer', async () => {
    await withCgroups(async ({ config, manager }) => {
      const isolator = new BwrapIsolator(sandboxConfig('bwrap'), { cgroups: createPolicy(config, manager) });
      const pool = new SandboxPool(isolator, POOL, 64);
      try {
        await pool.warmUp();
        const first = await pool.acquire({ tenant: 'acme', functionName: 'f', scope: 'tenant', memoryMiB: 64 });
        const second = await pool.acquire({ tenant: 'beta', functionName: 'f', scope: 'tenant', memoryMiB: 32 });
        assert.deepEqual([first.start, second.start], ['pool', 'spawn']);
        for (const [lease, tenant] of [[first, 'acme'], [second, 'beta']] as const) {
          assert.ok(lease.sandbox.layers.includes('cgroups'));
          // The pool does not wait for the move (the sandbox's own limits hold meanwhile); a
          // sandbox spawned for the caller starts in its tenant's group and never moves.
          const inTenantGroup = new RegExp(`/${config.root}/${tenant}/sb-`);
          if (lease.start === 'spawn') {
            assert.ok(pidsOf(lease.sandbox.pid!).every((pid) => inTenantGroup.test(groupOf(pid, 'memory') ?? '')), 'spawned in place');
          }
          lease.release(true); // the call ended: the pool binds once it has handed out no blank sandbox for a moment
          await waitFor(`${tenant}'s sandbox to reach its tenant group`, () =>
            pidsOf(lease.sandbox.pid!).every((pid) => inTenantGroup.test(groupOf(pid, 'cpu') ?? '')));
          const memoryGroup = new RegExp(`/${config.root}/${lease.start === 'spawn' ? tenant : '_pool'}/sb-`);
          assert.ok(pidsOf(lease.sandbox.pid!).every((pid) => memoryGroup.test(groupOf(pid, 'memory') ?? '')), 'memory never moves');
        }
      } finally {
        await pool.close();
        await isolator.close();
      }
    });
  });

  it('removes the groups a crashed server left behind when the next one starts', async () => {
    const config = cgroupConfig();
    const first = createCgroupManager(config)!;
    const roots = first.describe().split(', ');
    for (const root of roots) for (const rel of ['ghost', 'ghost/sb-0123', '_pool/sb-4567']) mkdirSync(join(root, rel));
    // A bound pool sandbox's groups: CPU under its tenant, memory and pids still under the pool.
    for (const root of roots) {
      const cpu = /cpu/.test(root);
      for (const rel of cpu ? ['moved', 'moved/sb-89ab'] : ['_pool/sb-89ab']) mkdirSync(join(root, rel));
    }
    const second = createCgroupManager(config)!;
    for (const root of roots) {
      assert.equal(existsSync(join(root, 'ghost')), false);
      assert.equal(existsSync(join(root, '_pool', 'sb-4567')), false);
      assert.equal(existsSync(join(root, 'moved')), false, `${root}: a tenant group only the cpu hierarchy had`);
      assert.equal(existsSync(join(root, '_pool', 'sb-89ab')), false);
    }
    await second.close();
    for (const root of roots) assert.equal(existsSync(root), false);
  });

  it('fails closed: a sandbox that cannot be placed in its cgroup is never started', async () => {
    const config = cgroupConfig();
    const manager = createCgroupManager(config)!;
    await manager.close(); // the groups vanish under the server: placement must fail
    const isolator = new BwrapIsolator(sandboxConfig('bwrap'), { cgroups: createPolicy(config, manager) });
    try {
      await assert.rejects(isolator.spawn({ memoryMiB: 64 }), (err: unknown) => {
        assert.ok(err instanceof AirlockError);
        assert.equal(err.code, 'SANDBOX_FAILED');
        assert.match(err.message, /cgroup/);
        return true;
      });
      assert.deepEqual(childrenOf(process.pid), [], 'no sandbox process survived');
    } finally {
      await isolator.close();
      for (const root of manager.describe().split(', ')) assert.equal(existsSync(root), false);
    }
  });
});
