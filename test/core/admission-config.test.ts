// The admission block of the configuration: defaults, per-tenant concurrency overrides, the cap at
// the global concurrency, and refusals that name the variable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';

const VAR = 'AIRLOCK_TENANT_CONCURRENCY_OVERRIDES';

test('admission defaults: no overrides', () => {
  const a = loadConfig({}).admission;
  assert.deepEqual(
    { ...a, tenantConcurrencyOverrides: { ...a.tenantConcurrencyOverrides } },
    { globalConcurrency: 32, tenantConcurrency: 8, tenantConcurrencyOverrides: {}, maxWaitMs: 5_000, maxQueuePerTenant: 1_000 },
  );
  assert.deepEqual({ ...loadConfig({ [VAR]: ' ' }).admission.tenantConcurrencyOverrides }, {});
});

test('tenant concurrency overrides parse from tenant=limit pairs', () => {
  const a = loadConfig({ [VAR]: 'acme=32, free-tier-x=2,t_3=1' }).admission;
  assert.deepEqual({ ...a.tenantConcurrencyOverrides }, { acme: 32, 'free-tier-x': 2, t_3: 1 });
  assert.equal(a.tenantConcurrency, 8, 'tenants not listed keep the default');
  assert.equal(Object.getPrototypeOf(a.tenantConcurrencyOverrides), null);
});

test('overrides above the global concurrency are lowered to it, like the default', () => {
  const a = loadConfig({ AIRLOCK_CONCURRENCY: '4', AIRLOCK_TENANT_CONCURRENCY: '9', [VAR]: 'acme=100,small=2' }).admission;
  assert.equal(a.tenantConcurrency, 4);
  assert.deepEqual({ ...a.tenantConcurrencyOverrides }, { acme: 4, small: 2 });
});

test('invalid overrides are refused with the variable, the entry and a valid example', () => {
  const invalid: [string, string][] = [
    ['acme=0', 'acme=0'],
    ['acme=-1', 'acme=-1'],
    ['acme=2.5', 'acme=2.5'],
    ['acme=1e3', 'acme=1e3'],
    ['acme=', 'acme='],
    ['acme', 'acme'],
    ['=4', '=4'],
    ['a=1=2', 'a=1=2'],
    ['Acme=4', 'Acme=4'],
    ['-acme=4', '-acme=4'],
    ['ac me=4', 'ac me=4'],
    ['__proto__=4', '__proto__=4'],
    ['acme=4,', ''],
    [`${'a'.repeat(64)}=4`, `${'a'.repeat(64)}=4`],
  ];
  for (const [value, entry] of invalid) {
    assert.throws(() => loadConfig({ [VAR]: value }), (err: unknown) => {
      assert.ok(isAirlockError(err));
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.ok(err.message.startsWith(`${VAR} has an invalid entry ${JSON.stringify(entry)}`), err.message);
      assert.match(err.message, /tenant=limit pairs with whole-number limits >= 1/);
      assert.match(err.message, /e\.g\. acme=32,free-tier-x=2/);
      return true;
    }, value);
  }
});

test('a tenant listed twice is refused, naming it', () => {
  assert.throws(() => loadConfig({ [VAR]: 'acme=4,globex=2,acme=8' }), (err: unknown) => {
    assert.ok(isAirlockError(err));
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.match(err.message, /AIRLOCK_TENANT_CONCURRENCY_OVERRIDES lists tenant "acme" more than once/);
    return true;
  });
});

test("each tenant's queue cap is the lower of AIRLOCK_QUEUE_TENANT_CONCURRENCY and its invocation limit", () => {
  const q = loadConfig({ AIRLOCK_QUEUE_TENANT_CONCURRENCY: '4', AIRLOCK_TENANT_CONCURRENCY: '3', [VAR]: 'small=1,big=16' }).queue;
  assert.equal(q.tenantConcurrency, 3, 'tenants not listed: their invocation limit, below the queue setting');
  assert.deepEqual({ ...q.tenantCaps }, { small: 1, big: 4 }, 'an override only ever lowers the queue cap');
  const roomy = loadConfig({ AIRLOCK_QUEUE_TENANT_CONCURRENCY: '2' }).queue;
  assert.equal(roomy.tenantConcurrency, 2, 'the queue setting stands when the invocation limit is higher');
  assert.deepEqual({ ...roomy.tenantCaps }, {});
});
