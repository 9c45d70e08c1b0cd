// Shared helpers for the sandbox tests: isolator construction, run requests, a tracker that
// destroys every sandbox a test created and proves no process was left behind, /proc scans
// (process groups and pid namespaces), and polling with a deadline instead of sleeps.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { IsolatorName, SandboxConfig } from '../../src/core/config.js';
import { createIsolator } from '../../src/sandbox/index.js';
import type { Isolator, Sandbox, SandboxRunRequest, SpawnOptions } from '../../src/sandbox/port.js';

export const MiB = 1024 * 1024;

export function sandboxConfig(isolator: IsolatorName, overrides: Partial<SandboxConfig> = {}): SandboxConfig {
  return {
    isolator,
    bwrapPath: 'bwrap',
    nodePath: process.execPath,
    uid: 65534,
    gid: 65534,
    tmpBytes: 2 * MiB,
    openFiles: 1024,
    seccomp: { mode: 'on' },
    requiredLayers: [],
    ...overrides,
  };
}

export function makeIsolator(isolator: IsolatorName, overrides: Partial<SandboxConfig> = {}): Isolator {
  return createIsolator(sandboxConfig(isolator, overrides));
}

let counter = 0;

export interface RequestOptions extends Partial<Omit<SandboxRunRequest, 'code'>> {
  input?: unknown;
}

/** A run request for `code`; the version is the code's hash, like real deployments. */
export function request(code: string, opts: RequestOptions = {}): SandboxRunRequest {
  const { input, ...rest } = opts;
  return {
    executionId: `ex_test_${process.pid}_${++counter}`,
    tenant: 'tenant-a',
    functionName: 'probe',
    version: createHash('sha256').update(code).digest('hex'),
    code,
    inputJson: JSON.stringify(input ?? null),
    timeoutMs: 10_000,
    resultBytes: 256 * 1024,
    logBytes: 64 * 1024,
    ...rest,
  };
}

/** Module-level JS for tenant code: `writeFrame(json)` writes one raw frame to fd 3. */
export const FRAME_WRITER = `
import { writeSync as __writeSync } from 'node:fs';
function writeFrame(json) {
  const body = Buffer.from(json, 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  __writeSync(3, Buffer.concat([head, body]));
}
`;

// ------------------------------------------------------------------ /proc

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  uid: number;
  /** When it started, clock ticks since boot (/proc/<pid>/stat field 22). */
  startTicks: number;
}

export function listProcesses(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
      out.push({ pid: Number(entry), state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]), uid, startTicks: Number(fields[19]) });
    } catch {
      // exited while scanning
    }
  }
  return out;
}

function pidNamespace(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

export function isZombie(pid: number): boolean {
  return listProcesses().some((p) => p.pid === pid && p.state === 'Z');
}

/** Direct children of a pid (non-zombie). */
export function childrenOf(pid: number): number[] {
  return listProcesses()
    .filter((p) => p.ppid === pid && p.state !== 'Z')
    .map((p) => p.pid);
}

/** Where a sandbox's processes live: its process group, and for bwrap its pid namespace. */
export interface Footprint {
  pgid: number;
  pidns: string | undefined;
  /** The pid namespace's pid 1 (bwrap's child), when there is one. */
  innerPid: number | undefined;
}

export function footprint(sandbox: Sandbox, isolator: IsolatorName): Footprint {
  const pgid = sandbox.pid;
  assert.ok(pgid !== undefined, 'sandbox has a pid');
  if (isolator !== 'bwrap') return { pgid, pidns: undefined, innerPid: undefined };
  const inner = childrenOf(pgid)[0];
  assert.ok(inner !== undefined, "bwrap has a child (the namespace's pid 1)");
  return { pgid, pidns: pidNamespace(inner), innerPid: inner };
}

/** Clock ticks since boot, as /proc/<pid>/stat counts process start times (USER_HZ = 100). */
export function ticksSinceBoot(): number {
  return Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
}

/**
 * Live (non-zombie) processes still in the sandbox's process group or pid namespace. With
 * `startedBy` (ticks since boot, taken before the sandbox was destroyed), a process in a pid
 * namespace of the same inode that started after it is not counted: once the sandbox's namespace
 * is gone the kernel may give its inode number to another sandbox's (e.g. of a test running
 * alongside), and that sandbox's processes are not this one's leftovers.
 */
export function leftovers(fp: Footprint, startedBy?: number): number[] {
  return listProcesses()
    .filter((p) => p.state !== 'Z')
    .filter(
      (p) =>
        p.pgid === fp.pgid ||
        (fp.pidns !== undefined && pidNamespace(p.pid) === fp.pidns && (startedBy === undefined || p.startTicks <= startedBy + 1)),
    )
    .map((p) => p.pid);
}

// ------------------------------------------------------------------ waiting

/** Polls `predicate` (which may be async, e.g. an HTTP read) every 10 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// ------------------------------------------------------------------ tracking

/** Spawns sandboxes for a test and, on cleanup, destroys them and asserts nothing survived. */
export class Tracker {
  private readonly entries: { sandbox: Sandbox; fp: Footprint }[] = [];
  readonly isolatorName: IsolatorName;
  readonly isolator: Isolator;

  constructor(isolatorName: IsolatorName, isolator?: Isolator) {
    this.isolatorName = isolatorName;
    this.isolator = isolator ?? makeIsolator(isolatorName);
  }

  async spawn(memoryMiB = 64, extra: Omit<SpawnOptions, 'memoryMiB'> = {}): Promise<Sandbox> {
    const sandbox = await this.isolator.spawn({ memoryMiB, ...extra });
    this.entries.push({ sandbox, fp: footprint(sandbox, this.isolatorName) });
    return sandbox;
  }

  footprintOf(sandbox: Sandbox): Footprint {
    const entry = this.entries.find((e) => e.sandbox === sandbox);
    assert.ok(entry, 'sandbox is tracked');
    return entry.fp;
  }

  async cleanup(): Promise<void> {
    const entries = this.entries.splice(0);
    const destroyAt = ticksSinceBoot();
    await Promise.all(entries.map((e) => e.sandbox.destroy()));
    for (const { sandbox, fp } of entries) {
      assert.equal(sandbox.alive, false);
      // The kernel ends a dead namespace's processes on its own time: a loaded machine may show
      // one for a moment after bwrap is gone.
      await waitFor(`the processes of sandbox ${sandbox.id} to end`, () => leftovers(fp, destroyAt).length === 0, 5_000).catch(() => undefined);
      assert.deepEqual(leftovers(fp, destroyAt), [], `no process of sandbox ${sandbox.id} is left`);
      if (fp.innerPid !== undefined) assert.equal(isZombie(fp.innerPid), false, 'bwrap reaped its child (no orphaned zombie)');
    }
  }
}

/** Footprints of every sandbox that is currently a child of the test process (bwrap only). */
export function childSandboxFootprints(): Footprint[] {
  return childrenOf(process.pid).map((pid) => {
    const inner = childrenOf(pid)[0];
    return { pgid: pid, pidns: inner === undefined ? undefined : pidNamespace(inner), innerPid: inner };
  });
}

/** The test process must have no live children left (every sandbox was reaped). */
export function assertNoChildren(): void {
  assert.deepEqual(childrenOf(process.pid), [], 'no child process of the test is left');
}
