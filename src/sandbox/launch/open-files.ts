// The open-files limit of a server's sandboxes (AIRLOCK_SANDBOX_NOFILE): the spawner process is
// started under util-linux `prlimit` with it, so every sandbox it forks inherits it; and since the
// spawner shares it, the limit is raised (with a warning) to what the spawner itself needs.
import { resolveExecutable } from '../executables.js';
import { inheritableFds } from '../fds.js';
import { SpawnerLauncher } from './spawner.js';

/**
 * The launcher for a server's sandboxes: every sandbox gets `openFiles` as its RLIMIT_NOFILE when
 * util-linux `prlimit` is on PATH; without it, `warn` is told why they inherit the server's. The
 * spawner that forks them has the same limit (see openFilesLimit for when it is raised).
 */
export function sandboxLauncher(openFiles: number, maxSandboxes: number, warn: (message: string) => void): SpawnerLauncher {
  const prlimitPath = resolveExecutable('prlimit');
  if (prlimitPath === undefined) {
    warn(
      "prlimit (util-linux) was not found on PATH: sandboxes inherit the server's open-files limit " +
        'instead of AIRLOCK_SANDBOX_NOFILE; install util-linux to apply it',
    );
    return new SpawnerLauncher();
  }
  const { limit, raisedBecause } = openFilesLimit(openFiles, inheritableFds(), maxSandboxes);
  if (raisedBecause !== undefined) {
    warn(`sandboxes get an open-files limit of ${limit} instead of AIRLOCK_SANDBOX_NOFILE=${openFiles}: ${raisedBecause}`);
  }
  return new SpawnerLauncher({ openFiles: { limit, prlimitPath } });
}

/** Descriptors the spawner itself holds per sandbox it may be starting or keeping (measured: ≈ 8 + 1). */
const SPAWNER_FDS_PER_SANDBOX = 10;
/** The spawner's own baseline (Node, its IPC channel) and room for libuv to move fds at a spawn. */
const SPAWNER_FDS_BASE = 64;

/**
 * The sandboxes' RLIMIT_NOFILE: `wanted`, raised when the spawner, which shares it, needs more:
 * its descriptors while it starts up to `maxSandboxes` sandboxes at once, and room above any
 * descriptor the server inherited from its parent (each sandbox covers those with /dev/null,
 * which needs their numbers, and a few more, under the limit).
 */
export function openFilesLimit(
  wanted: number,
  inherited: readonly number[],
  maxSandboxes: number,
): { limit: number; raisedBecause?: string } {
  const forSpawner = SPAWNER_FDS_PER_SANDBOX * maxSandboxes + SPAWNER_FDS_BASE;
  const highest = Math.max(2, ...inherited);
  const forInherited = highest + 1 + SPAWNER_FDS_BASE;
  if (wanted >= forSpawner && wanted >= forInherited) return { limit: wanted };
  if (forSpawner >= forInherited) {
    return {
      limit: forSpawner,
      raisedBecause:
        `the process that forks sandboxes shares the limit and needs about ${SPAWNER_FDS_PER_SANDBOX} per sandbox ` +
        `of AIRLOCK_MAX_SANDBOXES=${maxSandboxes}; raise AIRLOCK_SANDBOX_NOFILE or lower AIRLOCK_MAX_SANDBOXES`,
    };
  }
  return {
    limit: forInherited,
    raisedBecause:
      `the server holds file descriptor ${highest}, inherited from whatever started it; start the server ` +
      'without stray descriptors (a service manager does) or raise AIRLOCK_SANDBOX_NOFILE',
  };
}
