// The cgroup port: what the sandbox layer asks of a cgroup implementation (v1 or v2). A manager
// owns Airlock's parent group; it places each sandbox's processes in a group of their own with a
// memory, pids and CPU ceiling, and moves that group under its tenant's parent group (which
// carries the tenant's CPU weight) once the pool binds the sandbox to a tenant.

export type CgroupVersion = 'v1' | 'v2';

/** Ceilings applied to one sandbox's group. */
export interface SandboxLimits {
  /** Memory ceiling, bytes (process memory plus tmpfs pages written by the sandbox). */
  memoryBytes: number;
  /** Most tasks (processes and threads) alive at once. */
  pids: number;
  /** CPU quota in cores (0.5 = half a core), enforced per 100 ms period. */
  cpus: number;
}

export interface SandboxCgroup {
  /** Group name (the last path segment), unique per sandbox. */
  readonly name: string;
  /** Tenant whose parent group holds this sandbox; undefined while blank. */
  readonly tenant: string | undefined;
  /**
   * Moves the sandbox's processes under the tenant's parent group; `tenant` is set at once, the
   * move completes off the event loop. Rejects with an AirlockError.
   */
  bindTenant(tenant: string): Promise<void>;
  /** True when the kernel recorded an OOM kill in this group (its own event counter). */
  oomKilled(): boolean;
  /** The most memory the kernel saw the group use, bytes; undefined when not accounted. */
  memoryPeakBytes(): number | undefined;
  /** CPU time used by the group, nanoseconds; undefined when not accounted. */
  cpuUsageNs(): number | undefined;
  /** Removes the group (and its tenant's group when empty); call once its processes are gone. */
  remove(): Promise<void>;
}

export interface CgroupManager {
  readonly version: CgroupVersion;
  /** Creates Airlock's parent group and removes leftovers of a previous server. Throws AirlockError. */
  init(): LeftoverReport;
  /**
   * Creates a sandbox group with `limits` and moves `pids` into it: under the pool group, or
   * directly under `tenant`'s group (bound from the start). Rejects with an AirlockError.
   */
  place(pids: readonly number[], limits: SandboxLimits, tenant?: string): Promise<SandboxCgroup>;
  /** CPU time used by a tenant's parent group, nanoseconds; undefined when not accounted. */
  tenantCpuUsageNs(tenant: string): number | undefined;
  /** Removes the pool group and Airlock's parent group when they hold nothing (server stop). */
  close(): Promise<void>;
  /** Filesystem paths of the parent group (one per hierarchy for v1), for diagnostics. */
  describe(): string;
}

export interface LeftoverReport {
  /** Groups of a previous server that were removed. */
  removed: number;
  /** Groups that still hold processes and were left alone. */
  busy: string[];
}

/** The few filesystem calls the managers make; the kernel's cgroupfs in production. */
export interface CgroupFs {
  mkdir(path: string): void;
  rmdir(path: string): void;
  write(path: string, value: string): void;
  read(path: string): string;
  exists(path: string): boolean;
  /** Names of the child groups of a group. */
  children(path: string): string[];
}
