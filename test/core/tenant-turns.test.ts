// Tenants in turn for the parser thread's queue (json-thread/turns.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TenantTurns } from '../../src/core/json-thread/turns.js';

function takeAll(turns: TenantTurns<string>): string[] {
  const out: string[] = [];
  for (let item = turns.next(); item !== undefined; item = turns.next()) out.push(item);
  return out;
}

describe('TenantTurns', () => {
  it('serves tenants in turn, each tenant its items in order', () => {
    const turns = new TenantTurns<string>();
    for (const item of ['a1', 'a2', 'a3']) turns.add('a', item);
    turns.add('b', 'b1');
    turns.add('c', 'c1');
    turns.add('b', 'b2');
    assert.equal(turns.size, 6);
    assert.deepEqual(takeAll(turns), ['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
    assert.equal(turns.size, 0);
  });

  it('puts a tenant that starts waiting before the tenants that already had a turn', () => {
    const turns = new TenantTurns<string>();
    turns.add('a', 'a1');
    turns.add('a', 'a2');
    assert.equal(turns.next(), 'a1');
    turns.add('b', 'b1');
    assert.deepEqual(takeAll(turns), ['b1', 'a2']);
  });

  it('gives a tenant back no credit for the turns it did not need while away', () => {
    const turns = new TenantTurns<string>();
    turns.add('away', 'x1');
    assert.equal(turns.next(), 'x1');
    for (let i = 1; i <= 5; i++) turns.add('busy', `a${i}`);
    for (let i = 1; i <= 4; i++) assert.equal(turns.next(), `a${i}`);
    turns.add('away', 'x2');
    turns.add('away', 'x3');
    turns.add('away', 'x4');
    // Without the floor, 'away' (one turn) would now be served three times before 'busy' (four).
    assert.deepEqual(takeAll(turns), ['x2', 'x3', 'a5', 'x4']);
  });

  it('forgets the turns once nothing waits, and drains what waits', () => {
    const turns = new TenantTurns<string>();
    turns.add('a', 'a1');
    turns.next();
    turns.add('b', 'b1');
    turns.reset(); // b1 still waits: nothing is forgotten
    turns.add('a', 'a2');
    assert.deepEqual(takeAll(turns), ['b1', 'a2']);
    turns.reset();
    turns.add('a', 'a3');
    turns.add('b', 'b2');
    assert.deepEqual(turns.drain(), ['a3', 'b2']);
    assert.equal(turns.size, 0);
    assert.equal(turns.next(), undefined);
  });
});
