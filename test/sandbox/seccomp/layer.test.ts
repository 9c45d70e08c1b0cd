// Layer proof: attacks that namespaces alone leave open succeed in a sandbox started with
// AIRLOCK_SECCOMP=off and are refused only because of the filter when it is on. Both outcomes
// are asserted, so the test fails if either the attack stops working (and proves nothing) or
// the filter stops refusing it. The sandbox records 'seccomp' as a layer exactly when it is on.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../../src/core/config.js';
import { createIsolator } from '../../../src/sandbox/index.js';
import { Tracker, assertNoChildren, sandboxConfig } from '../support.js';
import { hostArch, runProbes, syscallScript } from './perl-probes.js';

const arch = hostArch();
const KEYCTL_GET_KEYRING_ID = 0;
const KEY_SPEC_SESSION_KEYRING = -3;
const PER_LINUX32 = 8;

const probes: Record<string, string> = {
  // The kernel keyring is not namespaced: a key id is a handle on host kernel state.
  keyctl: syscallScript(arch, 'keyctl', [KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1]),
  // Netlink reaches kernel subsystems (routing, audit, ...) from any network namespace.
  netlink: syscallScript(arch, 'socket', [16, 3, 0]),
  vsock: syscallScript(arch, 'socket', [40, 1, 0]),
  personality: syscallScript(arch, 'personality', [PER_LINUX32]),
  kcmp: syscallScript(arch, 'kcmp', [1, 1, 0, 0, 0]),
  set_mempolicy: syscallScript(arch, 'set_mempolicy', [0, 0, 0]),
};

async function attack(mode: 'on' | 'off'): Promise<{ layers: readonly string[]; results: Record<string, string> }> {
  const config = sandboxConfig('bwrap', { seccomp: loadConfig({ AIRLOCK_SECCOMP: mode }).sandbox.seccomp });
  const tracker = new Tracker('bwrap', createIsolator(config));
  try {
    const sandbox = await tracker.spawn();
    return { layers: sandbox.layers, results: await runProbes(sandbox, probes) };
  } finally {
    await tracker.cleanup();
    await tracker.isolator.close();
  }
}

describe('seccomp as a layer of its own', () => {
  after(() => assertNoChildren());

  it('stops keyring, netlink, vsock, personality, kcmp and NUMA calls that succeed without it', async () => {
    const off = await attack('off');
    const on = await attack('on');
    assert.deepEqual([...off.layers].sort(), ['namespaces', 'unprivileged-uid']);
    assert.deepEqual([...on.layers].sort(), ['namespaces', 'seccomp', 'unprivileged-uid']);
    for (const name of Object.keys(probes)) {
      assert.match(off.results[name] ?? '', /^R\d+$/, `${name} succeeds without seccomp (${off.results[name]})`);
      assert.equal(on.results[name], 'E1', `${name} is refused with seccomp`);
    }
    assert.notEqual(off.results.keyctl, 'R0', 'keyctl returned a real keyring id without seccomp');
  });
});
