// The pool block of the configuration: defaults, overrides, and refusals that name the variable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { poolFrom } from '../../src/core/config/pool.js';
import { isAirlockError } from '../../src/core/errors.js';
import { usableCpus } from '../../src/core/usable-cpus.js';

test('pool defaults', () => {
  assert.deepEqual(loadConfig({}).pool, {
    blankSize: 2,
    maxSandboxes: 64,
    idleTtlMs: 60_000,
    maxExecutionsPerSandbox: 100_000,
    queueBehind: 15,
    queueBehindMs: 5,
    parallelism: Math.max(1, usableCpus() - 1),
    spawnConcurrency: Math.max(2, usableCpus()),
    backgroundCpuPercent: 10,
  });
});

test('the CPU a warm sandbox may use outside its calls is a percent of a core, 0 turning the check off', () => {
  assert.equal(loadConfig({ AIRLOCK_SANDBOX_BACKGROUND_CPU_PERCENT: '0' }).pool.backgroundCpuPercent, 0);
  assert.equal(loadConfig({ AIRLOCK_SANDBOX_BACKGROUND_CPU_PERCENT: '150' }).pool.backgroundCpuPercent, 150);
  assert.throws(
    () => loadConfig({ AIRLOCK_SANDBOX_BACKGROUND_CPU_PERCENT: '10%' }),
    (err: unknown) => isAirlockError(err) && err.code === 'CONFIG_INVALID' && err.message.includes('AIRLOCK_SANDBOX_BACKGROUND_CPU_PERCENT'),
  );
});

test('sandboxes booting at once default to the usable CPUs (at least two) and can be set', () => {
  assert.equal(poolFrom({}, 8).spawnConcurrency, 8);
  assert.equal(poolFrom({}, 1).spawnConcurrency, 2);
  assert.equal(loadConfig({ AIRLOCK_SPAWN_CONCURRENCY: '1' }).pool.spawnConcurrency, 1);
  assert.throws(
    () => loadConfig({ AIRLOCK_SPAWN_CONCURRENCY: '0' }),
    (err: unknown) => isAirlockError(err) && err.code === 'CONFIG_INVALID' && err.message.includes('AIRLOCK_SPAWN_CONCURRENCY'),
  );
});

test('the sandboxes run side by side default to the usable CPUs but one (at least one) and can be set', () => {
  assert.equal(poolFrom({}, 8).parallelism, 7);
  assert.equal(poolFrom({}, 2).parallelism, 1);
  assert.equal(poolFrom({}, 1).parallelism, 1);
  assert.equal(loadConfig({ AIRLOCK_SANDBOX_PARALLELISM: '6' }).pool.parallelism, 6);
  for (const value of ['0', '-2', 'many']) {
    assert.throws(
      () => loadConfig({ AIRLOCK_SANDBOX_PARALLELISM: value }),
      (err: unknown) => isAirlockError(err) && err.code === 'CONFIG_INVALID' && err.message.includes('AIRLOCK_SANDBOX_PARALLELISM'),
      value,
    );
  }
});

test('queueing behind a busy sandbox can be tuned or turned off', () => {
  const pool = loadConfig({ AIRLOCK_SANDBOX_QUEUE: '0', AIRLOCK_SANDBOX_QUEUE_MS: '20' }).pool;
  assert.equal(pool.queueBehind, 0);
  assert.equal(pool.queueBehindMs, 20);
});

test('a negative or non-numeric queue setting is refused, naming the variable', () => {
  for (const [name, value] of [['AIRLOCK_SANDBOX_QUEUE', '-1'], ['AIRLOCK_SANDBOX_QUEUE_MS', 'fast']] as const) {
    assert.throws(
      () => loadConfig({ [name]: value }),
      (err: unknown) => isAirlockError(err) && err.message.includes(name),
      `${name}=${value}`,
    );
  }
});
