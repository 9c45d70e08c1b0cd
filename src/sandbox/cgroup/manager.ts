// What the v1 and v2 managers share: the layout `<root>/_pool/<sandbox>` for blank sandboxes and
// `<root>/<tenant>/<sandbox>` once bound (from the start for a sandbox spawned for a waiting
// call of that tenant), tenant groups created on first use and removed when
// their last sandbox is gone, sandbox moves (create the new group, move every process, remove
// the old one: cgroupfs cannot rename a group to another parent), and leftover removal at start
// (on a root no other live server uses: root-owner.ts).
// A move changes only the hierarchies the tenant level matters in (movedDirs): on v1, the cpu
// one, so memory and pids stay with the group the sandbox started in and their ceilings hold
// exactly; on v2, the one tree, where the memory the old group kept charged is remembered, as the
// kernel never moves charges.
// Placements, moves and removals are batches of GroupOps carried out by a GroupOpRunner (a worker
// thread on the kernel's cgroupfs); start, stop and reads stay synchronous.
// The version-specific file names live in v1.ts and v2.ts.
import { randomBytes } from 'node:crypto';
import { AirlockError } from '../../core/errors.js';
import { InlineOpRunner, makeGroup, removeGroupDir } from './ops.js';
import type { GroupOp, GroupOpRunner } from './ops.js';
import { claimRoot, isOwnerMark, releaseRoot } from './root-owner.js';
import type { CgroupFs, CgroupManager, CgroupVersion, LeftoverReport, SandboxCgroup, SandboxLimits } from './types.js';

/** Parent of blank sandboxes; tenant names start with [a-z0-9], so it never collides. */
export const POOL_GROUP = '_pool';

export interface ManagerSettings {
  /** Name of Airlock's parent group, created below the server's own group. */
  rootName: string;
  /** CPU weight of each tenant's parent group (1..10000, 100 = default). */
  tenantWeight: number;
}

/** Where a sandbox moved under its tenant lives, and what its old group kept charged. */
export interface MovedGroup {
  /** Its group in the hierarchies that moved (the CPU controller's at least). */
  rel: string;
  /** Its group for memory and pids: `rel`, or the group it started in where those did not move (v1). */
  memoryRel: string;
  /** Memory bytes still charged to the old group when the processes left it (0 when memory did not move). */
  leftBehindBytes: number;
}

export function placementFailed(what: string, err: unknown): AirlockError {
  const detail = err instanceof Error ? err.message : String(err);
  return new AirlockError(
    'SANDBOX_FAILED',
    `could not ${what}: ${detail}. Check that the server runs as root or owns a delegated cgroup subtree ` +
      '(see docs/cgroups.md), or set AIRLOCK_CGROUPS=off to run without cgroup limits',
  );
}

export abstract class GroupManager implements CgroupManager {
  abstract readonly version: CgroupVersion;
  protected readonly fs: CgroupFs;
  protected readonly settings: ManagerSettings;
  private readonly runner: GroupOpRunner;
  private readonly tenantRefs = new Map<string, number>();
  /** Removals of each tenant's sandbox groups still under way (an rmdir retries while processes linger). */
  private readonly tenantRemovals = new Map<string, Set<Promise<void>>>();
  /** This server's marks on the root, one per hierarchy (root-owner.ts), once init() made them. */
  private ownerMarks: string[] = [];

  /** `runner` carries out placements, moves and removals; by default on this thread, with `fs`. */
  constructor(fs: CgroupFs, settings: ManagerSettings, runner: GroupOpRunner = new InlineOpRunner(fs)) {
    this.fs = fs;
    this.settings = settings;
    this.runner = runner;
  }

  /** Absolute directories of a group (relative to the root group) in every hierarchy. */
  protected abstract dirs(rel: string): string[];
  /**
   * The directories of a group in the hierarchies a sandbox moves in when it is bound to its
   * tenant (a subsequence of dirs(rel)): those where the tenant's parent group sets something.
   */
  protected abstract movedDirs(rel: string): string[];
  /** True when the memory controller is among the moved hierarchies (v2's single tree). */
  abstract readonly bindMovesMemory: boolean;
  /** Prepares the server's own group(s) so that Airlock's root can be created below. */
  protected abstract prepareBase(): void;
  /** Called after Airlock's root group or the pool group was created (at start). */
  protected abstract setupParent(rel: string): void;
  /** What a new tenant group needs written once created (controllers, CPU weight). */
  protected abstract tenantSetupOps(rel: string): GroupOp[];
  /** Writes that give a new sandbox group its ceilings. */
  protected abstract limitOps(rel: string, limits: SandboxLimits): GroupOp[];
  protected abstract procsFile(dir: string): string;
  /** The file that holds a group's memory charge, bytes. */
  protected abstract chargedFile(rel: string): string;
  protected abstract readOomKills(rel: string): number;
  protected abstract readCpuUsageNs(rel: string): number | undefined;
  protected abstract readMemoryPeakBytes(rel: string): number | undefined;
  abstract describe(): string;

  init(): LeftoverReport {
    try {
      this.prepareBase();
      this.ensureGroup('');
      this.setupParent('');
      // Before the sweep: a root another live server uses is refused, not swept.
      this.ownerMarks = claimRoot(this.fs, this.dirs(''), this.settings.rootName);
      const report = this.removeLeftovers();
      this.ensureGroup(POOL_GROUP);
      this.setupParent(POOL_GROUP);
      return report;
    } catch (err) {
      if (err instanceof AirlockError) throw err;
      throw new AirlockError(
        'ISOLATION_UNAVAILABLE',
        `cannot create Airlock's cgroup ${this.describe()}: ${err instanceof Error ? err.message : String(err)}. ` +
          'Run the server as root or in a delegated cgroup subtree (docs/cgroups.md), or set AIRLOCK_CGROUPS=off',
      );
    }
  }

  async place(pids: readonly number[], limits: SandboxLimits, tenant?: string): Promise<SandboxCgroup> {
    const name = `sb-${randomBytes(8).toString('hex')}`;
    const rel = `${tenant ?? POOL_GROUP}/${name}`;
    const ops = tenant === undefined ? this.parentOps(POOL_GROUP) : this.acquireTenant(tenant);
    ops.push(...this.createOps(rel), ...this.limitOps(rel, limits));
    for (const dir of this.dirs(rel)) for (const pid of pids) ops.push({ op: 'write', path: this.procsFile(dir), value: String(pid) });
    try {
      await this.runner.run(ops);
    } catch (err) {
      // Removed before the failure is reported, so a caller that cleans up after it (a sandbox
      // that failed to boot, `airlock doctor` removing its root) finds the group gone.
      if (tenant === undefined) await this.removeGroup(rel);
      else await this.releaseTenant(tenant, rel);
      throw placementFailed(`place the sandbox in cgroup ${this.dirs(rel)[0]}`, err);
    }
    return new PlacedGroup(this, name, rel, limits, tenant);
  }

  tenantCpuUsageNs(tenant: string): number | undefined {
    return this.cpuUsageNs(tenant);
  }

  async close(): Promise<void> {
    await this.runner.close();
    // Every sandbox is gone by now: a group still here (an emptied tenant group whose removal
    // lost a race) goes too, as the next start would remove it; one holding processes stays.
    this.removeLeftovers();
    releaseRoot(this.fs, this.ownerMarks);
    for (const dir of this.dirs(POOL_GROUP).reverse()) removeGroupDir(this.fs, dir);
    for (const dir of this.dirs('').reverse()) removeGroupDir(this.fs, dir);
  }

  // ------------------------------------------------------------------ used by PlacedGroup

  /**
   * Creates the group under the tenant's parent and moves every process of `from` into it. The
   * pages charged before the move stay charged to `from` (no kernel moves charges any more): the
   * answer says how many bytes, read in the same batch right after the move.
   */
  async moveToTenant(from: string, tenant: string, name: string, limits: SandboxLimits): Promise<MovedGroup> {
    const rel = `${tenant}/${name}`;
    const ops = this.acquireTenant(tenant);
    const targets = this.movedDirs(rel);
    const inTargets = (path: string): boolean => targets.some((dir) => path.startsWith(`${dir}/`));
    ops.push(...targets.map((path): GroupOp => ({ op: 'mkdir', path })));
    ops.push(...this.limitOps(rel, limits).filter((op) => op.op !== 'write' || inTargets(op.path)));
    this.movedDirs(from).forEach((source, i) => ops.push({ op: 'moveAll', from: this.procsFile(source), to: this.procsFile(targets[i]!) }));
    // Only for the sandbox's memory figures (oom, the timeout hint): a failed read is 0, never a failed move.
    if (this.bindMovesMemory) ops.push({ op: 'readBytes', path: this.chargedFile(from), optional: true });
    let readings: number[];
    try {
      readings = await this.runner.run(ops);
    } catch (err) {
      void this.releaseTenant(tenant, rel);
      throw placementFailed(`move the sandbox to its tenant's cgroup ${targets[0]}`, err);
    }
    return { rel, memoryRel: this.bindMovesMemory ? rel : from, leftBehindBytes: readings[0] ?? 0 };
  }

  oomKills(rel: string): number {
    try {
      return this.readOomKills(rel);
    } catch {
      return 0;
    }
  }

  memoryPeakBytes(rel: string): number | undefined {
    try {
      return this.readMemoryPeakBytes(rel);
    } catch {
      return undefined;
    }
  }

  cpuUsageNs(rel: string): number | undefined {
    try {
      return this.readCpuUsageNs(rel);
    } catch {
      return undefined;
    }
  }

  /** Removes a group in every hierarchy, retrying while exited tasks are still being dropped. */
  removeGroup(rel: string): Promise<void> {
    return this.removeDirs(this.dirs(rel), true);
  }

  /** Removes the group a sandbox moved out of, in the hierarchies it moved in only. */
  removeMovedFrom(rel: string): Promise<void> {
    return this.removeDirs(this.movedDirs(rel), true);
  }

  releaseTenant(tenant: string, rel: string | undefined): Promise<void> {
    const removed = rel === undefined ? Promise.resolve() : this.removeGroup(rel);
    let removals = this.tenantRemovals.get(tenant);
    if (removals === undefined) this.tenantRemovals.set(tenant, (removals = new Set()));
    removals.add(removed);
    void removed.then(() => {
      removals.delete(removed);
      if (removals.size === 0 && this.tenantRemovals.get(tenant) === removals) this.tenantRemovals.delete(tenant);
    });
    const refs = (this.tenantRefs.get(tenant) ?? 1) - 1;
    if (refs > 0) {
      this.tenantRefs.set(tenant, refs);
      return removed;
    }
    this.tenantRefs.delete(tenant);
    // After every sandbox group of the tenant is gone, an earlier one still retrying included:
    // otherwise the tenant's group, not empty yet, would stay behind.
    return Promise.all([...removals]).then(() => {
      // A sandbox of the same tenant may have been bound meanwhile: then the group stays.
      if (!this.tenantRefs.has(tenant)) return this.removeDirs(this.dirs(tenant), false);
      return undefined;
    });
  }

  // ------------------------------------------------------------------ helpers

  /** Counts one more sandbox of `tenant`; answers the ops that make sure its group exists. */
  private acquireTenant(tenant: string): GroupOp[] {
    this.tenantRefs.set(tenant, (this.tenantRefs.get(tenant) ?? 0) + 1);
    // Always part of the batch (cheap, idempotent): the group may be going away under an
    // earlier release, or its creation may have failed in a batch still settling.
    return [...this.parentOps(tenant), ...this.tenantSetupOps(tenant)];
  }

  /** Creates a parent group (tenant or pool) in every hierarchy unless it exists. */
  private parentOps(rel: string): GroupOp[] {
    return this.dirs(rel).map((path) => ({ op: 'mkdir', path, existOk: true }));
  }

  private createOps(rel: string): GroupOp[] {
    return this.dirs(rel).map((path) => ({ op: 'mkdir', path }));
  }

  /**
   * Removes a group's directories, in reverse hierarchy order. Never fails: a group that cannot be
   * removed now is swept at the next start.
   */
  private async removeDirs(dirs: readonly string[], retry: boolean): Promise<void> {
    try {
      await this.runner.run([...dirs].reverse().map((path) => ({ op: 'rmdir', path, retry })));
    } catch {
      // the runner is gone (server stopping): left for the leftover sweep
    }
  }

  private ensureGroup(rel: string): void {
    for (const dir of this.dirs(rel)) makeGroup(this.fs, dir, true);
  }

  /**
   * Removes every sandbox and tenant group under the root; groups holding processes stay. A group
   * may exist in some hierarchies only (a v1 sandbox moved in the cpu one), so the names come from all.
   */
  private removeLeftovers(): LeftoverReport {
    const report: LeftoverReport = { removed: 0, busy: [] };
    const namesIn = (rel: string): string[] => [...new Set(this.dirs(rel).flatMap((dir) => (this.fs.exists(dir) ? this.fs.children(dir) : [])))];
    for (const parent of namesIn('')) {
      if (isOwnerMark(parent)) continue; // a server's mark: claimRoot's
      for (const child of namesIn(parent)) {
        const rel = `${parent}/${child}`;
        const ok = this.dirs(rel).reverse().map((dir) => removeGroupDir(this.fs, dir));
        if (ok.every(Boolean)) report.removed++;
        else report.busy.push(this.dirs(rel)[ok.length - 1 - ok.lastIndexOf(false)]!);
      }
      const ok = this.dirs(parent).reverse().map((dir) => removeGroupDir(this.fs, dir));
      if (ok[ok.length - 1] && parent !== POOL_GROUP) report.removed++;
    }
    return report;
  }
}

/** One sandbox's group, blank under the pool or bound under its tenant. */
class PlacedGroup implements SandboxCgroup {
  readonly name: string;
  tenant: string | undefined;
  /** Its group in the hierarchies a bind moves (the CPU controller's). */
  private rel: string;
  /** Its group for memory and pids: `rel`, except on v1 after a move (see MovedGroup). */
  private memoryRel: string;
  private readonly manager: GroupManager;
  private readonly limits: SandboxLimits;
  private removed: Promise<void> | undefined;
  /** The move under the tenant's group, once started. */
  private binding: Promise<void> | undefined;
  /** The group the processes are leaving while they move, when memory moves too. */
  private moving: string | undefined;
  /** Memory the group the processes left keeps charged (see moveToTenant); 0 before a move. */
  private leftBehindBytes = 0;

  constructor(manager: GroupManager, name: string, rel: string, limits: SandboxLimits, tenant?: string) {
    this.manager = manager;
    this.name = name;
    this.rel = rel;
    this.memoryRel = rel;
    this.limits = limits;
    this.tenant = tenant;
  }

  async bindTenant(tenant: string): Promise<void> {
    if (this.tenant === tenant) return this.binding;
    if (this.tenant !== undefined || this.removed !== undefined) {
      throw new AirlockError('SANDBOX_FAILED', 'a sandbox is bound to one tenant for life; this is a bug in the pool');
    }
    this.tenant = tenant;
    const from = this.rel;
    if (this.manager.bindMovesMemory) this.moving = from;
    this.binding = (async () => {
      try {
        const moved = await this.manager.moveToTenant(from, tenant, this.name, this.limits);
        this.rel = moved.rel;
        this.memoryRel = moved.memoryRel;
        this.leftBehindBytes = moved.leftBehindBytes;
      } catch (err) {
        // moveToTenant gave its tenant reference back: remove() must not give it back again.
        this.tenant = undefined;
        throw err;
      } finally {
        this.moving = undefined;
      }
      void this.manager.removeMovedFrom(from);
    })();
    return this.binding;
  }

  oomKilled(): boolean {
    // While the processes move, an OOM kill may be counted in either group.
    const moving = this.moving === undefined ? 0 : this.manager.oomKills(this.moving);
    return this.manager.oomKills(this.memoryRel) + moving > 0;
  }

  memoryPeakBytes(): number | undefined {
    // While the processes move, either group may hold the peak; once moved, the sandbox's
    // footprint is its group's plus what the old group kept charged (an upper bound, as some of
    // those pages may have been freed since).
    const peaks = [this.memoryRel, this.moving].map((rel) => (rel === undefined ? undefined : this.manager.memoryPeakBytes(rel)));
    const known = peaks.filter((p): p is number => p !== undefined);
    return known.length === 0 ? undefined : Math.max(...known) + this.leftBehindBytes;
  }

  cpuUsageNs(): number | undefined {
    return this.manager.cpuUsageNs(this.rel);
  }

  remove(): Promise<void> {
    this.removed ??= (async () => {
      if (this.tenant === undefined) return this.manager.removeGroup(this.rel);
      // A move still under way finishes (or fails) first, so no group is left behind.
      await this.binding?.catch(() => undefined);
      if (this.moving !== undefined) await this.manager.removeGroup(this.moving);
      // v1: memory and pids stayed in the group the sandbox started in.
      if (this.memoryRel !== this.rel) await this.manager.removeGroup(this.memoryRel);
      const tenant = this.tenant as string | undefined; // cleared by a failed move
      if (tenant === undefined) return this.manager.removeGroup(this.rel);
      return this.manager.releaseTenant(tenant, this.rel);
    })();
    return this.removed;
  }
}
