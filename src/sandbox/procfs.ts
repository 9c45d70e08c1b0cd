// Tiny /proc readers used to wait for a sandbox's processes to be really gone, and to tell an
// exiting process from a live one when a sandbox's processes move between cgroups. A pid is
// identified by (pid, start time) so a recycled pid is never mistaken for the sandbox.
import { readFileSync } from 'node:fs';

interface ProcStat {
  state: string;
  ppid: number;
  pgid: number;
  /** The kernel's per-process flags (PF_*). */
  flags: number;
  startTime: number;
}

/** The `PF_EXITING` bit of ProcStat.flags: the process has begun to exit. */
const PF_EXITING = 0x4;

/** Parses /proc/<pid>/stat (fields after the parenthesized command name). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); field 9 (flags) is fields[6]; field 22 (starttime) is fields[19].
  return {
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    flags: Number(fields[6]),
    startTime: Number(fields[19]),
  };
}

/** Whether process `pid` is exiting (PF_EXITING), a zombie, or gone. */
export function exitingOrGone(pid: number): boolean {
  const stat = readProcStat(pid);
  if (stat === undefined) return true;
  return stat.state === 'Z' || stat.state === 'X' || (Number.isSafeInteger(stat.flags) && (stat.flags & PF_EXITING) !== 0);
}

export function processStartTime(pid: number): number | undefined {
  return readProcStat(pid)?.startTime;
}

/** True while that exact process exists and is not a zombie. */
export function processRunning(pid: number, startTime: number | undefined): boolean {
  const stat = readProcStat(pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || stat.startTime === startTime;
}

/** Polls until the process is gone (or a zombie), at most timeoutMs. */
export async function waitForProcessGone(pid: number, startTime: number | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (processRunning(pid, startTime) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 20);
  }
}
