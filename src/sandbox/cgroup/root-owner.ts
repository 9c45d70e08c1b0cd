// Which server uses a cgroup root (AIRLOCK_CGROUP_ROOT): each server marks the root with an empty
// group `_server-<pid>-<start time>` while it runs (a name no tenant can have: tenant names start
// with [a-z0-9]). A server starting on a root that a live server marks refuses to start: its sweep
// of leftover groups would remove the other's idle tenant groups, and their sandboxes would share
// tenant groups. A mark whose process is gone (a crash, kill -9) is removed. A process is its
// (pid, start time), so a recycled pid never passes for the server that had it.
import { join } from 'node:path';
import { AirlockError } from '../../core/errors.js';
import { readProcStat } from '../procfs.js';
import { makeGroup, removeGroupDir } from './ops.js';
import type { CgroupFs } from './types.js';

const PREFIX = '_server-';
const MARK = /^_server-(\d+)-(\d+)$/;

/** A process as a mark names it. */
export interface RootOwner {
  pid: number;
  startTime: number;
}

/** Whether a group below the root is a server's mark (never a tenant's or the pool's group). */
export function isOwnerMark(name: string): boolean {
  return name.startsWith(PREFIX);
}

/** This process, as its mark names it. */
export function thisProcess(): RootOwner {
  return { pid: process.pid, startTime: readProcStat(process.pid)?.startTime ?? 0 };
}

/** Whether the process a mark names still runs (the same pid started at the same time). */
function stillRuns(owner: RootOwner): boolean {
  return readProcStat(owner.pid)?.startTime === owner.startTime;
}

/**
 * Marks `rootDir` (the root group's directory in the primary hierarchy) as used by `self`, after
 * removing the marks of servers that are gone. Throws CONFIG_INVALID when another live server
 * marks it. Returns the directory of the mark, for release().
 */
export function claimRoot(fs: CgroupFs, rootDir: string, rootName: string, self: RootOwner = thisProcess(), runs = stillRuns): string {
  for (const name of fs.children(rootDir)) {
    const found = MARK.exec(name);
    if (found === null) continue;
    const owner = { pid: Number(found[1]), startTime: Number(found[2]) };
    if (owner.pid === self.pid && owner.startTime === self.startTime) continue;
    if (runs(owner)) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `AIRLOCK_CGROUP_ROOT=${rootName} is in use by another Airlock server on this host (pid ${owner.pid}); two servers on one ` +
          `root would remove each other's idle tenant groups. Give each server its own root, e.g. AIRLOCK_CGROUP_ROOT=${rootName}-2 ` +
          '(docs/configuration.md)',
        { pid: owner.pid },
      );
    }
    removeGroupDir(fs, join(rootDir, name));
  }
  const mark = join(rootDir, `${PREFIX}${self.pid}-${self.startTime}`);
  makeGroup(fs, mark, true);
  return mark;
}

/** Removes this server's mark (at its stop). */
export function releaseRoot(fs: CgroupFs, mark: string): void {
  removeGroupDir(fs, mark);
}
