// CPU on the real kernel: the per-sandbox quota throttles a sandbox that tries to use more
// cores than it has, and tenant parent groups share CPU fairly: tenant A with 3 busy sandboxes
// and tenant B with 1 on a 2-core machine give B about half of the CPU, not a quarter. Only
// ratios of CPU time measured by the kernel (cpuacct) are asserted, never absolute times.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { request } from '../support.js';
import { pollUntil, skipReason, v1GroupDir, withCgroups } from './support.js';

const skip = skipReason(true);

function busy(ms: number, threads: number): string {
  return `import { Worker } from 'node:worker_threads';
    export default async () => {
      const spin = 'const end = Date.now() + ${ms}; while (Date.now() < end) {}';
      const workers = Array.from({ length: ${threads - 1} }, () => new Worker(spin, { eval: true }));
      const end = Date.now() + ${ms}; while (Date.now() < end) {}
      await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
      return 'done';
    };`;
}

const usage = (dir: string): number => Number(readFileSync(`${dir}/cpuacct.usage`, 'utf8'));

describe('cgroup CPU quota and tenant fairness (real kernel)', { skip }, () => {
  it('throttles a sandbox to its quota (0.5 core) even with 2 busy threads', async (t) => {
    await withCgroups(async ({ tracker }) => {
      const sb = await tracker.spawn();
      await sb.bindTenant('acme');
      const acct = v1GroupDir(sb.pid!, 'cpuacct');
      const cpu = v1GroupDir(sb.pid!, 'cpu');
      assert.equal(readFileSync(`${cpu}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
      const before = usage(acct);
      const started = performance.now();
      const outcome = await sb.run(request(busy(1_500, 2), { timeoutMs: 30_000 }));
      const wallNs = (performance.now() - started) * 1e6;
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      const ratio = (usage(acct) - before) / wallNs;
      t.diagnostic(`CPU used / wall time: ${ratio.toFixed(2)}`);
      // Two spinning threads would use up to 2 cores; the quota holds them near 0.5.
      assert.ok(ratio < 0.75, `CPU used / wall time = ${ratio.toFixed(2)}, above the 0.5-core quota`);
      const throttled = Number(/nr_throttled (\d+)/.exec(readFileSync(`${cpu}/cpu.stat`, 'utf8'))?.[1]);
      // A machine too busy to give the sandbox half a core never reaches the quota, so the kernel
      // has nothing to throttle: the ceiling above is what holds then.
      if (ratio >= 0.4) assert.ok(throttled > 0, 'the kernel throttled the group');
      else t.diagnostic(`the sandbox got ${ratio.toFixed(2)} of a core: too little to reach the quota; throttled ${throttled} times`);
    }, { cgroups: { cpus: 0.5 } });
  });

  it('tenant B with 1 busy sandbox gets about half the CPU against tenant A with 3', { skip: availableParallelism() !== 2 && 'calibrated for 2 cores' }, async (t) => {
    await withCgroups(async ({ tracker, manager }) => {
      const a = await Promise.all([tracker.spawn(), tracker.spawn(), tracker.spawn()]);
      const b = await tracker.spawn();
      await Promise.all(a.map((sb) => sb.bindTenant('tenant-a')));
      await b.bindTenant('tenant-b');
      const runs = [...a, b].map((sb) => sb.run(request(busy(8_000, 1), { timeoutMs: 30_000 })));
      const read = (): { a: number; b: number } => ({ a: manager.tenantCpuUsageNs('tenant-a') ?? 0, b: manager.tenantCpuUsageNs('tenant-b') ?? 0 });
      const start = read();
      // Everybody is spinning once both tenants have used some CPU; measure from there.
      const s0 = await pollUntil('both tenants to run', read, (u) => u.a - start.a > 2e8 && u.b - start.b > 1e8);
      const s1 = await pollUntil('1.5 s of CPU to be shared', read, (u) => u.a + u.b - s0.a - s0.b > 1.5e9);
      const share = (s1.b - s0.b) / (s1.a + s1.b - s0.a - s0.b);
      t.diagnostic(`tenant B share: ${(share * 100).toFixed(1)}%`);
      // Without tenant groups 4 equal threads on 2 cores would give B 0.25. Other processes on a
      // busy machine take their part of the cores too, so the half is not exact: the bound keeps
      // well clear of 0.25 (0.378 was measured once with two test suites and a review running alongside).
      assert.ok(share > 0.34 && share < 0.66, `tenant B got ${(share * 100).toFixed(0)}% of the CPU, expected about half`);
      await Promise.all([...a, b].map((sb) => sb.destroy()));
      await Promise.all(runs);
    });
  });
});
