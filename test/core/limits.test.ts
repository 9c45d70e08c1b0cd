// Function limits: a request above the operator maximum is refused with a message naming the
// variable that raises it, and that variable is one the configuration actually reads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_LIMITS, resolveLimits } from '../../src/core/limits.js';
import type { FunctionLimits } from '../../src/core/types.js';

const KEYS = Object.keys(DEFAULT_LIMITS) as (keyof FunctionLimits)[];

/** The message resolveLimits refuses `key` = maximum + 1 with. */
function aboveMaximum(key: keyof FunctionLimits): string {
  try {
    resolveLimits({ [key]: DEFAULT_MAX_LIMITS[key] + 1 }, DEFAULT_LIMITS, DEFAULT_MAX_LIMITS);
  } catch (err) {
    assert.ok(isAirlockError(err) && err.code === 'LIMIT_ABOVE_MAXIMUM', String(err));
    return err.message;
  }
  return assert.fail(`limits.${key} above the maximum was accepted`);
}

describe('limit above the operator maximum', () => {
  for (const key of KEYS) {
    it(`limits.${key}: names a variable the configuration reads as that maximum`, () => {
      const named = /\(env (AIRLOCK_[A-Z_]+)\)/.exec(aboveMaximum(key))?.[1];
      assert.ok(named, `no variable named in: ${aboveMaximum(key)}`);
      const raised = DEFAULT_MAX_LIMITS[key] + 7;
      assert.equal(loadConfig({ [named]: String(raised) }).maxLimits[key], raised, `${named} is not read as the maximum of ${key}`);
    });
  }

  it('names AIRLOCK_MAX_MEMORY_MIB for memoryMiB', () => {
    assert.match(aboveMaximum('memoryMiB'), /limits\.memoryMiB = 1025 is above the operator maximum of 1024; ask the operator to raise it \(env AIRLOCK_MAX_MEMORY_MIB\)/);
  });
});

describe('default limit above its maximum', () => {
  it('names both variables', () => {
    assert.throws(
      () => loadConfig({ AIRLOCK_DEFAULT_MEMORY_MIB: '512', AIRLOCK_MAX_MEMORY_MIB: '256' }),
      (err) => isAirlockError(err) && err.code === 'CONFIG_INVALID' &&
        err.message === 'AIRLOCK_DEFAULT_MEMORY_MIB (512) is above AIRLOCK_MAX_MEMORY_MIB (256); raise the maximum or lower the default',
    );
  });
});
