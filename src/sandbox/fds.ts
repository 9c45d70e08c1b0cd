// Keeps host file descriptors out of sandboxes. Node opens its own fds close-on-exec, but a
// server started by a careless parent can hold inherited fds without FD_CLOEXEC (we saw a
// supervisor's pipe at fd 251), and a child would inherit them: a pipe or directory fd inside a
// sandbox is a way out. This finds such fds and maps /dev/null over them in the child's stdio.
import { openSync, readFileSync, readdirSync } from 'node:fs';
import type { StdioOptions } from 'node:child_process';

type StdioEntry = 'pipe' | 'ignore' | number;

const O_CLOEXEC = 0o2000000;
let devNull: number | undefined;

/** Host fds >= 3 that an exec'd child would inherit (no close-on-exec flag). Linux only. */
export function inheritableFds(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const entry of entries) {
    const fd = Number(entry);
    if (!Number.isInteger(fd) || fd < 3) continue;
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (flags !== null && (parseInt(flags[1]!, 8) & O_CLOEXEC) === 0) out.push(fd);
    } catch {
      // closed meanwhile (e.g. the fd used to read the directory itself)
    }
  }
  return out;
}

/** Returns `stdio` extended so every inheritable host fd not used by it becomes /dev/null. */
export function coverInheritedFds(stdio: readonly StdioEntry[]): StdioOptions {
  const leaked = inheritableFds().filter((fd) => fd >= stdio.length);
  if (leaked.length === 0) return [...stdio];
  devNull ??= openSync('/dev/null', 'r');
  const out: StdioEntry[] = [...stdio];
  const top = Math.max(...leaked);
  for (let fd = stdio.length; fd <= top; fd++) out.push('ignore');
  for (const fd of leaked) out[fd] = devNull;
  return out;
}
