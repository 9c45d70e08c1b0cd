// AIRLOCK_SECCOMP: on by default, off only when asked, anything else refused with CONFIG_INVALID.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/core/config.js';

describe('AIRLOCK_SECCOMP', () => {
  it('defaults to on', () => {
    assert.equal(loadConfig({}).sandbox.seccomp.mode, 'on');
    assert.equal(loadConfig({ AIRLOCK_SECCOMP: '' }).sandbox.seccomp.mode, 'on');
  });

  it('accepts off', () => {
    assert.equal(loadConfig({ AIRLOCK_SECCOMP: 'off' }).sandbox.seccomp.mode, 'off');
  });

  it('refuses other values, naming the variable', () => {
    for (const value of ['0', 'false', 'OFF', 'disabled']) {
      assert.throws(() => loadConfig({ AIRLOCK_SECCOMP: value }), (err: unknown) => {
        assert.ok(err instanceof Error && 'code' in err && err.code === 'CONFIG_INVALID');
        assert.match(err.message, /AIRLOCK_SECCOMP/);
        return true;
      });
    }
  });
});
