// The cgroup v2 manager against a directory laid out like cgroupfs (fake-cgroupfs.ts): the files
// it writes (subtree_control, memory.max, pids.max, cpu.max, cpu.weight, cgroup.procs) and reads
// (memory.events, cpu.stat) are checked the way the kernel would see them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CgroupConfig } from '../../../src/core/config.js';
import { AirlockError } from '../../../src/core/errors.js';
import { cgroupStatus, createCgroupManager } from '../../../src/sandbox/cgroup/index.js';
import type { SandboxCgroup } from '../../../src/sandbox/cgroup/types.js';
import { FakeCgroup2 } from './fake-cgroupfs.js';

const CONFIG: CgroupConfig = { mode: 'on', root: 'airlock', pids: 128, cpus: 0.5, tenantWeight: 250 };
const LIMITS = { memoryBytes: 192 * 1024 * 1024, pids: 128, cpus: 0.5 };

describe('cgroup v2 manager (file level)', () => {
  let dir: string;
  let fake: FakeCgroup2;
  let base: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-cg2-'));
    fake = new FakeCgroup2(join(dir, 'cgroup'));
    // A delegated group for the server (like systemd's Delegate=yes), its processes in a leaf.
    fake.write(join(fake.mount, 'cgroup.subtree_control'), '+memory +pids +cpu');
    base = join(fake.mount, 'airlock.service');
    fake.mkdir(base);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const host = (): { fs: FakeCgroup2; texts: { mountinfo: string; cgroup: string } } => ({
    fs: fake,
    texts: fake.procTexts('/airlock.service'),
  });
  const read = (rel: string): string => readFileSync(join(base, rel), 'utf8').trim();
  /** Two sandboxes placed blank, then bound to `tenant`. */
  const twoBoundTo = async (tenant: string): Promise<[SandboxCgroup, SandboxCgroup]> => {
    const manager = createCgroupManager(CONFIG, host())!;
    const pair: [SandboxCgroup, SandboxCgroup] = [await manager.place([], LIMITS), await manager.place([], LIMITS)];
    for (const group of pair) await group.bindTenant(tenant);
    return pair;
  };

  it('detects v2, enables the controllers down the tree and reports its status', () => {
    const status = cgroupStatus(CONFIG, host());
    assert.deepEqual({ ok: status.ok, version: status.version }, { ok: true, version: 'v2' });
    const manager = createCgroupManager(CONFIG, host());
    assert.equal(manager?.version, 'v2');
    assert.equal(read('cgroup.subtree_control'), 'memory pids cpu');
    assert.equal(read('airlock/cgroup.subtree_control'), 'memory pids cpu');
    assert.deepEqual(fake.tree(), ['/', '/airlock.service', '/airlock.service/airlock', '/airlock.service/airlock/_pool']);
  });

  it('places a sandbox with its limits, binds it to its tenant, reads OOM and removes everything', async () => {
    const manager = createCgroupManager(CONFIG, host())!;
    const group = await manager.place([4242, 4243], LIMITS);
    const blank = `airlock/_pool/${group.name}`;
    assert.equal(read(`${blank}/memory.max`), String(LIMITS.memoryBytes));
    assert.equal(read(`${blank}/memory.swap.max`), '0');
    assert.equal(read(`${blank}/memory.oom.group`), '1');
    assert.equal(read(`${blank}/pids.max`), '128');
    assert.equal(read(`${blank}/cpu.max`), '50000 100000');
    assert.deepEqual(fake.procs(join(base, blank)), ['4242', '4243']);

    // The kernel keeps what the blank sandbox was charged before the move with the pool group.
    const BEFORE = 40 * 1024 * 1024;
    fake.write(join(base, blank, 'memory.current'), String(BEFORE));
    await group.bindTenant('acme');
    const bound = `airlock/acme/${group.name}`;
    assert.equal(read('airlock/acme/cpu.weight'), '250');
    assert.equal(read('airlock/acme/cgroup.subtree_control'), 'memory pids cpu');
    assert.deepEqual(fake.procs(join(base, bound)), ['4242', '4243'], 'every process moved');
    assert.equal(read(`${bound}/memory.max`), String(LIMITS.memoryBytes), 'limits applied before the move');
    fake.write(join(base, bound, 'memory.peak'), String(10 * 1024 * 1024));
    assert.equal(group.memoryPeakBytes(), BEFORE + 10 * 1024 * 1024, 'the peak counts what stayed charged to the pool group');
    assert.equal(group.oomKilled(), false);
    fake.recordOomKill(join(base, bound));
    assert.equal(group.oomKilled(), true, 'memory.events oom_kill is the source of truth');

    // The kernel empties the group when the processes die; then the manager removes it.
    fake.write(join(base, 'cgroup.procs'), '4242');
    fake.write(join(base, 'cgroup.procs'), '4243');
    await group.remove();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(fake.tree(), ['/', '/airlock.service', '/airlock.service/airlock', '/airlock.service/airlock/_pool']);
    await manager.close();
    assert.deepEqual(fake.tree(), ['/', '/airlock.service']);
  });

  it('keeps a tenant group while another of its sandboxes lives', async () => {
    const [a, b] = await twoBoundTo('acme');
    await a.remove();
    assert.ok(fake.tree().includes(`/airlock.service/airlock/acme/${b.name}`));
    await b.remove();
    assert.ok(!fake.tree().includes('/airlock.service/airlock/acme'));
  });

  it('gives the tenant back once when a move fails, so the group stays for its other sandboxes', async () => {
    const manager = createCgroupManager(CONFIG, host())!;
    const a = await manager.place([], LIMITS);
    const b = await manager.place([], LIMITS);
    await b.bindTenant('acme');
    fake.mkdir(join(base, 'airlock/acme', a.name)); // in the way: a's move fails creating its group
    await assert.rejects(a.bindTenant('acme'), (err: unknown) => err instanceof AirlockError && err.code === 'SANDBOX_FAILED');
    const removals: string[] = [];
    const rmdir = fake.rmdir.bind(fake);
    fake.rmdir = (path: string): void => {
      removals.push(path);
      rmdir(path);
    };
    await a.remove();
    assert.ok(!removals.includes(join(base, 'airlock/acme')), `acme's group was not up for removal while b lives: ${removals.join(', ')}`);
    assert.ok(fake.tree().includes(`/airlock.service/airlock/acme/${b.name}`));
    await b.remove();
    assert.ok(!fake.tree().includes('/airlock.service/airlock/acme'), 'removed with its last sandbox');
  });

  it("removes a tenant's group after all its sandboxes' groups, however long an earlier one takes to go", async () => {
    const [a, b] = await twoBoundTo('acme');
    fake.write(join(base, 'airlock/acme', a.name, 'cgroup.procs'), '4242'); // a process lingers in a's group
    const aGone = a.remove(); // retries while the process is there
    const bGone = b.remove(); // the tenant's last sandbox
    await new Promise((resolve) => setTimeout(resolve, 50));
    fake.write(join(base, 'cgroup.procs'), '4242'); // the process is gone from a's group
    await Promise.all([aGone, bGone]);
    assert.deepEqual(fake.tree(), ['/', '/airlock.service', '/airlock.service/airlock', '/airlock.service/airlock/_pool']);
  });

  it('leaves no group behind when it closes, an emptied tenant group it lost track of included', async () => {
    const manager = createCgroupManager(CONFIG, host())!;
    fake.mkdir(join(base, 'airlock/acme')); // as if its removal had failed when its last sandbox went
    fake.mkdir(join(base, 'airlock/busy'));
    fake.mkdir(join(base, 'airlock/busy/sb-running'));
    fake.write(join(base, 'airlock/busy/sb-running/cgroup.procs'), '777');
    await manager.close();
    assert.deepEqual(fake.tree(), ['/', '/airlock.service', '/airlock.service/airlock', '/airlock.service/airlock/busy', '/airlock.service/airlock/busy/sb-running']);
    fake.write(join(base, 'cgroup.procs'), '777'); // the process is gone
    await createCgroupManager(CONFIG, host())!.close();
    assert.deepEqual(fake.tree(), ['/', '/airlock.service']);
  });

  it('removes leftovers of a previous server on start, and leaves groups with processes alone', () => {
    createCgroupManager(CONFIG, host());
    fake.mkdir(join(base, 'airlock/ghost'));
    fake.mkdir(join(base, 'airlock/ghost/sb-old'));
    fake.mkdir(join(base, 'airlock/_pool/sb-old'));
    fake.mkdir(join(base, 'airlock/live'));
    fake.mkdir(join(base, 'airlock/live/sb-running'));
    fake.write(join(base, 'airlock/live/sb-running/cgroup.procs'), '777');
    createCgroupManager(CONFIG, host());
    assert.deepEqual(fake.tree(), [
      '/', '/airlock.service', '/airlock.service/airlock', '/airlock.service/airlock/_pool',
      '/airlock.service/airlock/live', '/airlock.service/airlock/live/sb-running',
    ]);
  });

  it('moves the server to a leaf when it is alone in its delegated group (no internal processes rule)', async () => {
    fake.write(join(base, 'cgroup.procs'), String(process.pid));
    const manager = createCgroupManager(CONFIG, host())!;
    assert.deepEqual(fake.procs(join(base, 'airlock-server')), [String(process.pid)]);
    assert.deepEqual(fake.procs(base), []);
    assert.equal(read('cgroup.subtree_control'), 'memory pids cpu');
    await manager.close();
    assert.deepEqual(fake.tree(), ['/', '/airlock.service', '/airlock.service/airlock-server']);
  });

  it('explains delegation when the server group holds other processes (never moves them)', () => {
    fake.write(join(base, 'cgroup.procs'), String(process.pid));
    fake.write(join(base, 'cgroup.procs'), '99');
    assert.throws(
      () => createCgroupManager(CONFIG, host()),
      (err: unknown) => err instanceof AirlockError && err.code === 'ISOLATION_UNAVAILABLE' && /other processes.*docs\/cgroups.md/s.test(err.message),
    );
    assert.equal(createCgroupManager({ ...CONFIG, mode: 'auto' }, host()), undefined, 'auto runs without');
    assert.deepEqual(fake.procs(base).sort(), [String(process.pid), '99'].sort(), 'nothing was moved');
  });

  it('refuses to start with AIRLOCK_CGROUPS=on when the controllers are not offered', () => {
    fake.write(join(fake.mount, 'cgroup.subtree_control'), '-memory');
    const texts = fake.procTexts('/airlock.service');
    const status = cgroupStatus(CONFIG, { fs: fake, texts });
    assert.equal(status.ok, false);
    assert.match(status.detail, /memory/);
    assert.throws(() => createCgroupManager(CONFIG, { fs: fake, texts }), /AIRLOCK_CGROUPS=on/);
    assert.equal(cgroupStatus({ ...CONFIG, mode: 'off' }, { fs: fake, texts }).ok, false);
  });
});
