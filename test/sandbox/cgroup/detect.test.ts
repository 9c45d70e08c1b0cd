// Detection of the cgroup version from /proc/self/mountinfo and /proc/self/cgroup texts, and the
// v1 paths it derives (comounted cpu,cpuacct; a server nested in a group; a bind-mounted root).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectCgroups } from '../../../src/sandbox/cgroup/detect.js';
import { kernelFs } from '../../../src/sandbox/cgroup/fs.js';
import { V1Manager } from '../../../src/sandbox/cgroup/v1.js';

const v1Mounts = (cpu: string): string =>
  [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    `32 31 0:29 / /sys/fs/cgroup/${cpu.replace(',', '\\054')} rw,relatime - cgroup cgroup rw,${cpu}`,
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '39 31 0:36 /docker/abc /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  ].join('\n');

describe('cgroup detection', () => {
  it('finds v1 with comounted cpu,cpuacct, nested and bind-mounted groups', () => {
    const found = detectCgroups(
      { mountinfo: v1Mounts('cpu,cpuacct'), cgroup: '4:memory:/svc/x\n3:cpu,cpuacct:/\n8:pids:/docker/abc/inner\n' },
      kernelFs,
    );
    assert.equal(found.version, 'v1');
    assert.ok(found.version === 'v1');
    assert.deepEqual(found.bases, {
      memory: '/sys/fs/cgroup/memory/svc/x',
      pids: '/sys/fs/cgroup/pids/inner',
      cpu: '/sys/fs/cgroup/cpu,cpuacct',
      cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
    });
    const manager = new V1Manager(kernelFs, found.bases, { rootName: 'airlock', tenantWeight: 100 });
    assert.equal(
      manager.describe(),
      '/sys/fs/cgroup/memory/svc/x/airlock, /sys/fs/cgroup/pids/inner/airlock, /sys/fs/cgroup/cpu,cpuacct/airlock',
      'one group per hierarchy, comounted ones once',
    );
  });

  it('says what is missing when neither version is usable', () => {
    const found = detectCgroups(
      { mountinfo: v1Mounts('cpuacct'), cgroup: '4:memory:/\n3:cpuacct:/\n8:pids:/docker/abc\n' },
      kernelFs,
    );
    assert.equal(found.version, undefined);
    assert.ok(found.version === undefined);
    assert.match(found.reason, /no cgroup2 .* mounted; no cgroup v1 hierarchy for cpu$/);
  });
});
