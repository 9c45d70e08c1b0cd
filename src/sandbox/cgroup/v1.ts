// cgroup v1: one group per hierarchy (memory, pids, cpu, and cpuacct when mounted apart from
// cpu), all below the server's own group. Memory: memory.limit_in_bytes (and memsw when swap
// accounting exists), OOM kills counted in memory.oom_control. CPU: cfs quota per sandbox,
// cpu.shares per tenant. Only the tenant's CPU share needs the tenant's parent group, so a blank
// sandbox bound to its tenant moves in the cpu (and cpuacct) hierarchies only: its memory and
// pids groups stay the ones it started in, whose charges and ceilings then cover its whole life.
import { join } from 'node:path';
import type { V1Controller } from './detect.js';
import { GroupManager } from './manager.js';
import type { ManagerSettings } from './manager.js';
import type { GroupOp } from './ops.js';
import type { CgroupFs, SandboxLimits } from './types.js';
import type { GroupOpRunner } from './ops.js';

export const CFS_PERIOD_US = 100_000;

/** v2 cpu.weight (1..10000, default 100) → v1 cpu.shares (2..262144, default 1024). */
export function weightToShares(weight: number): number {
  return Math.min(262_144, Math.max(2, Math.round((weight * 1024) / 100)));
}

export class V1Manager extends GroupManager {
  readonly version = 'v1' as const;
  private readonly roots: { controller: V1Controller; root: string }[];

  constructor(fs: CgroupFs, bases: Partial<Record<V1Controller, string>>, settings: ManagerSettings, runner?: GroupOpRunner) {
    super(fs, settings, runner);
    const seen = new Set<string>();
    this.roots = [];
    // memory first: it is the primary hierarchy (listing, leftovers, error messages).
    for (const controller of ['memory', 'pids', 'cpu', 'cpuacct'] as const) {
      const base = bases[controller];
      if (base === undefined || seen.has(base)) continue; // comounted (e.g. cpu,cpuacct)
      seen.add(base);
      this.roots.push({ controller, root: join(base, settings.rootName) });
    }
  }

  readonly bindMovesMemory = false;

  describe(): string {
    return this.roots.map((r) => r.root).join(', ');
  }

  protected movedDirs(rel: string): string[] {
    return this.roots.filter((r) => r.controller === 'cpu' || r.controller === 'cpuacct').map((r) => join(r.root, rel));
  }

  protected dirs(rel: string): string[] {
    return this.roots.map((r) => (rel === '' ? r.root : join(r.root, rel)));
  }

  protected prepareBase(): void {
    // v1 has no subtree_control: a child group may be created anywhere the server may write.
  }

  protected setupParent(): void {
    // Airlock's root and the pool group keep the default shares.
  }

  protected tenantSetupOps(rel: string): GroupOp[] {
    return [{ op: 'write', path: join(this.dir('cpu', rel), 'cpu.shares'), value: String(weightToShares(this.settings.tenantWeight)) }];
  }

  protected limitOps(rel: string, limits: SandboxLimits): GroupOp[] {
    const memory = this.dir('memory', rel);
    const cpu = this.dir('cpu', rel);
    return [
      { op: 'write', path: join(memory, 'memory.limit_in_bytes'), value: String(limits.memoryBytes) },
      // No way around the ceiling through swap, where swap is accounted.
      { op: 'write', path: join(memory, 'memory.memsw.limit_in_bytes'), value: String(limits.memoryBytes), ifExists: true },
      { op: 'write', path: join(this.dir('pids', rel), 'pids.max'), value: String(limits.pids) },
      { op: 'write', path: join(cpu, 'cpu.cfs_period_us'), value: String(CFS_PERIOD_US) },
      { op: 'write', path: join(cpu, 'cpu.cfs_quota_us'), value: String(Math.max(1_000, Math.round(limits.cpus * CFS_PERIOD_US))) },
    ];
  }

  protected procsFile(dir: string): string {
    return join(dir, 'cgroup.procs');
  }

  protected chargedFile(rel: string): string {
    return join(this.dir('memory', rel), 'memory.usage_in_bytes');
  }

  protected readOomKills(rel: string): number {
    const text = this.fs.read(join(this.dir('memory', rel), 'memory.oom_control'));
    return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
  }

  protected readMemoryPeakBytes(rel: string): number | undefined {
    const file = join(this.dir('memory', rel), 'memory.max_usage_in_bytes');
    return this.fs.exists(file) ? Number(this.fs.read(file).trim()) : undefined;
  }

  protected readCpuUsageNs(rel: string): number | undefined {
    // cpuacct.usage lives in the cpu hierarchy when the two are comounted (dir() falls back).
    const file = join(this.dir('cpuacct', rel), 'cpuacct.usage');
    return this.fs.exists(file) ? Number(this.fs.read(file).trim()) : undefined;
  }

  /** The group's directory in the hierarchy that holds `controller`. */
  private dir(controller: V1Controller, rel: string): string {
    const entry = this.roots.find((r) => r.controller === controller) ?? this.roots.find((r) => r.controller === 'cpu')!;
    return rel === '' ? entry.root : join(entry.root, rel);
  }
}
