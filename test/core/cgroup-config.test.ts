// The cgroup block of the configuration: defaults, accepted values and the refusals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/core/config.js';

describe('cgroup configuration', () => {
  it('defaults: auto, root "airlock", 128 pids, 1 core, weight 100', () => {
    assert.deepEqual(loadConfig({}).cgroups, { mode: 'auto', root: 'airlock', pids: 128, cpus: 1, tenantWeight: 100 });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      AIRLOCK_CGROUPS: 'on', AIRLOCK_CGROUP_ROOT: 'airlock-prod', AIRLOCK_SANDBOX_PIDS: '64',
      AIRLOCK_SANDBOX_CPUS: '0.5', AIRLOCK_TENANT_CPU_WEIGHT: '300',
    });
    assert.deepEqual(config.cgroups, { mode: 'on', root: 'airlock-prod', pids: 64, cpus: 0.5, tenantWeight: 300 });
  });

  for (const [name, value] of [
    ['AIRLOCK_CGROUPS', 'maybe'], ['AIRLOCK_CGROUP_ROOT', '../escape'], ['AIRLOCK_CGROUP_ROOT', 'a/b'],
    ['AIRLOCK_SANDBOX_PIDS', '4'], ['AIRLOCK_SANDBOX_CPUS', '0'], ['AIRLOCK_SANDBOX_CPUS', 'lots'],
    ['AIRLOCK_TENANT_CPU_WEIGHT', '0'], ['AIRLOCK_TENANT_CPU_WEIGHT', '10001'],
  ] as const) {
    it(`refuses ${name}=${value} with CONFIG_INVALID naming the variable`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID' && err.message.includes(name));
    });
  }
});
