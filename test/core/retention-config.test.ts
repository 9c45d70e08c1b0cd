// AIRLOCK_RETENTION_HOURS: 720 (30 days) by default, 0 keeps everything, anything but a
// non-negative integer is refused with CONFIG_INVALID naming the variable and its default.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';

test('retention defaults to 30 days', () => {
  assert.equal(loadConfig({}).retentionHours, 720);
  assert.equal(loadConfig({ AIRLOCK_RETENTION_HOURS: '' }).retentionHours, 720);
});

test('retention from the environment; 0 keeps everything', () => {
  assert.equal(loadConfig({ AIRLOCK_RETENTION_HOURS: '48' }).retentionHours, 48);
  assert.equal(loadConfig({ AIRLOCK_RETENTION_HOURS: '0' }).retentionHours, 0);
});

test('an invalid retention is refused, naming the variable and the default', () => {
  for (const value of ['-1', '1.5', '30d', '1e3', 'forever']) {
    assert.throws(
      () => loadConfig({ AIRLOCK_RETENTION_HOURS: value }),
      (err) =>
        isAirlockError(err) &&
        err.code === 'CONFIG_INVALID' &&
        err.message === `AIRLOCK_RETENTION_HOURS must be an integer >= 0, not ${JSON.stringify(value)}; unset it to use the default (720)`,
      value,
    );
  }
});
