// The blank pool's refill policy (src/sandbox/pool-refill.ts), driven through a scripted pool:
// a burst of first calls is served before the pool is topped up, unless the pool runs low.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlankRefill, REFILL_QUIET_MS } from '../../src/sandbox/pool-refill.js';
import type { RefillHost } from '../../src/sandbox/pool-refill.js';
import { waitFor } from './support.js';

/** A pool that holds `blank` sandboxes; each spawn completes when the test says so. */
class ScriptedPool implements RefillHost {
  blank: number;
  spawns: { at: number; finish: () => void }[] = [];
  /** The refill under test; pump() nudges it, as the real pool does after each spawn. */
  refill: BlankRefill | undefined;

  constructor(blank: number) {
    this.blank = blank;
  }

  closed(): boolean {
    return false;
  }
  blankCount(): number {
    return this.blank;
  }
  roomForBlank(): boolean {
    return true;
  }
  spawnBlank(): Promise<object | undefined> {
    return new Promise((resolve) => {
      this.spawns.push({
        at: Date.now(),
        finish: () => {
          this.blank++;
          resolve({});
        },
      });
    });
  }
  pump(): void {
    this.refill?.soon();
  }

  /** A caller takes a blank sandbox. */
  take(refill: BlankRefill): void {
    this.blank--;
    refill.taken();
  }
}

describe('blank pool refill', () => {
  it('waits until no blank sandbox was taken for a quiet moment, then refills one at a time', async () => {
    const pool = new ScriptedPool(8);
    const refill = new BlankRefill(pool, 8, undefined);
    pool.refill = refill;
    refill.start();
    assert.equal(pool.spawns.length, 0, 'a full pool spawns nothing');
    let lastTake = 0;
    for (let i = 0; i < 3; i++) {
      pool.take(refill);
      lastTake = Date.now();
      assert.equal(pool.spawns.length, 0, 'no spawn while first calls keep coming');
      await new Promise((resolve) => setTimeout(resolve, REFILL_QUIET_MS / 5));
    }
    await waitFor('the refill to start', () => pool.spawns.length === 1);
    assert.ok(pool.spawns[0]!.at - lastTake >= REFILL_QUIET_MS - 1, `the refill waited ${pool.spawns[0]!.at - lastTake} ms after the last take`);
    await new Promise((resolve) => setTimeout(resolve, REFILL_QUIET_MS * 2));
    assert.equal(pool.spawns.length, 1, 'one spawn at a time');
    pool.spawns[0]!.finish();
    await waitFor('the next spawn', () => pool.spawns.length === 2);
    refill.close(() => new Error('closed'));
  });

  it('refills at once when fewer than a quarter of the pool is left', () => {
    const pool = new ScriptedPool(8);
    const refill = new BlankRefill(pool, 8, undefined);
    refill.start();
    for (let i = 0; i < 6; i++) pool.take(refill);
    assert.equal(pool.spawns.length, 0, 'two of eight left (a quarter): still waiting for a quiet moment');
    pool.take(refill);
    assert.equal(pool.spawns.length, 1, 'one of eight left: the refill started with the take');
    refill.close(() => new Error('closed'));
  });

  it('a pool of two refills at once when its last blank sandbox is taken', () => {
    const pool = new ScriptedPool(2);
    const refill = new BlankRefill(pool, 2, undefined);
    refill.start();
    pool.take(refill);
    assert.equal(pool.spawns.length, 0);
    pool.take(refill);
    assert.equal(pool.spawns.length, 1);
    refill.close(() => new Error('closed'));
  });
});
