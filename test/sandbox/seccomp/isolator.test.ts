// How the bwrap isolator wires the filter in: check() refuses an architecture without a filter
// when seccomp is on (and says how to proceed), passes when it is off, and a sandbox records
// 'seccomp' among its layers exactly when the filter was applied. seccompStatus() reports the same.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AirlockError } from '../../../src/core/errors.js';
import { BwrapIsolator } from '../../../src/sandbox/bwrap/isolator.js';
import { seccompStatus } from '../../../src/sandbox/seccomp/index.js';
import { Tracker, assertNoChildren, sandboxConfig } from '../support.js';

describe('seccomp in the bwrap isolator', () => {
  after(() => assertNoChildren());

  it('check() refuses an unsupported architecture while seccomp is on, and says so', async () => {
    const isolator = new BwrapIsolator(sandboxConfig('bwrap'), { arch: 'ia32' });
    try {
      await assert.rejects(isolator.check(), (err: unknown) => {
        assert.ok(err instanceof AirlockError);
        assert.equal(err.code, 'ISOLATION_UNAVAILABLE');
        assert.match(err.message, /seccomp filter supports x86_64, aarch64 only, not ia32/);
        assert.match(err.message, /AIRLOCK_SECCOMP=off/);
        return true;
      });
      await assert.rejects(isolator.spawn({ memoryMiB: 64 }), /not ia32/, 'spawn refuses too');
    } finally {
      await isolator.close();
    }
  });

  it('check() passes with seccomp off on that architecture, and the sandbox lacks the layer', async () => {
    const isolator = new BwrapIsolator(sandboxConfig('bwrap', { seccomp: { mode: 'off' } }), { arch: 'ia32' });
    const tracker = new Tracker('bwrap', isolator);
    try {
      await isolator.check();
      const sandbox = await tracker.spawn();
      assert.deepEqual([...sandbox.layers].sort(), ['namespaces', 'unprivileged-uid']);
    } finally {
      await tracker.cleanup();
      await isolator.close();
    }
  });

  it('a sandbox on this machine records the seccomp layer', async () => {
    const tracker = new Tracker('bwrap');
    try {
      await tracker.isolator.check();
      const sandbox = await tracker.spawn();
      assert.deepEqual([...sandbox.layers].sort(), ['namespaces', 'seccomp', 'unprivileged-uid']);
    } finally {
      await tracker.cleanup();
      await tracker.isolator.close();
    }
  });

  it('seccompStatus() reports on, off and unsupported', () => {
    const on = seccompStatus({ mode: 'on' }, 'x64');
    assert.equal(on.ok, true);
    assert.match(on.detail, /^x86_64 filter compiles: \d+ instructions/);
    assert.equal(seccompStatus({ mode: 'on' }, 'arm64').ok, true);
    const off = seccompStatus({ mode: 'off' });
    assert.equal(off.ok, false);
    assert.match(off.detail, /AIRLOCK_SECCOMP=off/);
    const foreign = seccompStatus({ mode: 'on' }, 'riscv64');
    assert.equal(foreign.ok, false);
    assert.match(foreign.detail, /not riscv64/);
  });
});
