// usableCpus: the CPU count capped by the cgroup CPU quota, read from cgroup v1 and v2 layouts
// built as real files in a temp dir (the tightest quota on the way up counts; none, "max",
// -1 or unreadable files mean no cap), and this machine's own answer.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cgroupCpuQuota, usableCpus } from '../../src/core/usable-cpus.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fake /sys/fs/cgroup and /proc/self/cgroup: `files` maps paths under the root to contents. */
function layout(selfCgroup: string, files: Record<string, string>): { cgroupRoot: string; selfCgroupFile: string } {
  const base = mkdtempSync(join(tmpdir(), 'airlock-cpus-'));
  dirs.push(base);
  const cgroupRoot = join(base, 'cgroup');
  mkdirSync(cgroupRoot);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(cgroupRoot, path)), { recursive: true });
    writeFileSync(join(cgroupRoot, path), `${text}\n`);
  }
  const selfCgroupFile = join(base, 'self-cgroup');
  writeFileSync(selfCgroupFile, selfCgroup);
  return { cgroupRoot, selfCgroupFile };
}

const V1_SELF = '12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/\n';

describe('usableCpus', () => {
  it('cgroup v1: the quota of the process group, rounded up, caps the CPU count', () => {
    const probe = layout(V1_SELF, {
      'cpu/docker/abc/cpu.cfs_quota_us': '150000',
      'cpu/docker/abc/cpu.cfs_period_us': '100000',
      'cpu/cpu.cfs_quota_us': '-1',
      'cpu/cpu.cfs_period_us': '100000',
    });
    assert.equal(cgroupCpuQuota(probe.cgroupRoot, probe.selfCgroupFile), 1.5);
    assert.equal(usableCpus({ ...probe, available: 64 }), 2);
    assert.equal(usableCpus({ ...probe, available: 1 }), 1, 'never more than the CPUs it may run on');
  });

  it('cgroup v1: an ancestor tighter than the group itself wins', () => {
    const probe = layout(V1_SELF, {
      'cpu/docker/abc/cpu.cfs_quota_us': '-1',
      'cpu/docker/abc/cpu.cfs_period_us': '100000',
      'cpu/docker/cpu.cfs_quota_us': '400000',
      'cpu/docker/cpu.cfs_period_us': '100000',
    });
    assert.equal(usableCpus({ ...probe, available: 64 }), 4);
  });

  it('cgroup v2: cpu.max along the unified path; "max" is no cap', () => {
    const self = '0::/system.slice/airlock.service\n';
    const limited = layout(self, {
      'cgroup.controllers': 'cpuset cpu io memory pids',
      'cpu.max': 'max 100000',
      'system.slice/cpu.max': '300000 100000',
      'system.slice/airlock.service/cpu.max': 'max 100000',
    });
    assert.equal(usableCpus({ ...limited, available: 16 }), 3);
    const open = layout(self, { 'cgroup.controllers': 'cpu', 'system.slice/airlock.service/cpu.max': 'max 100000' });
    assert.equal(cgroupCpuQuota(open.cgroupRoot, open.selfCgroupFile), undefined);
    assert.equal(usableCpus({ ...open, available: 16 }), 16);
  });

  it('a quota under one CPU still leaves one', () => {
    const probe = layout('0::/\n', { 'cgroup.controllers': 'cpu', 'cpu.max': '20000 100000' });
    assert.equal(cgroupCpuQuota(probe.cgroupRoot, probe.selfCgroupFile), 0.2);
    assert.equal(usableCpus({ ...probe, available: 8 }), 1);
  });

  it('unreadable or missing files, and paths that climb out of the mount, mean no cap', () => {
    const missing = layout(V1_SELF, {});
    assert.equal(usableCpus({ ...missing, available: 6 }), 6);
    assert.equal(usableCpus({ cgroupRoot: '/nonexistent-cgroup-root', selfCgroupFile: '/nonexistent-self', available: 6 }), 6);
    const climbing = layout('4:cpu:/../../outside\n', { 'cpu/cpu.cfs_quota_us': '100000', 'cpu/cpu.cfs_period_us': '100000' });
    assert.equal(cgroupCpuQuota(climbing.cgroupRoot, climbing.selfCgroupFile), undefined);
    const v2WithoutUnifiedMount = layout('0::/\n', { 'cpu.max': '100000 100000' });
    assert.equal(cgroupCpuQuota(v2WithoutUnifiedMount.cgroupRoot, v2WithoutUnifiedMount.selfCgroupFile), undefined);
  });

  it('on this machine: between 1 and the CPUs the process may run on', () => {
    const cpus = usableCpus();
    assert.ok(cpus >= 1 && cpus <= availableParallelism(), String(cpus));
  });
});
