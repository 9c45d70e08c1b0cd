// Masking of what an execution hands back when its egress session used secrets: every string of
// a result (keys too, at any depth), error fields and log lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskError, maskJson, maskLogs } from '../../src/egress/mask.js';
import { SecretMask } from '../../src/egress/secrets.js';

describe('execution masking', () => {
  const secrets = new SecretMask();
  secrets.add('KEY', 'hunter22');
  const mask = (s: string) => secrets.mask(s);

  it('masks strings and keys at any depth without touching other values', () => {
    let deep: unknown = 'hunter22';
    for (let i = 0; i < 300; i++) deep = [deep]; // deeper than any accepted result (256)
    const value = { a: 'x hunter22 y', hunter22: 1, n: [1, null, true, { s: 'hunter22' }], deep };
    const out = maskJson(value, mask) as Record<string, unknown>;
    assert.equal(out.a, 'x [secret:KEY] y');
    assert.equal(out['[secret:KEY]'], 1);
    assert.deepEqual(out.n, [1, null, true, { s: '[secret:KEY]' }]);
    assert.ok(!JSON.stringify(out).includes('hunter22'));
    assert.equal(maskJson('hunter22', mask), '[secret:KEY]');
    assert.equal(maskJson(42, mask), 42);
  });

  it('keeps the order of keys at every depth, as JSON.stringify would give it', () => {
    const value = { status: 200, body: { ok: true, method: 'GET', path: '/x', gotAuth: 'hunter22', list: [{ b: 1, a: 2 }] } };
    const out = maskJson(value, mask);
    assert.equal(JSON.stringify(out), JSON.stringify(value).replace('hunter22', '[secret:KEY]'));
  });

  it('masks a __proto__ key as data, never touching prototypes', () => {
    const hostile = JSON.parse('{"__proto__":{"polluted":"hunter22"}}') as unknown;
    const out = maskJson(hostile, mask) as Record<string, unknown>;
    assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { polluted: '[secret:KEY]' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('masks error fields and log messages', () => {
    assert.deepEqual(maskError({ type: 'E', message: 'bad hunter22', stack: 'at hunter22' }, mask), {
      type: 'E', message: 'bad [secret:KEY]', stack: 'at [secret:KEY]',
    });
    assert.deepEqual(maskLogs([{ ts: 1, level: 'info', msg: 'hunter22!' }], mask), [{ ts: 1, level: 'info', msg: '[secret:KEY]!' }]);
  });
});
