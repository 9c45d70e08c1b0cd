// CPU priority of sandbox processes. Blank pool sandboxes boot "in the background" at a low
// priority (nice 10), so a refill (tens of ms of a full core) yields to calls in flight; the
// pool raises a sandbox to normal priority once it is ready (it sleeps until its first call
// then, and the raise stays off that call's path). Raising needs root
// (CAP_SYS_NICE), so background boots are used only when the server runs as root.
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

export const BACKGROUND_NICE = 10;

/** True when this process may lower a process's niceness again (root). */
export function canPromote(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Sets every thread of `pid` back to normal priority (niceness is per thread on Linux).
 * Best effort: a process or thread that is gone is skipped.
 */
export function promoteProcess(pid: number): void {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      setPriority(Number(tid), 0);
    } catch {
      // exited meanwhile
    }
  }
}
