// Entry point of the cgroup layer: builds the manager the configuration asks for, and the
// `cgroupStatus` probe for diagnostics. AIRLOCK_CGROUPS=auto uses cgroups when they are usable,
// `on` refuses to start without them (fail closed), `off` never touches them.
import type { CgroupConfig } from '../../core/config.js';
import { AirlockError } from '../../core/errors.js';
import { detectCgroups, readProcTexts } from './detect.js';
import type { Detected, ProcTexts } from './detect.js';
import { kernelFs } from './fs.js';
import { WorkerOpRunner } from './op-runner.js';
import type { GroupOpRunner } from './ops.js';
import type { CgroupFs, CgroupManager, CgroupVersion, LeftoverReport } from './types.js';
import { V1Manager } from './v1.js';
import { V2Manager } from './v2.js';

export type { CgroupManager, SandboxCgroup, SandboxLimits, CgroupVersion, LeftoverReport } from './types.js';

export interface CgroupStatus {
  ok: boolean;
  version?: CgroupVersion;
  detail: string;
  /** Directories of Airlock's parent group (one per hierarchy on v1), when usable. */
  groups?: string[];
}

/** Where the managers look: the kernel by default; tests pass a directory laid out like cgroupfs. */
export interface CgroupHost {
  fs?: CgroupFs;
  texts?: ProcTexts;
}

function managerFor(found: Detected, config: CgroupConfig, fs: CgroupFs, runner?: GroupOpRunner): CgroupManager | undefined {
  const settings = { rootName: config.root, tenantWeight: config.tenantWeight };
  if (found.version === 'v2') return new V2Manager(fs, found.base, settings, runner);
  if (found.version === 'v1') return new V1Manager(fs, found.bases, settings, runner);
  return undefined;
}

/** The manager for this machine, or why there is none (cgroups off, or `auto` found none usable). */
export interface OpenedCgroups {
  manager: CgroupManager | undefined;
  /** Why sandboxes get no cgroup limits; undefined when they do. */
  reason: string | undefined;
  /**
   * What the start found below AIRLOCK_CGROUP_ROOT: groups of a previous server removed, and
   * groups still holding processes (another server on the same root?) left alone.
   */
  leftovers?: LeftoverReport;
}

/**
 * Detects the cgroup version and initialises its manager (root group created, leftovers of a
 * crashed server removed). Throws ISOLATION_UNAVAILABLE when AIRLOCK_CGROUPS=on and they
 * cannot be used; with `auto` it answers the reason instead.
 */
export function openCgroups(config: CgroupConfig, host: CgroupHost = {}): OpenedCgroups {
  if (config.mode === 'off') return { manager: undefined, reason: 'AIRLOCK_CGROUPS=off' };
  const fs = host.fs ?? kernelFs;
  const found = detectCgroups(host.texts ?? readProcTexts(), fs);
  // On the kernel's cgroupfs, placements and moves run in a worker thread (see ops.ts).
  const manager = managerFor(found, config, fs, host.fs === undefined && found.version !== undefined ? new WorkerOpRunner() : undefined);
  if (manager === undefined) {
    const reason = found.version === undefined ? found.reason : 'unknown';
    if (config.mode === 'auto') return { manager: undefined, reason };
    throw new AirlockError(
      'ISOLATION_UNAVAILABLE',
      `AIRLOCK_CGROUPS=on but no usable cgroup hierarchy was found (${reason}). Mount cgroup2 with the memory, ` +
        'pids and cpu controllers delegated to the server (docs/cgroups.md), or set AIRLOCK_CGROUPS=auto to run without',
    );
  }
  let leftovers: LeftoverReport;
  try {
    leftovers = manager.init();
  } catch (err) {
    // A root another server uses is a mistake to fix, not a reason to run without cgroups.
    if (config.mode === 'auto' && err instanceof AirlockError && err.code !== 'CONFIG_INVALID') return { manager: undefined, reason: err.message };
    throw err;
  }
  return { manager, reason: undefined, leftovers };
}

/** openCgroups without the reason: the manager, or undefined. */
export function createCgroupManager(config: CgroupConfig, host: CgroupHost = {}): CgroupManager | undefined {
  return openCgroups(config, host).manager;
}

/** What a doctor command prints: whether sandboxes would get cgroup limits, and why not. */
export function cgroupStatus(config: CgroupConfig, host: CgroupHost = {}): CgroupStatus {
  if (config.mode === 'off') return { ok: false, detail: 'disabled by AIRLOCK_CGROUPS=off: sandboxes run without memory, pids and CPU ceilings' };
  let found: Detected;
  try {
    found = detectCgroups(host.texts ?? readProcTexts(), host.fs ?? kernelFs);
  } catch (err) {
    return { ok: false, detail: `cannot inspect cgroups: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (found.version === undefined) {
    return { ok: false, detail: `${found.reason}; see docs/cgroups.md to delegate a cgroup2 subtree to Airlock` };
  }
  const manager = managerFor(found, config, host.fs ?? kernelFs)!;
  const groups = manager.describe().split(', ');
  return { ok: true, version: found.version, detail: `Airlock's groups live in ${groups.join(', ')}`, groups };
}

/** What the bwrap isolator needs to put each sandbox in a cgroup. */
export interface SandboxCgroupPolicy {
  manager: CgroupManager;
  /** pids.max per sandbox. */
  pids: number;
  /** CPU quota per sandbox, cores. */
  cpus: number;
}

/**
 * Node's own footprint beyond the V8 heap (code, stacks, libuv, allocator slack), MiB. The memory
 * ceiling of a sandbox is its heap size plus this; tmpfs pages the sandbox writes count against it.
 */
export const MEMORY_OVERHEAD_MIB = 64;

/**
 * Memory ceiling of a sandbox with `memoryMiB` of heap, MiB. The V8 heap flag is set to
 * `memoryMiB`: most heap bombs reach the cgroup ceiling first (an OOM kill, like a Buffer bomb);
 * some (large arrays) reach V8's own limit first, which counts as OOM only when the group's peak
 * use shows the heap was really full (run-outcome.ts ranOutOfMemory).
 */
export function memoryCeilingMiB(memoryMiB: number): number {
  return Math.max(1, Math.floor(memoryMiB)) + MEMORY_OVERHEAD_MIB;
}

export function createPolicy(config: CgroupConfig, manager: CgroupManager | undefined): SandboxCgroupPolicy | undefined {
  return manager === undefined ? undefined : { manager, pids: config.pids, cpus: config.cpus };
}
