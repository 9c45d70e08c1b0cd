// How many CPUs this process can use: the CPUs it may run on (os.availableParallelism, which
// follows affinity and cpusets), capped by the CPU quota of its cgroup (cgroup v2 `cpu.max`, v1
// `cpu.cfs_quota_us` over `cpu.cfs_period_us`; the tightest on the way up to the hierarchy's
// root), rounded up. Without the cap, a container started with `--cpus 2` on a 64-core host
// would plan for 64 cores. Anything unreadable counts as no quota.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface CpuProbe {
  /** Where the cgroup hierarchies are mounted (default /sys/fs/cgroup). */
  cgroupRoot: string;
  /** This process's cgroup membership (default /proc/self/cgroup). */
  selfCgroupFile: string;
  /** CPUs the process may run on (default os.availableParallelism()). */
  available: number;
}

export function usableCpus(probe: Partial<CpuProbe> = {}): number {
  const available = probe.available ?? availableParallelism();
  const quota = cgroupCpuQuota(probe.cgroupRoot ?? '/sys/fs/cgroup', probe.selfCgroupFile ?? '/proc/self/cgroup');
  return quota === undefined ? available : Math.max(1, Math.min(available, Math.ceil(quota)));
}

/** The tightest CPU quota, in CPUs, on this process's cgroup path; undefined when there is none. */
export function cgroupCpuQuota(cgroupRoot: string, selfCgroupFile: string): number | undefined {
  const memberships = (readText(selfCgroupFile) ?? '').split('\n').map(parseMembership);
  // Cgroup v1 (or hybrid): the hierarchy that has the cpu controller.
  const v1 = memberships.find((m) => m !== undefined && m.controllers.includes('cpu'));
  if (v1 !== undefined) return tightest(join(cgroupRoot, 'cpu'), v1.path, v1Quota);
  // Cgroup v2: the unified hierarchy (id 0, no controller list), when it is the one mounted here.
  const v2 = memberships.find((m) => m !== undefined && m.id === '0' && m.controllers.length === 0);
  if (v2 !== undefined && readText(join(cgroupRoot, 'cgroup.controllers')) !== undefined) {
    return tightest(cgroupRoot, v2.path, v2Quota);
  }
  return undefined;
}

interface Membership {
  id: string;
  controllers: string[];
  path: string;
}

/** A /proc/self/cgroup line, `id:controller,list:/path` (the path may itself hold colons). */
function parseMembership(line: string): Membership | undefined {
  const first = line.indexOf(':');
  const second = line.indexOf(':', first + 1);
  if (first < 0 || second < 0) return undefined;
  const list = line.slice(first + 1, second);
  return { id: line.slice(0, first), controllers: list === '' ? [] : list.split(','), path: line.slice(second + 1) };
}

/** The smallest quota from the process's own group up to the mount point (both included). */
function tightest(mount: string, path: string, quotaOf: (dir: string) => number | undefined): number | undefined {
  const top = resolve(mount);
  let dir = resolve(top, `.${path}`);
  if (dir !== top && !dir.startsWith(`${top}/`)) return undefined; // a path that climbs out of the mount
  let best: number | undefined;
  for (;;) {
    const quota = quotaOf(dir);
    if (quota !== undefined && (best === undefined || quota < best)) best = quota;
    if (dir === top) return best;
    dir = dirname(dir);
  }
}

function v1Quota(dir: string): number | undefined {
  const quota = Number(readText(join(dir, 'cpu.cfs_quota_us')));
  const period = Number(readText(join(dir, 'cpu.cfs_period_us')));
  return quota > 0 && period > 0 ? quota / period : undefined;
}

function v2Quota(dir: string): number | undefined {
  const [quota, period] = (readText(join(dir, 'cpu.max')) ?? '').split(' ').map(Number);
  return quota !== undefined && period !== undefined && quota > 0 && period > 0 ? quota / period : undefined;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
