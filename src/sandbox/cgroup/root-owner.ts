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

/** The live server other than `self` that marks any of `rootDirs`, if one does. */
export function liveOwner(fs: CgroupFs, rootDirs: readonly string[], self?: RootOwner, runs = stillRuns): RootOwner | undefined {
  for (const dir of rootDirs) {
    if (!fs.exists(dir)) continue;
    for (const name of fs.children(dir)) {
      const owner = ownerOf(name);
      if (owner === undefined || (self !== undefined && owner.pid === self.pid && owner.startTime === self.startTime)) continue;
      if (runs(owner)) return owner;
    }
  }
  return undefined;
}

function ownerOf(name: string): RootOwner | undefined {
  const found = MARK.exec(name);
  return found === null ? undefined : { pid: Number(found[1]), startTime: Number(found[2]) };
}

export function rootInUse(rootName: string, owner: RootOwner): AirlockError {
  return new AirlockError(
    'CONFIG_INVALID',
    `AIRLOCK_CGROUP_ROOT=${rootName} is in use by another Airlock server on this host (pid ${owner.pid}); two servers on one ` +
      `root would remove each other's idle tenant groups. Give each server its own root, e.g. AIRLOCK_CGROUP_ROOT=${rootName}-2 ` +
      '(docs/configuration.md)',
    { pid: owner.pid },
  );
}

/**
 * Marks the root in every hierarchy (`rootDirs`: on cgroup v1 each hierarchy's root sits below
 * the server's own group there, so two servers can share one hierarchy's root and not another's),
 * after removing the marks of servers that are gone. Throws CONFIG_INVALID when another live server
 * marks any of them, also when one marked it at the same moment (checked again after marking).
 * Returns the directories of its marks, for releaseRoot().
 */
export function claimRoot(fs: CgroupFs, rootDirs: readonly string[], rootName: string, self: RootOwner = thisProcess(), runs = stillRuns): string[] {
  const other = liveOwner(fs, rootDirs, self, runs);
  if (other !== undefined) throw rootInUse(rootName, other);
  for (const dir of rootDirs) {
    for (const name of fs.children(dir)) {
      const owner = ownerOf(name);
      if (owner !== undefined && !(owner.pid === self.pid && owner.startTime === self.startTime)) removeGroupDir(fs, join(dir, name));
    }
  }
  const marks = rootDirs.map((dir) => join(dir, `${PREFIX}${self.pid}-${self.startTime}`));
  for (const mark of marks) makeGroup(fs, mark, true);
  // Two servers starting together could both have found no mark: each sees the other's now.
  const racing = liveOwner(fs, rootDirs, self, runs);
  if (racing !== undefined) {
    releaseRoot(fs, marks);
    throw rootInUse(rootName, racing);
  }
  return marks;
}

/** Removes this server's marks (at its stop). */
export function releaseRoot(fs: CgroupFs, marks: readonly string[]): void {
  for (const mark of marks) removeGroupDir(fs, mark);
}
