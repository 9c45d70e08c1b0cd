// Finds which cgroup version Airlock can use, from /proc/self/mountinfo and /proc/self/cgroup.
// v2: a cgroup2 mount whose group of this process offers the memory, pids and cpu controllers.
// v1: memory, pids and cpu hierarchies mounted (cpuacct too when present, for accounting). Groups
// are created below the server's own group in each hierarchy, so Airlock stays inside whatever
// its supervisor (systemd, a container runtime) gave it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupFs } from './types.js';

export const V1_REQUIRED = ['memory', 'pids', 'cpu'] as const;
export const V1_CONTROLLERS = ['memory', 'pids', 'cpu', 'cpuacct'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];
export const V2_REQUIRED = ['memory', 'pids', 'cpu'] as const;

export type Detected =
  | { version: 'v2'; /** The server's own group (absolute path). */ base: string }
  | { version: 'v1'; /** The server's own group per controller (absolute paths). */ bases: Partial<Record<V1Controller, string>> }
  | { version: undefined; reason: string };

export interface ProcTexts {
  mountinfo: string;
  /** Contents of /proc/self/cgroup. */
  cgroup: string;
}

export function readProcTexts(): ProcTexts {
  return { mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'), cgroup: readFileSync('/proc/self/cgroup', 'utf8') };
}

interface Mount {
  root: string;
  point: string;
  fstype: string;
  superOptions: string[];
}

function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left.length < 5 || right.length < 3) continue;
    mounts.push({
      root: unescapeMount(left[3]!),
      point: unescapeMount(left[4]!),
      fstype: right[0]!,
      superOptions: right[2]!.split(','),
    });
  }
  return mounts;
}

/** /proc/self/cgroup: hierarchy controllers ('' for v2) → path of this process's group. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** Absolute path of this process's group in `mount`, or undefined when it lies outside the mount. */
function groupPath(mount: Mount, path: string): string | undefined {
  const strip = (p: string): string => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
  if (mount.root === '/') return strip(join(mount.point, path));
  if (path === mount.root || path.startsWith(`${mount.root}/`)) return strip(join(mount.point, path.slice(mount.root.length)));
  return undefined;
}

function detectV2(mounts: Mount[], groups: Map<string, string>, fs: CgroupFs): Detected {
  const mount = mounts.find((m) => m.fstype === 'cgroup2');
  const own = groups.get('');
  if (mount === undefined || own === undefined) return { version: undefined, reason: 'no cgroup2 (unified) hierarchy is mounted' };
  const base = groupPath(mount, own);
  if (base === undefined) return { version: undefined, reason: `this process's cgroup2 group ${own} is outside ${mount.point}` };
  let available: string[];
  try {
    available = fs.read(join(base, 'cgroup.controllers')).trim().split(/\s+/);
  } catch {
    return { version: undefined, reason: `cannot read ${join(base, 'cgroup.controllers')}` };
  }
  const missing = V2_REQUIRED.filter((c) => !available.includes(c));
  if (missing.length > 0) {
    return {
      version: undefined,
      reason: `cgroup2 group ${base} does not offer the ${missing.join(', ')} controller(s) (it has: ${available.join(' ') || 'none'})`,
    };
  }
  return { version: 'v2', base };
}

function detectV1(mounts: Mount[], groups: Map<string, string>): Detected {
  const bases: Partial<Record<V1Controller, string>> = {};
  for (const controller of V1_CONTROLLERS) {
    const mount = mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.includes(controller));
    if (mount === undefined) continue;
    const entry = [...groups].find(([names]) => names.split(',').includes(controller));
    const base = entry === undefined ? undefined : groupPath(mount, entry[1]);
    if (base !== undefined) bases[controller] = base;
  }
  const missing = V1_REQUIRED.filter((c) => bases[c] === undefined);
  if (missing.length > 0) return { version: undefined, reason: `no cgroup v1 hierarchy for ${missing.join(', ')}` };
  return { version: 'v1', bases };
}

/** v2 when usable, else v1 when usable, else why neither is. */
export function detectCgroups(texts: ProcTexts, fs: CgroupFs): Detected {
  const mounts = parseMountinfo(texts.mountinfo);
  const groups = parseProcCgroup(texts.cgroup);
  const v2 = detectV2(mounts, groups, fs);
  if (v2.version !== undefined) return v2;
  const v1 = detectV1(mounts, groups);
  if (v1.version !== undefined) return v1;
  return { version: undefined, reason: `${v2.reason}; ${v1.reason}` };
}
