// Cgroup batches (src/sandbox/cgroup/ops.ts): what each op does, that the worker runner carries
// them out beside the event loop (a blocked cgroupfs call never stalls the server), and that the
// managers change cgroupfs only through their runner once started.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WorkerOpRunner } from '../../../src/sandbox/cgroup/op-runner.js';
import { InlineOpRunner, runGroupOps } from '../../../src/sandbox/cgroup/ops.js';
import type { GroupOp, GroupOpRunner } from '../../../src/sandbox/cgroup/ops.js';
import type { CgroupFs } from '../../../src/sandbox/cgroup/types.js';
import { V2Manager } from '../../../src/sandbox/cgroup/v2.js';
import { FakeCgroup2 } from './fake-cgroupfs.js';

const LIMITS = { memoryBytes: 64 * 1024 * 1024, pids: 32, cpus: 0.5 };

describe('cgroup op batches', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-ops-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs each op with its options, in order', async () => {
    const fake = new FakeCgroup2(join(dir, 'cg'));
    fake.write(join(fake.mount, 'cgroup.subtree_control'), '+memory +pids +cpu');
    const a = join(fake.mount, 'a');
    const b = join(fake.mount, 'b');
    await runGroupOps(fake, [
      { op: 'mkdir', path: a },
      { op: 'mkdir', path: a, existOk: true },
      { op: 'mkdir', path: b },
      { op: 'write', path: join(a, 'pids.max'), value: '7' },
      { op: 'write', path: join(a, 'no.such.file'), value: '1', ifExists: true },
      { op: 'write', path: join(a, 'cgroup.procs'), value: '101' },
      { op: 'write', path: join(a, 'cgroup.procs'), value: '102' },
      { op: 'moveAll', from: join(a, 'cgroup.procs'), to: join(b, 'cgroup.procs') },
      { op: 'rmdir', path: a, retry: true },
      { op: 'rmdir', path: join(fake.mount, 'never-created') },
    ]);
    assert.deepEqual(fake.procs(b), ['101', '102'], 'moveAll moved every process');
    assert.equal(existsSync(a), false, 'the emptied group was removed');

    await assert.rejects(runGroupOps(fake, [{ op: 'mkdir', path: b }]), /EEXIST/, 'mkdir without existOk fails on an existing group');
    await assert.rejects(
      runGroupOps(fake, [{ op: 'write', path: join(b, 'no.such.file'), value: '1' }]),
      (err: Error & { code?: string }) => err.code === 'ENOENT' && err.message.includes('no.such.file'),
    );
    // rmdir never fails: a group that still holds processes stays for the next start's sweep.
    await runGroupOps(fake, [{ op: 'rmdir', path: b }]);
    assert.deepEqual(fake.procs(b), ['101', '102']);
  });

  it('moveAll writes every pid it finds listed at least once, even one already exiting or gone', async () => {
    // A process forked between two rounds can be listed as exiting while other threads of it run
    // (its main thread called exit): writing its pid moves those threads, so it is never skipped.
    // Pids above the kernel's pid_max: gone, as far as /proc can tell.
    const [early, late] = ['4999998', '4999999'];
    const listings = [[early], [early, late], [early, late], [early, late]];
    const writes: string[] = [];
    const fs: CgroupFs = {
      mkdir: () => {},
      rmdir: () => {},
      exists: () => true,
      children: () => [],
      read: () => (listings.shift() ?? [early, late]).join('\n'),
      write: (path, value) => void writes.push(`${path}=${value}`),
    };
    await runGroupOps(fs, [{ op: 'moveAll', from: 'from/cgroup.procs', to: 'to/cgroup.procs' }]);
    assert.deepEqual(writes, ['to/cgroup.procs=4999998', 'to/cgroup.procs=4999998', 'to/cgroup.procs=4999999']);
  });

  it('readBytes answers the byte counts it read, in order, through the worker thread', async () => {
    const charged = join(dir, 'memory.usage_in_bytes');
    const runner = new WorkerOpRunner();
    try {
      writeFileSync(charged, '30000\n');
      assert.deepEqual(await runner.run([{ op: 'readBytes', path: charged }]), [30_000]);
      const both = await runner.run([{ op: 'readBytes', path: charged }, { op: 'write', path: charged, value: '99900' }, { op: 'readBytes', path: charged }]);
      assert.deepEqual(both, [30_000, 99_900], 'one reading per readBytes, in order');
      assert.deepEqual(await runner.run([{ op: 'mkdir', path: join(dir, 'g') }]), [], 'a batch without one reads nothing');
      writeFileSync(charged, 'garbage');
      await assert.rejects(runner.run([{ op: 'readBytes', path: charged }]), /memory\.usage_in_bytes holds no byte count/);
      // An optional read (the charge a move leaves behind) reads 0 and the batch goes on.
      const missing = join(dir, 'gone', 'memory.usage_in_bytes');
      const after = join(dir, 'after-the-read');
      assert.deepEqual(await runner.run([{ op: 'readBytes', path: charged, optional: true }, { op: 'readBytes', path: missing, optional: true }, { op: 'mkdir', path: after }]), [0, 0]);
      assert.equal(existsSync(after), true, 'the ops after it ran');
    } finally {
      await runner.close();
    }
  });

  it('the worker runner carries out batches and reports failures with the errno code', async () => {
    const runner = new WorkerOpRunner();
    try {
      const group = join(dir, 'g');
      await runner.run([{ op: 'mkdir', path: group }]);
      writeFileSync(join(group, 'limit'), '00'); // cgroupfs files are written in place, never truncated
      await runner.run([{ op: 'write', path: join(group, 'limit'), value: '42' }]);
      assert.equal(readFileSync(join(group, 'limit'), 'utf8'), '42');
      await assert.rejects(
        runner.run([{ op: 'write', path: join(group, 'missing'), value: '1' }]),
        (err: Error & { code?: string }) => err.code === 'ENOENT' && err.message.includes(join(group, 'missing')),
      );
      await runner.run([{ op: 'rmdir', path: join(group, 'missing-dir') }]);
    } finally {
      await runner.close();
    }
    await assert.rejects(runner.run([{ op: 'mkdir', path: join(dir, 'late') }]), /closed/);
    assert.equal(existsSync(join(dir, 'late')), false);
  });

  it('a cgroupfs call that blocks holds up the worker, never the event loop', async () => {
    // A write into a full pipe nobody reads blocks, like a move waiting on the kernel.
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const runner = new WorkerOpRunner();
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      let settled = false;
      const batch = runner.run([{ op: 'write', path: fifo, value: 'x'.repeat(256 * 1024) }]).finally(() => {
        settled = true;
      });
      // The event loop keeps turning while the write is stuck in the worker.
      let turns = 0;
      const started = Date.now();
      while (turns < 20 && Date.now() - started < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        turns++;
      }
      assert.equal(turns, 20, 'timers ran while the batch was blocked');
      assert.equal(settled, false, 'the batch waits for the pipe to drain');
      // Drain the pipe: the write completes and the batch resolves.
      const buf = Buffer.alloc(64 * 1024);
      let read = 0;
      const deadline = Date.now() + 10_000;
      while (!settled && Date.now() < deadline) {
        try {
          read += readSync(reader, buf);
        } catch (err) {
          if ((err as { code?: string }).code !== 'EAGAIN') throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await batch;
      assert.ok(read > 0);
    } finally {
      closeSync(reader);
      await runner.close();
    }
  });

  it('after start, a manager changes cgroupfs only through its runner', async () => {
    const fake = new FakeCgroup2(join(dir, 'cg'));
    fake.write(join(fake.mount, 'cgroup.subtree_control'), '+memory +pids +cpu');
    const base = join(fake.mount, 'airlock.service');
    fake.mkdir(base);
    mkdirSync(join(base, 'server'));
    let started = false;
    let inRunner = false;
    const guarded: CgroupFs = {
      ...fake,
      mkdir: (path) => (guard('mkdir', path), fake.mkdir(path)),
      rmdir: (path) => (guard('rmdir', path), fake.rmdir(path)),
      write: (path, value) => (guard('write', path), fake.write(path, value)),
      read: (path) => fake.read(path),
      exists: (path) => fake.exists(path),
      children: (path) => fake.children(path),
    };
    function guard(what: string, path: string): void {
      if (started && !inRunner) assert.fail(`${what} ${path} ran outside the runner`);
    }
    const batches: GroupOp[][] = [];
    const inline = new InlineOpRunner(guarded);
    const runner: GroupOpRunner = {
      async run(ops) {
        batches.push([...ops]);
        inRunner = true;
        try {
          return await inline.run(ops);
        } finally {
          inRunner = false;
        }
      },
      close: () => inline.close(),
    };
    const manager = new V2Manager(guarded, base, { rootName: 'airlock', tenantWeight: 100 }, runner, 1);
    manager.init();
    started = true;
    const blank = await manager.place([5001], LIMITS);
    await blank.bindTenant('acme');
    const direct = await manager.place([5002], LIMITS, 'acme');
    assert.deepEqual(fake.procs(join(base, 'airlock', 'acme', blank.name)), ['5001']);
    assert.deepEqual(fake.procs(join(base, 'airlock', 'acme', direct.name)), ['5002']);
    fake.write(join(base, 'cgroup.procs'), '5001');
    fake.write(join(base, 'cgroup.procs'), '5002');
    await blank.remove();
    await direct.remove();
    const groups = fake.children(join(base, 'airlock')).filter((name) => !name.startsWith('_server-')); // but the server's mark
    assert.deepEqual(groups, ['_pool'], 'the tenant group went with its last sandbox');
    assert.ok(batches.length >= 5, `placements, the bind and the removals ran as batches (${batches.length})`);
    started = false;
    await manager.close();
  });
});
