// Who holds a lease: each server's job worker names itself with where it runs (the kernel's boot
// id, its pid namespace) and which process it is (pid and start time), so that a server starting
// on the same machine can tell that the holder of a lease is dead (a server killed with SIGKILL)
// and expire its leases at once, instead of letting its tenants wait out the lease length.
// A holder on another machine, in another pid namespace or after a reboot cannot be judged from
// here: its leases expire on their own, as before.
import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';

const PREFIX = 'w1';

interface ProcessIdentity {
  bootId: string;
  pidNamespace: string;
  pid: number;
  startTicks: string;
}

/** The start time of process `pid` in clock ticks since boot (field 22 of its stat), or undefined. */
function startTicksOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function ownIdentity(): ProcessIdentity | undefined {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNamespace = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
    const startTicks = startTicksOf(process.pid);
    if (!/^[\w-]+$/.test(bootId) || pidNamespace === undefined || startTicks === undefined) return undefined;
    return { bootId, pidNamespace, pid: process.pid, startTicks };
  } catch {
    return undefined;
  }
}

/** A lease owner name for this process: `w1:<boot id>:<pid ns>:<pid>:<start ticks>:<random>`, or `worker-<uuid>` off Linux. */
export function leaseOwnerName(): string {
  const me = ownIdentity();
  if (me === undefined) return `worker-${randomUUID()}`;
  return [PREFIX, me.bootId, me.pidNamespace, me.pid, me.startTicks, randomUUID().slice(0, 8)].join(':');
}

/**
 * True only when `owner` names a process of this machine's current boot and pid namespace that
 * no longer runs (its pid is free, or taken by a process that started at another time).
 */
export function ownerIsGoneHere(owner: string, startTicks: (pid: number) => string | undefined = startTicksOf): boolean {
  const [prefix, bootId, pidNamespace, pid, started] = owner.split(':');
  if (prefix !== PREFIX || pid === undefined || started === undefined) return false;
  const me = ownIdentity();
  if (me === undefined || bootId !== me.bootId || pidNamespace !== me.pidNamespace) return false;
  const n = Number(pid);
  if (!Number.isSafeInteger(n) || n <= 0) return false;
  return startTicks(n) !== started;
}
