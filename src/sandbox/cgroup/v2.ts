// cgroup v2: one tree below the server's own (delegated) group. The memory, pids and cpu
// controllers are enabled down the tree through cgroup.subtree_control; a sandbox gets memory.max
// (swap off, the whole group killed together on OOM), pids.max and cpu.max, a tenant cpu.weight.
// OOM kills are counted in memory.events. v2 cannot move memory charges between groups: pages
// charged before a blank sandbox is bound stay with the pool group (see docs/cgroups.md).
import { join } from 'node:path';
import { V2_REQUIRED } from './detect.js';
import { errnoOf } from './fs.js';
import { GroupManager } from './manager.js';
import type { ManagerSettings } from './manager.js';
import type { GroupOp, GroupOpRunner } from './ops.js';
import { CFS_PERIOD_US } from './v1.js';
import type { CgroupFs, SandboxLimits } from './types.js';

const ENABLE = V2_REQUIRED.map((c) => `+${c}`).join(' ');

export class V2Manager extends GroupManager {
  readonly version = 'v2' as const;
  private readonly base: string;
  private readonly root: string;

  private readonly selfPid: number;
  readonly bindMovesMemory = true;

  constructor(fs: CgroupFs, base: string, settings: ManagerSettings, runner?: GroupOpRunner, selfPid = process.pid) {
    super(fs, settings, runner);
    this.base = base;
    this.selfPid = selfPid;
    this.root = join(base, settings.rootName);
  }

  describe(): string {
    return this.root;
  }

  protected dirs(rel: string): string[] {
    return [rel === '' ? this.root : join(this.root, rel)];
  }

  protected movedDirs(rel: string): string[] {
    return this.dirs(rel); // one tree: everything moves
  }

  protected prepareBase(): void {
    try {
      this.enableControllers(this.base);
      return;
    } catch (err) {
      if (errnoOf(err) !== 'EBUSY') throw err;
    }
    // "No internal processes": a group holding processes cannot hand controllers down. When the
    // server is alone in its (delegated) group, it moves itself to a leaf beside Airlock's root,
    // as systemd asks of delegated units; anything else there is not ours to move.
    const procs = this.fs.read(join(this.base, 'cgroup.procs')).split('\n').filter((p) => p !== '');
    if (procs.length !== 1 || procs[0] !== String(this.selfPid)) {
      throw new Error(
        `${this.base} holds other processes than the server (${procs.join(' ')}), so its controllers cannot be enabled ` +
          'for child groups; run the server as the only process of a delegated unit (docs/cgroups.md shows one)',
      );
    }
    const leaf = join(this.base, `${this.settings.rootName}-server`);
    if (!this.fs.exists(leaf)) this.fs.mkdir(leaf);
    this.fs.write(join(leaf, 'cgroup.procs'), String(this.selfPid));
    this.enableControllers(this.base);
  }

  protected setupParent(rel: string): void {
    this.enableControllers(this.dirs(rel)[0]!);
  }

  protected tenantSetupOps(rel: string): GroupOp[] {
    const dir = this.dirs(rel)[0]!;
    // Enabling controllers that are already enabled changes nothing.
    return [
      { op: 'write', path: join(dir, 'cgroup.subtree_control'), value: ENABLE },
      { op: 'write', path: join(dir, 'cpu.weight'), value: String(this.settings.tenantWeight) },
    ];
  }

  protected limitOps(rel: string, limits: SandboxLimits): GroupOp[] {
    const dir = this.dirs(rel)[0]!;
    return [
      { op: 'write', path: join(dir, 'memory.max'), value: String(limits.memoryBytes) },
      { op: 'write', path: join(dir, 'memory.swap.max'), value: '0', ifExists: true },
      { op: 'write', path: join(dir, 'memory.oom.group'), value: '1', ifExists: true },
      { op: 'write', path: join(dir, 'pids.max'), value: String(limits.pids) },
      { op: 'write', path: join(dir, 'cpu.max'), value: `${Math.max(1_000, Math.round(limits.cpus * CFS_PERIOD_US))} ${CFS_PERIOD_US}` },
    ];
  }

  protected procsFile(dir: string): string {
    return join(dir, 'cgroup.procs');
  }

  protected chargedFile(rel: string): string {
    return join(this.dirs(rel)[0]!, 'memory.current');
  }

  protected readOomKills(rel: string): number {
    const text = this.fs.read(join(this.dirs(rel)[0]!, 'memory.events'));
    return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
  }

  protected readMemoryPeakBytes(rel: string): number | undefined {
    // memory.peak exists from Linux 5.19 on.
    const file = join(this.dirs(rel)[0]!, 'memory.peak');
    return this.fs.exists(file) ? Number(this.fs.read(file).trim()) : undefined;
  }

  protected readCpuUsageNs(rel: string): number | undefined {
    const text = this.fs.read(join(this.dirs(rel)[0]!, 'cpu.stat'));
    const usec = /^usage_usec (\d+)$/m.exec(text)?.[1];
    return usec === undefined ? undefined : Number(usec) * 1_000;
  }

  private enableControllers(dir: string): void {
    const enabled = this.fs.read(join(dir, 'cgroup.subtree_control')).trim().split(/\s+/);
    if (V2_REQUIRED.every((c) => enabled.includes(c))) return;
    this.fs.write(join(dir, 'cgroup.subtree_control'), ENABLE);
  }
}
