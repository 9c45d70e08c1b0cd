// Configuration of the sandboxes themselves (AIRLOCK_ISOLATION, AIRLOCK_BWRAP, AIRLOCK_SANDBOX_*,
// AIRLOCK_REQUIRED_LAYERS): the isolator, its executables, the uid/gid sandboxes run as, their
// /tmp size, the seccomp section, and the isolation layers every sandbox must have in force.
import { readFileSync } from 'node:fs';
import { AirlockError } from '../errors.js';
import { MiB } from '../limits.js';
import type { SecurityLayer } from '../types.js';
import { int, oneOf } from './env.js';
import type { Env } from './env.js';
import { seccompFrom } from './seccomp.js';
import type { SeccompConfig } from './seccomp.js';

export type IsolatorName = 'bwrap' | 'process';

export interface SandboxConfig {
  isolator: IsolatorName;
  /** bubblewrap executable. */
  bwrapPath: string;
  /** Node.js executable run inside the sandbox. */
  nodePath: string;
  /** Host uid/gid the sandbox runs as when the server runs as root. */
  uid: number;
  gid: number;
  /** Size of the sandbox's writable /tmp and /dev/shm, bytes each. */
  tmpBytes: number;
  /** RLIMIT_NOFILE of every sandbox (soft and hard): most files and sockets open at once. */
  openFiles: number;
  /** Syscall allowlist applied to bwrap sandboxes. */
  seccomp: SeccompConfig;
  /**
   * Isolation layers every sandbox must have in force (fail closed): the server refuses to start
   * without them, and a sandbox that comes up without one is destroyed before it runs anything.
   */
  requiredLayers: SecurityLayer[];
}

/** Highest uid/gid Node starts a process as (it takes them as 32-bit signed integers). */
const MAX_ID = 2_147_483_647;

/** The kernel's default ceiling on RLIMIT_NOFILE (fs.nr_open), when /proc does not say. */
const DEFAULT_NR_OPEN = 1_048_576;

/** The kernel's ceiling on RLIMIT_NOFILE (fs.nr_open): prlimit cannot give a sandbox more. */
function openFilesCeiling(): number {
  try {
    const value = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
    if (Number.isSafeInteger(value) && value > 0) return value;
  } catch {
    // not Linux, or /proc not mounted: assume the kernel's default
  }
  return DEFAULT_NR_OPEN;
}

/** Every isolation layer, in the order reports list them. */
export const SECURITY_LAYERS: readonly SecurityLayer[] = ['namespaces', 'unprivileged-uid', 'seccomp', 'cgroups'];

/** AIRLOCK_REQUIRED_LAYERS: a comma list of layers, `none`, or unset for the isolator's default. */
function requiredLayersFrom(env: Env, isolator: IsolatorName): SecurityLayer[] {
  const raw = env.AIRLOCK_REQUIRED_LAYERS?.trim();
  // bwrap's default is every layer; the development process isolator has none to require.
  if (raw === undefined || raw === '') return isolator === 'bwrap' ? [...SECURITY_LAYERS] : [];
  if (raw === 'none') return [];
  const named = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = named.filter((s) => !(SECURITY_LAYERS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_REQUIRED_LAYERS names unknown layer(s) ${unknown.join(', ')}; ` +
        `use a comma list of ${SECURITY_LAYERS.join(', ')}, or "none"`,
    );
  }
  return SECURITY_LAYERS.filter((l) => named.includes(l));
}

export function isolatorFrom(env: Env): IsolatorName {
  return oneOf(env, 'AIRLOCK_ISOLATION', ['bwrap', 'process'] as const, 'bwrap');
}

/**
 * The sandbox section for `isolator` (read first: other sections depend on it). `isRoot`: the
 * server runs as root, so sandboxes default to nobody (65534) rather than the server's own ids.
 * Refusing uid 0 is loadConfig's last check.
 */
export function sandboxFrom(env: Env, isolator: IsolatorName, isRoot: boolean): SandboxConfig {
  return {
    isolator,
    bwrapPath: env.AIRLOCK_BWRAP || 'bwrap',
    nodePath: env.AIRLOCK_SANDBOX_NODE || process.execPath,
    uid: int(env, 'AIRLOCK_SANDBOX_UID', isRoot ? 65534 : (process.getuid?.() ?? 65534), 0, MAX_ID),
    gid: int(env, 'AIRLOCK_SANDBOX_GID', isRoot ? 65534 : (process.getgid?.() ?? 65534), 0, MAX_ID),
    tmpBytes: int(env, 'AIRLOCK_SANDBOX_TMP_BYTES', 16 * MiB, 1),
    // Node itself holds about 30 descriptors; below 64 the runtime may not start.
    openFiles: int(env, 'AIRLOCK_SANDBOX_NOFILE', 1024, 64, openFilesCeiling()),
    seccomp: seccompFrom(env),
    requiredLayers: requiredLayersFrom(env, isolator),
  };
}
