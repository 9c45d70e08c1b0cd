// The sandbox block of the configuration: the open-files limit (AIRLOCK_SANDBOX_NOFILE).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/core/config.js';

describe('sandbox configuration', () => {
  it('gives each sandbox 1024 open files by default, or AIRLOCK_SANDBOX_NOFILE', () => {
    assert.equal(loadConfig({}).sandbox.openFiles, 1024);
    assert.equal(loadConfig({ AIRLOCK_SANDBOX_NOFILE: '256' }).sandbox.openFiles, 256);
  });

  for (const value of ['32', 'many', '-1']) {
    it(`refuses AIRLOCK_SANDBOX_NOFILE=${value} with CONFIG_INVALID naming the variable`, () => {
      assert.throws(
        () => loadConfig({ AIRLOCK_SANDBOX_NOFILE: value }),
        (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID' && err.message.includes('AIRLOCK_SANDBOX_NOFILE'),
      );
    });
  }
});
