// The queue block of the configuration: defaults, tenant weights, and refusals that name the variable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';

test('queue defaults', () => {
  const q = loadConfig({}).queue;
  assert.deepEqual(
    { ...q, tenantWeights: { ...q.tenantWeights }, tenantCaps: { ...q.tenantCaps } },
    {
      slots: 8,
      interactiveReserved: 2,
      tenantConcurrency: 4,
      tenantCaps: {},
      tenantWeights: {},
      leaseMs: 30_000,
      maxAttempts: 5,
      backoffBaseMs: 1_000,
      backoffMaxMs: 300_000,
      payloadBytes: 5_767_168 + 4_096, // the largest input and room for the job's own fields
      checkpointBytes: 262_144,
      tenantBacklog: 100_000,
    },
  );
});

test('the queue payload cap follows the largest input', () => {
  assert.equal(loadConfig({ AIRLOCK_MAX_INPUT_BYTES: '10000000' }).queue.payloadBytes, 10_000_000 + 4_096);
  assert.equal(loadConfig({ AIRLOCK_QUEUE_PAYLOAD_BYTES: '9000000' }).queue.payloadBytes, 9_000_000);
});

test('tenant weights parse from tenant=weight pairs; others weigh 1 by omission', () => {
  const q = loadConfig({ AIRLOCK_QUEUE_TENANT_WEIGHTS: 'acme=2, globex=0.5', AIRLOCK_QUEUE_SLOTS: '3' }).queue;
  assert.deepEqual({ ...q.tenantWeights }, { acme: 2, globex: 0.5 });
  assert.equal(q.interactiveReserved, 2);
  assert.equal(q.tenantConcurrency, 3, 'a tenant cap above the slots is lowered to them');
  assert.equal(Object.getPrototypeOf(q.tenantWeights), null);
});

test('the tenant backlog cap: 0 means no cap; any other value is taken as is', () => {
  assert.equal(loadConfig({ AIRLOCK_QUEUE_TENANT_BACKLOG: '0' }).queue.tenantBacklog, 0);
  assert.equal(loadConfig({ AIRLOCK_QUEUE_TENANT_BACKLOG: '3' }).queue.tenantBacklog, 3);
});

test('invalid queue settings are refused with the variable named', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ AIRLOCK_QUEUE_TENANT_WEIGHTS: 'acme=0' }, /AIRLOCK_QUEUE_TENANT_WEIGHTS/],
    [{ AIRLOCK_QUEUE_TENANT_WEIGHTS: 'acme' }, /tenant=weight/],
    [{ AIRLOCK_QUEUE_TENANT_WEIGHTS: 'a=1=2' }, /tenant=weight/],
    [{ AIRLOCK_QUEUE_SLOTS: '4', AIRLOCK_QUEUE_INTERACTIVE_RESERVED: '4' }, /AIRLOCK_QUEUE_INTERACTIVE_RESERVED/],
    [{ AIRLOCK_QUEUE_BACKOFF_BASE_MS: '5000', AIRLOCK_QUEUE_BACKOFF_MAX_MS: '10' }, /AIRLOCK_QUEUE_BACKOFF_MAX_MS/],
    [{ AIRLOCK_QUEUE_SLOTS: '0' }, /AIRLOCK_QUEUE_SLOTS/],
    [{ AIRLOCK_QUEUE_TENANT_BACKLOG: '-1' }, /AIRLOCK_QUEUE_TENANT_BACKLOG must be an integer >= 0, not "-1"/],
    [{ AIRLOCK_QUEUE_TENANT_BACKLOG: 'lots' }, /AIRLOCK_QUEUE_TENANT_BACKLOG must be an integer >= 0/],
    [{ AIRLOCK_QUEUE_PAYLOAD_BYTES: '5767168' }, /AIRLOCK_QUEUE_PAYLOAD_BYTES \(5767168\) must hold the largest input .* at least 5771264, or unset it/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (err: unknown) => {
      assert.ok(isAirlockError(err));
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.match(err.message, message);
      return true;
    }, JSON.stringify(env));
  }
});
