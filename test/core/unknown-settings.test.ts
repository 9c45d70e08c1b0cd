// Unknown AIRLOCK_* variables: found by what the configuration asks for, with the known name a
// typo most likely meant; and the edit-distance suggestion itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { unknownSettings } from '../../src/core/config/unknown.js';
import { closest } from '../../src/core/suggest.js';

test('names the AIRLOCK_ variables the server never reads, with the likely intended one', () => {
  const env = {
    AIRLOCK_POOLSIZE: '4',
    AIRLOCK_DEFAULT_TIMOUT_MS: '500',
    AIRLOCK_SOMETHING_ELSE_ENTIRELY: '1',
    AIRLOCK_PORT: '0',
    AIRLOCK_URL: 'http://127.0.0.1:8080',
    AIRLOCK_KEY: 'k',
    PATH: '/usr/bin',
  };
  assert.deepEqual(unknownSettings(env, loadConfig), [
    { name: 'AIRLOCK_DEFAULT_TIMOUT_MS', suggestion: 'AIRLOCK_DEFAULT_TIMEOUT_MS' },
    { name: 'AIRLOCK_POOLSIZE', suggestion: 'AIRLOCK_POOL_SIZE' },
    { name: 'AIRLOCK_SOMETHING_ELSE_ENTIRELY' },
  ]);
  assert.deepEqual(unknownSettings({ AIRLOCK_PORT: '0', AIRLOCK_TENANT_CONCURRENCY: '4' }, loadConfig), [], 'known settings are not reported');
  assert.deepEqual(unknownSettings({ AIRLOCK_TENANT_CONCURRENCY_OVERRIDES: 'acme=4' }, loadConfig), [], 'the overrides are known');
  assert.deepEqual(unknownSettings({ AIRLOCK_TENANT_CONCURENCY_OVERRIDES: 'acme=4' }, loadConfig), [
    { name: 'AIRLOCK_TENANT_CONCURENCY_OVERRIDES', suggestion: 'AIRLOCK_TENANT_CONCURRENCY_OVERRIDES' },
  ]);
});

test('closest: a typo, a swap, case, and nothing when nothing is close or two tie', () => {
  const known = ['jobs', 'schedules', 'secrets', 'executions', 'invoke'];
  assert.equal(closest('job', known), 'jobs');
  assert.equal(closest('Secrets', known), 'secrets');
  assert.equal(closest('invkoe', known), 'invoke');
  assert.equal(closest('deploy', known), undefined);
  assert.equal(closest('ab', ['ac', 'ad']), undefined, 'a tie suggests nothing');
});
