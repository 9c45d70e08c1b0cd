// The webhooks block of the configuration: defaults and refusals that name the variable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';

test('webhooks defaults', () => {
  assert.deepEqual(loadConfig({}).webhooks, {
    bodyBytes: 1_048_576,
    maxHeaders: 100,
    headerBytes: 16_384,
    maxWaitMs: 10_000,
    commitWindowMs: 0,
    commitMaxBatch: 512,
    sync: 'full',
  });
});

test('webhook settings are read and checked', () => {
  const c = loadConfig({ AIRLOCK_WEBHOOK_BODY_BYTES: '4096', AIRLOCK_WEBHOOK_SYNC: 'normal', AIRLOCK_WEBHOOK_COMMIT_MS: '0' }).webhooks;
  assert.deepEqual([c.bodyBytes, c.sync, c.commitWindowMs], [4096, 'normal', 0]);
  for (const [name, value] of [['AIRLOCK_WEBHOOK_SYNC', 'off'], ['AIRLOCK_WEBHOOK_BODY_BYTES', '0'], ['AIRLOCK_WEBHOOK_COMMIT_BATCH', '0'], ['AIRLOCK_WEBHOOK_MAX_WAIT_MS', '-1']] as const) {
    assert.throws(
      () => loadConfig({ [name]: value }),
      (err) => isAirlockError(err) && err.code === 'CONFIG_INVALID' && err.message.includes(name),
      name,
    );
  }
});
