// A cgroup root (AIRLOCK_CGROUP_ROOT) serves one live server: a server marks it while it runs, a
// second server on the same root refuses to start (before, its start-up sweep removed the first
// one's idle tenant groups), a mark whose process is gone is removed, and a recycled pid (same
// pid, another start time) is not taken for the server that had it. On a directory laid out like
// cgroupfs (fake-cgroupfs.ts); the "other server" is a process this test starts and ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CgroupConfig } from '../../../src/core/config.js';
import { AirlockError } from '../../../src/core/errors.js';
import { createCgroupManager } from '../../../src/sandbox/cgroup/index.js';
import { claimRoot, thisProcess } from '../../../src/sandbox/cgroup/root-owner.js';
import { readProcStat } from '../../../src/sandbox/procfs.js';
import { FakeCgroup2 } from './fake-cgroupfs.js';

const CONFIG: CgroupConfig = { mode: 'on', root: 'airlock', pids: 128, cpus: 0.5, tenantWeight: 100 };

describe('one live server per cgroup root', () => {
  let dir: string;
  let fake: FakeCgroup2;
  let root: string;
  let other: ChildProcess | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-root-owner-'));
    fake = new FakeCgroup2(join(dir, 'cgroup'));
    fake.write(join(fake.mount, 'cgroup.subtree_control'), '+memory +pids +cpu');
    const base = join(fake.mount, 'airlock.service');
    fake.mkdir(base);
    root = join(base, 'airlock');
  });
  afterEach(() => {
    if (other?.exitCode === null && other.signalCode === null) other.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const host = (): { fs: FakeCgroup2; texts: { mountinfo: string; cgroup: string } } => ({ fs: fake, texts: fake.procTexts('/airlock.service') });
  const marks = (): string[] => fake.children(root).filter((name) => name.startsWith('_server-')).sort();

  /** A live process this test started, marked on the root as a server, with an idle tenant group. */
  async function otherServerOnRoot(): Promise<number> {
    other = spawn('sleep', ['60'], { stdio: 'ignore' });
    await new Promise((resolve) => other!.once('spawn', resolve));
    const pid = other.pid!;
    fake.mkdir(root);
    fake.mkdir(join(root, `_server-${pid}-${readProcStat(pid)!.startTime}`));
    fake.mkdir(join(root, 'acme'));
    return pid;
  }

  it("refuses to start on a root a live server marks, and leaves that server's groups alone", async () => {
    const pid = await otherServerOnRoot();
    for (const mode of ['on', 'auto'] as const) {
      assert.throws(
        () => createCgroupManager({ ...CONFIG, mode }, host()),
        (err: unknown) =>
          err instanceof AirlockError &&
          err.code === 'CONFIG_INVALID' &&
          err.message.startsWith(`AIRLOCK_CGROUP_ROOT=airlock is in use by another Airlock server on this host (pid ${pid}); `) &&
          err.message.includes('AIRLOCK_CGROUP_ROOT=airlock-2'),
        `mode ${mode}: refused, not run without cgroups`,
      );
    }
    assert.ok(fake.children(root).includes('acme'), "the other server's idle tenant group is still there");
    assert.equal(marks().length, 1, 'no mark of this process was left');
  });

  it("takes a root whose mark's server is gone: the mark and the leftovers go, its own mark stays until it stops", async () => {
    const pid = await otherServerOnRoot();
    const exited = new Promise((resolve) => other!.once('exit', resolve));
    other!.kill('SIGKILL');
    await exited;
    const manager = createCgroupManager(CONFIG, host())!;
    const self = thisProcess();
    assert.deepEqual(marks(), [`_server-${self.pid}-${self.startTime}`], `the mark of pid ${pid} is gone, this one's is there`);
    assert.ok(!fake.children(root).includes('acme'), 'the leftover tenant group was swept');
    await manager.close();
    assert.equal(fake.exists(root), false, 'the mark went at the stop, and the root with it');
  });

  it('a recycled pid (same pid, another start time) is not the server that had it', () => {
    fake.mkdir(root);
    const self = thisProcess();
    fake.mkdir(join(root, `_server-${self.pid}-${self.startTime + 1}`));
    // The only live process with that pid is this one, started at another time.
    const claimed = claimRoot(fake, [root], 'airlock');
    assert.deepEqual(marks(), [`_server-${self.pid}-${self.startTime}`]);
    assert.deepEqual(claimed, [join(root, `_server-${self.pid}-${self.startTime}`)]);
  });

  it('marks every hierarchy, and a live mark in any one of them refuses (cgroup v1 roots differ per hierarchy)', () => {
    // Two roots standing for one root in two hierarchies (the fake is one tree).
    const memory = join(root, '..', 'memory-root');
    const cpu = join(root, '..', 'cpu-root');
    fake.mkdir(memory);
    fake.mkdir(cpu);
    const other = { pid: 4242, startTime: 7 };
    const runs = (owner: { pid: number; startTime: number }): boolean => owner.pid === other.pid && owner.startTime === other.startTime;
    fake.mkdir(join(cpu, '_server-4242-7')); // the other server shares only the cpu hierarchy's root
    assert.throws(() => claimRoot(fake, [memory, cpu], 'airlock', thisProcess(), runs), (err: unknown) => err instanceof AirlockError && /\(pid 4242\)/.test(err.message));
    assert.deepEqual(fake.children(memory), [], 'nothing marked when refused');
    fake.rmdir(join(cpu, '_server-4242-7'));
    const self = thisProcess();
    const claimed = claimRoot(fake, [memory, cpu], 'airlock', self, runs);
    assert.deepEqual(claimed, [join(memory, `_server-${self.pid}-${self.startTime}`), join(cpu, `_server-${self.pid}-${self.startTime}`)]);
  });

  it('two servers marking at the same moment: the one that finds the other mark after its own refuses and leaves none', () => {
    fake.mkdir(root);
    const other = { pid: 4243, startTime: 9 };
    const runs = (owner: { pid: number; startTime: number }): boolean => owner.pid === other.pid && owner.startTime === other.startTime;
    // The other server makes its mark just as this one makes its own (between the check and the mark).
    const racing = Object.create(fake) as FakeCgroup2;
    racing.mkdir = (path: string): void => {
      fake.mkdir(path);
      if (path.includes('_server-') && !fake.exists(join(root, '_server-4243-9'))) fake.mkdir(join(root, '_server-4243-9'));
    };
    assert.throws(() => claimRoot(racing, [root], 'airlock', thisProcess(), runs), (err: unknown) => err instanceof AirlockError && /\(pid 4243\)/.test(err.message));
    assert.deepEqual(marks(), ['_server-4243-9'], "only the other server's mark is left");
  });
});
