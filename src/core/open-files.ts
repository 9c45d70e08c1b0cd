// This process's open-files limit (RLIMIT_NOFILE, soft), read from /proc/self/limits; Node has no
// getrlimit. The default connection cap (AIRLOCK_MAX_CONNECTIONS) follows from it, so that a flood
// of connections cannot take the descriptors that sandboxes and the database need.
import { readFileSync } from 'node:fs';

/** The soft limit on open files, or undefined when it cannot be read or is unlimited. */
export function openFilesSoftLimit(limitsFile = '/proc/self/limits'): number | undefined {
  let text: string;
  try {
    text = readFileSync(limitsFile, 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  const value = Number(soft);
  return soft !== undefined && /^\d+$/.test(soft) && value > 0 ? value : undefined;
}

/** Most connections kept by default, whatever the limit. */
export const MAX_CONNECTIONS_CEILING = 10_000;

/**
 * The default cap on open connections: half the open-files limit (the other half stays for
 * sandboxes' pipes, the database and logs), at most MAX_CONNECTIONS_CEILING, at least 1.
 */
export function defaultMaxConnections(softLimit: number | undefined): number {
  if (softLimit === undefined) return MAX_CONNECTIONS_CEILING;
  return Math.max(1, Math.min(MAX_CONNECTIONS_CEILING, Math.floor(softLimit / 2)));
}
