// ExpiringCache: an entry is served for ttlMs after it was stored and never after; a full cache
// starts over; deletes by key and by predicate.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExpiringCache } from '../../src/core/expiring-cache.js';

describe('ExpiringCache', () => {
  it('serves an entry for ttlMs after it was stored, then never', () => {
    let now = 1_000;
    const cache = new ExpiringCache<string>(100, 10, () => now);
    assert.equal(cache.get('a'), undefined);
    cache.set('a', 'one');
    now += 99;
    assert.equal(cache.get('a'), 'one');
    now += 1;
    assert.equal(cache.get('a'), undefined, 'stale at exactly ttlMs');
    cache.set('a', 'two');
    assert.equal(cache.get('a'), 'two', 'storing again restarts its time');
  });

  it('starts over when full, but not to replace a key it holds', () => {
    const cache = new ExpiringCache<number>(1_000, 2, () => 0);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('b', 3);
    assert.deepEqual([cache.get('a'), cache.get('b')], [1, 3]);
    cache.set('c', 4);
    assert.deepEqual([cache.get('a'), cache.get('b'), cache.get('c')], [undefined, undefined, 4]);
  });

  it('deletes by key and by predicate', () => {
    const cache = new ExpiringCache<number>(1_000, 10, () => 0);
    for (const [k, v] of [['x@1', 1], ['x@2', 2], ['y@1', 3]] as const) cache.set(k, v);
    cache.deleteWhere((key) => key.startsWith('x@'));
    assert.deepEqual([cache.get('x@1'), cache.get('x@2'), cache.get('y@1')], [undefined, undefined, 3]);
    cache.delete('y@1');
    assert.equal(cache.get('y@1'), undefined);
  });
});
