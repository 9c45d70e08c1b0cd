// The jobs block of the configuration: defaults (10-minute slices, a day in total, the background
// share of the queue slots, the reserve as extra room for deliveries), and refusals that name the
// variable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';

test('jobs defaults', () => {
  assert.deepEqual(loadConfig({}).jobs, {
    paused: false,
    defaultRunMs: 600_000,
    maxRunMs: 3_600_000,
    deadlineMs: 86_400_000,
    concurrency: 6, // 8 queue slots − 2 reserved for interactive work (webhook deliveries)
    interactiveExtra: 2, // which deliveries may use beyond the 6
    pollMs: 500,
    yieldPercent: 90,
  });
});

test('the yield threshold is a percentage of event-loop utilization, capped at 100 (never yield)', () => {
  assert.equal(loadConfig({ AIRLOCK_JOB_YIELD_PERCENT: '75' }).jobs.yieldPercent, 75);
  assert.equal(loadConfig({ AIRLOCK_JOB_YIELD_PERCENT: '250' }).jobs.yieldPercent, 100);
  assert.throws(() => loadConfig({ AIRLOCK_JOB_YIELD_PERCENT: '0' }), /AIRLOCK_JOB_YIELD_PERCENT/);
});

test('job concurrency always leaves an admission slot for invocations; so does the room for deliveries', () => {
  assert.equal(loadConfig({ AIRLOCK_CONCURRENCY: '3' }).jobs.concurrency, 2);
  assert.equal(loadConfig({ AIRLOCK_CONCURRENCY: '3' }).jobs.interactiveExtra, 0);
  assert.equal(loadConfig({ AIRLOCK_CONCURRENCY: '8' }).jobs.interactiveExtra, 1, '7 slots for jobs: 6 and 1 more');
  assert.equal(loadConfig({ AIRLOCK_JOB_CONCURRENCY: '2' }).jobs.interactiveExtra, 2);
  assert.equal(loadConfig({ AIRLOCK_QUEUE_INTERACTIVE_RESERVED: '0' }).jobs.interactiveExtra, 0);
  assert.equal(loadConfig({ AIRLOCK_CONCURRENCY: '1' }).jobs.concurrency, 1);
  assert.throws(
    () => loadConfig({ AIRLOCK_CONCURRENCY: '4', AIRLOCK_JOB_CONCURRENCY: '4' }),
    (err) => isAirlockError(err) && err.code === 'CONFIG_INVALID' && /AIRLOCK_JOB_CONCURRENCY/.test(err.message),
  );
});

test('the default slice may not exceed the maximum slice', () => {
  assert.equal(loadConfig({ AIRLOCK_JOB_MAX_RUN_MS: '60000' }).jobs.defaultRunMs, 60_000);
  assert.throws(
    () => loadConfig({ AIRLOCK_JOB_RUN_MS: '120000', AIRLOCK_JOB_MAX_RUN_MS: '60000' }),
    (err) => isAirlockError(err) && err.code === 'CONFIG_INVALID' && /AIRLOCK_JOB_RUN_MS/.test(err.message),
  );
  assert.throws(() => loadConfig({ AIRLOCK_JOB_POLL_MS: '0' }), /AIRLOCK_JOB_POLL_MS/);
});

test('AIRLOCK_JOBS=paused pauses this server\'s job runs; any other value is refused, naming the variable', () => {
  assert.equal(loadConfig({ AIRLOCK_JOBS: 'paused' }).jobs.paused, true);
  assert.equal(loadConfig({ AIRLOCK_JOBS: 'on' }).jobs.paused, false);
  assert.throws(
    () => loadConfig({ AIRLOCK_JOBS: 'off' }),
    (err) => isAirlockError(err) && err.code === 'CONFIG_INVALID' && /AIRLOCK_JOBS/.test(err.message),
  );
});
