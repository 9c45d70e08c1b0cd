// Helpers for the cgroup tests against the real kernel: a manager with a root group of its own
// per test (so tests never meet each other's groups), a bwrap isolator that uses it, and a
// cleanup that destroys the sandboxes and proves every group the test created is gone.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { CgroupConfig, SandboxConfig } from '../../../src/core/config.js';
import { BwrapIsolator } from '../../../src/sandbox/bwrap/isolator.js';
import { createCgroupManager, createPolicy } from '../../../src/sandbox/cgroup/index.js';
import { parseMountinfo } from '../../../src/sandbox/cgroup/detect.js';
import type { CgroupManager } from '../../../src/sandbox/cgroup/index.js';
import { Tracker, sandboxConfig } from '../support.js';

let counter = 0;

export function cgroupConfig(overrides: Partial<CgroupConfig> = {}): CgroupConfig {
  return { mode: 'on', root: `airlock-test-${process.pid}-${++counter}`, pids: 128, cpus: 1, tenantWeight: 100, ...overrides };
}

/**
 * Why the real-kernel tests cannot run here, or false when they can. Tests that read v1 files
 * (cpuacct.usage, pids.current, memory.limit_in_bytes) pass `requireV1`.
 */
export function skipReason(requireV1 = false): string | false {
  if (process.getuid?.() !== 0) return 'needs root to create cgroups';
  const manager = createCgroupManager(cgroupConfig({ mode: 'auto' }));
  if (manager === undefined) return 'no usable cgroup hierarchy on this machine';
  void manager.close();
  if (requireV1 && manager.version !== 'v1') return 'reads cgroup v1 files; the v2 manager is tested at the file level';
  return false;
}

export interface CgroupRig {
  config: CgroupConfig;
  manager: CgroupManager;
  tracker: Tracker;
  /** Directories of the test's root group (one per hierarchy for v1). */
  roots: string[];
}

/** Runs `fn` with a fresh root group and a bwrap isolator placing sandboxes in it; cleans up. */
export async function withCgroups(
  fn: (rig: CgroupRig) => Promise<void>,
  opts: { cgroups?: Partial<CgroupConfig>; sandbox?: Partial<SandboxConfig> } = {},
): Promise<void> {
  const config = cgroupConfig(opts.cgroups);
  const manager = createCgroupManager(config);
  assert.ok(manager !== undefined, 'cgroups are usable');
  const roots = manager.describe().split(', ');
  const isolator = new BwrapIsolator(sandboxConfig('bwrap', opts.sandbox), { cgroups: createPolicy(config, manager) });
  const tracker = new Tracker('bwrap', isolator);
  try {
    await fn({ config, manager, tracker, roots });
  } finally {
    await tracker.cleanup();
    await isolator.close();
    await manager.close();
    for (const root of roots) assert.equal(existsSync(root), false, `group ${root} was removed`);
  }
}

/** The group path of `pid` in the hierarchy that holds `controller` (from /proc/<pid>/cgroup). */
export function groupOf(pid: number, controller: string): string | undefined {
  const text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  for (const line of text.split('\n')) {
    const [, names, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (names !== undefined && path !== undefined && (names === '' || names.split(',').includes(controller))) return path;
  }
  return undefined;
}

/** Absolute v1 directory of `pid`'s group in the hierarchy holding `controller`. */
export function v1GroupDir(pid: number, controller: string): string {
  const mounts = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  const mount = mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.includes(controller));
  const path = groupOf(pid, controller);
  assert.ok(mount !== undefined && path !== undefined, `pid ${pid} has a ${controller} group`);
  return mount.root === '/' ? `${mount.point}${path}` : `${mount.point}${path.slice(mount.root.length)}`;
}

/** Polls `read` until `done` holds, at most timeoutMs; returns the last value. */
export async function pollUntil<T>(what: string, read: () => T, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
