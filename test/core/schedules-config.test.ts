// The schedules block of the configuration: defaults, values read from the environment, and
// refusals that name the variable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';

test('schedules defaults', () => {
  assert.deepEqual(loadConfig({}).schedules, { paused: false, pollMs: 1_000, minIntervalSeconds: 10, perTenant: 100, claimLeaseMs: 30_000 });
});

test('schedules settings from the environment', () => {
  const config = loadConfig({
    AIRLOCK_SCHEDULE_POLL_MS: '250',
    AIRLOCK_SCHEDULE_MIN_INTERVAL_SECONDS: '60',
    AIRLOCK_SCHEDULES_PER_TENANT: '5',
    AIRLOCK_SCHEDULE_CLAIM_LEASE_MS: '5000',
    AIRLOCK_SCHEDULES: 'paused',
  });
  assert.deepEqual(config.schedules, { paused: true, pollMs: 250, minIntervalSeconds: 60, perTenant: 5, claimLeaseMs: 5_000 });
});

test('invalid schedules settings are refused, naming the variable', () => {
  for (const [name, value] of [
    ['AIRLOCK_SCHEDULE_POLL_MS', '0'],
    ['AIRLOCK_SCHEDULE_MIN_INTERVAL_SECONDS', '0'],
    ['AIRLOCK_SCHEDULES_PER_TENANT', 'many'],
    ['AIRLOCK_SCHEDULE_CLAIM_LEASE_MS', '99'],
    ['AIRLOCK_SCHEDULES', 'off'],
  ] as const) {
    assert.throws(
      () => loadConfig({ [name]: value }),
      (err) => isAirlockError(err) && err.code === 'CONFIG_INVALID' && err.message.includes(name),
      name,
    );
  }
});
