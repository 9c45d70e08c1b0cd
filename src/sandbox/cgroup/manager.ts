// What the v1 and v2 managers share: the layout `<root>/_pool/<sandbox>` for blank sandboxes and
// `<root>/<tenant>/<sandbox>` once bound (from the start for a sandbox spawned for a waiting
// call of that tenant), tenant groups created on first use and removed when
// their last sandbox is gone, sandbox moves (create the new group, move every process, remove
// the old one: cgroupfs cannot rename a group to another parent), and leftover removal at start.
// The version-specific file names live in v1.ts and v2.ts.
import { randomBytes } from 'node:crypto';
import { AirlockError } from '../../core/errors.js';
import { errnoOf } from './fs.js';
import type { CgroupFs, CgroupManager, CgroupVersion, LeftoverReport, SandboxCgroup, SandboxLimits } from './types.js';

/** Parent of blank sandboxes; tenant names start with [a-z0-9], so it never collides. */
export const POOL_GROUP = '_pool';
/** Bound on the rounds of moving processes (a process forking while it is moved needs another). */
const MOVE_ROUNDS = 16;
/** rmdir retries while the kernel finishes removing exited tasks from a group. */
const RMDIR_TRIES = 50;

export interface ManagerSettings {
  /** Name of Airlock's parent group, created below the server's own group. */
  rootName: string;
  /** CPU weight of each tenant's parent group (1..10000, 100 = default). */
  tenantWeight: number;
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
  private readonly tenantRefs = new Map<string, number>();

  constructor(fs: CgroupFs, settings: ManagerSettings) {
    this.fs = fs;
    this.settings = settings;
  }

  /** Absolute directories of a group (relative to the root group) in every hierarchy. */
  protected abstract dirs(rel: string): string[];
  /** Prepares the server's own group(s) so that Airlock's root can be created below. */
  protected abstract prepareBase(): void;
  /** Called after a parent group (root, pool, tenant) was created. */
  protected abstract setupParent(rel: string, tenant: boolean): void;
  protected abstract applyLimits(rel: string, limits: SandboxLimits): void;
  protected abstract procsFile(dir: string): string;
  protected abstract readOomKills(rel: string): number;
  protected abstract readCpuUsageNs(rel: string): number | undefined;
  abstract describe(): string;

  init(): LeftoverReport {
    try {
      this.prepareBase();
      this.ensureGroup('');
      this.setupParent('', false);
      const report = this.removeLeftovers();
      this.ensureGroup(POOL_GROUP);
      this.setupParent(POOL_GROUP, false);
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
    if (tenant === undefined) this.ensureGroup(POOL_GROUP);
    else this.acquireTenant(tenant);
    try {
      this.createGroup(rel);
      this.applyLimits(rel, limits);
      await Promise.all(pids.map((pid) => this.movePid(rel, pid)));
    } catch (err) {
      if (tenant === undefined) void this.removeGroup(rel);
      else void this.releaseTenant(tenant, rel);
      throw placementFailed(`place the sandbox in cgroup ${this.dirs(rel)[0]}`, err);
    }
    return new PlacedGroup(this, name, rel, limits, tenant);
  }

  tenantCpuUsageNs(tenant: string): number | undefined {
    return this.cpuUsageNs(tenant);
  }

  async close(): Promise<void> {
    for (const dir of this.dirs(POOL_GROUP).reverse()) this.tryRmdir(dir);
    for (const dir of this.dirs('').reverse()) this.tryRmdir(dir);
  }

  // ------------------------------------------------------------------ used by PlacedGroup

  /** Creates the group under the tenant's parent and moves every process of `from` into it. */
  async moveToTenant(from: string, tenant: string, name: string, limits: SandboxLimits): Promise<string> {
    this.acquireTenant(tenant);
    const rel = `${tenant}/${name}`;
    try {
      this.createGroup(rel);
      this.applyLimits(rel, limits);
      await this.moveAll(from, rel);
    } catch (err) {
      this.releaseTenant(tenant, rel);
      throw placementFailed(`move the sandbox to its tenant's cgroup ${this.dirs(rel)[0]}`, err);
    }
    return rel;
  }

  oomKills(rel: string): number {
    try {
      return this.readOomKills(rel);
    } catch {
      return 0;
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
  async removeGroup(rel: string): Promise<void> {
    for (const dir of this.dirs(rel).reverse()) {
      for (let i = 0; i < RMDIR_TRIES; i++) {
        try {
          this.fs.rmdir(dir);
          break;
        } catch (err) {
          if (errnoOf(err) === 'ENOENT') break;
          if (i === RMDIR_TRIES - 1) break; // left for the next start's leftover sweep
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    }
  }

  releaseTenant(tenant: string, rel: string | undefined): Promise<void> {
    const removed = rel === undefined ? Promise.resolve() : this.removeGroup(rel);
    const refs = (this.tenantRefs.get(tenant) ?? 1) - 1;
    if (refs > 0) {
      this.tenantRefs.set(tenant, refs);
      return removed;
    }
    this.tenantRefs.delete(tenant);
    return removed.then(() => {
      // A sandbox of the same tenant may have been bound meanwhile: then the group stays.
      if (!this.tenantRefs.has(tenant)) for (const dir of this.dirs(tenant).reverse()) this.tryRmdir(dir);
    });
  }

  // ------------------------------------------------------------------ helpers

  private acquireTenant(tenant: string): void {
    const refs = this.tenantRefs.get(tenant) ?? 0;
    this.tenantRefs.set(tenant, refs + 1);
    if (refs > 0 && this.fs.exists(this.dirs(tenant)[0]!)) return;
    try {
      this.ensureGroup(tenant);
      this.setupParent(tenant, true);
    } catch (err) {
      this.tenantRefs.set(tenant, refs);
      if (refs === 0) this.tenantRefs.delete(tenant);
      throw placementFailed(`create the tenant's cgroup ${this.dirs(tenant)[0]}`, err);
    }
  }

  private ensureGroup(rel: string): void {
    for (const dir of this.dirs(rel)) {
      try {
        this.fs.mkdir(dir);
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST') throw err;
      }
    }
  }

  private createGroup(rel: string): void {
    for (const dir of this.dirs(rel)) this.fs.mkdir(dir);
  }

  /** Moves one process in every hierarchy (concurrently: each move may wait on the kernel). */
  private async movePid(rel: string, pid: number): Promise<void> {
    await Promise.all(this.dirs(rel).map((dir) => this.fs.writeAsync(this.procsFile(dir), String(pid))));
  }

  private async moveAll(from: string, to: string): Promise<void> {
    const sources = this.dirs(from);
    const targets = this.dirs(to);
    await Promise.all(sources.map(async (source, i) => {
      for (let round = 0; round < MOVE_ROUNDS; round++) {
        const pids = this.fs.read(this.procsFile(source)).split('\n').filter((p) => p !== '');
        if (pids.length === 0) return;
        for (const pid of pids) {
          try {
            await this.fs.writeAsync(this.procsFile(targets[i]!), pid);
          } catch (err) {
            if (errnoOf(err) !== 'ESRCH') throw err; // exited meanwhile
          }
        }
      }
      throw new Error(`processes kept appearing in ${source}`);
    }));
  }

  private tryRmdir(dir: string): boolean {
    try {
      this.fs.rmdir(dir);
      return true;
    } catch (err) {
      return errnoOf(err) === 'ENOENT';
    }
  }

  /** Removes every sandbox and tenant group under the root; groups holding processes stay. */
  private removeLeftovers(): LeftoverReport {
    const report: LeftoverReport = { removed: 0, busy: [] };
    const primary = this.dirs('')[0]!;
    for (const parent of this.fs.children(primary)) {
      for (const child of this.fs.children(`${primary}/${parent}`)) {
        const rel = `${parent}/${child}`;
        const ok = this.dirs(rel).reverse().map((dir) => this.tryRmdir(dir));
        if (ok[ok.length - 1]) report.removed++;
        else report.busy.push(this.dirs(rel)[0]!);
      }
      const ok = this.dirs(parent).reverse().map((dir) => this.tryRmdir(dir));
      if (ok[ok.length - 1] && parent !== POOL_GROUP) report.removed++;
    }
    return report;
  }
}

/** One sandbox's group, blank under the pool or bound under its tenant. */
class PlacedGroup implements SandboxCgroup {
  readonly name: string;
  tenant: string | undefined;
  private rel: string;
  private readonly manager: GroupManager;
  private readonly limits: SandboxLimits;
  private removed: Promise<void> | undefined;
  /** The move under the tenant's group, once started. */
  private binding: Promise<void> | undefined;
  /** The group the processes are leaving while they move. */
  private moving: string | undefined;

  constructor(manager: GroupManager, name: string, rel: string, limits: SandboxLimits, tenant?: string) {
    this.manager = manager;
    this.name = name;
    this.rel = rel;
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
    this.moving = from;
    this.binding = (async () => {
      try {
        this.rel = await this.manager.moveToTenant(from, tenant, this.name, this.limits);
      } finally {
        this.moving = undefined;
      }
      void this.manager.removeGroup(from);
    })();
    return this.binding;
  }

  oomKilled(): boolean {
    // While the processes move, an OOM kill may be counted in either group.
    const moving = this.moving === undefined ? 0 : this.manager.oomKills(this.moving);
    return this.manager.oomKills(this.rel) + moving > 0;
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
      return this.manager.releaseTenant(this.tenant, this.rel);
    })();
    return this.removed;
  }
}
