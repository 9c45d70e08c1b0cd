// The QueueStore conformance suite, part 2: fair claiming across tenants (equal and weighted
// shares, late joiners), per-tenant caps, global slots, and the interactive lane's reserve.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Lane, QueueStore } from '../../src/queue/port.js';
import { harness } from './conformance.js';
import { jain } from './support.js';
import type { MakeQueue } from './support.js';

async function fill(q: QueueStore, tenant: string, n: number, lane: Lane = 'background'): Promise<void> {
  for (let i = 0; i < n; i++) await q.enqueue({ tenant, function: 'f', lane, payload: i });
}

/** Claims up to `max`, completes everything claimed, and counts claims per tenant. */
async function round(q: QueueStore, max: number, counts: Map<string, number>): Promise<number> {
  const claimed = await q.claim({ owner: 'w', max });
  for (const c of claimed) {
    counts.set(c.item.tenant, (counts.get(c.item.tenant) ?? 0) + 1);
    await q.complete(c.lease, null);
  }
  return claimed.length;
}

function tenantsOf(claimed: { item: { tenant: string } }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of claimed) out[c.item.tenant] = (out[c.item.tenant] ?? 0) + 1;
  return out;
}

export function queueFairnessConformance(name: string, make: MakeQueue): void {
  const withQueue = harness(make);

  describe(`${name}: queue fairness conformance`, () => {
    test('8 equal tenants, one with 20x the backlog enqueued first: Jain >= 0.95 among backlogged', () =>
      withQueue({ slots: 8 }, async ({ q }) => {
        const tenants = Array.from({ length: 8 }, (_, i) => `t${i}`);
        await fill(q, 't0', 200);
        for (const t of tenants.slice(1)) await fill(q, t, 10);
        const counts = new Map<string, number>();
        // 9 rounds of 8: every tenant keeps a backlog throughout (10 items each at least).
        for (let r = 0; r < 9; r++) assert.equal(await round(q, 8, counts), 8);
        const shares = tenants.map((t) => counts.get(t) ?? 0);
        const index = jain(shares);
        assert.ok(index >= 0.95, `Jain index ${index.toFixed(3)} for claims ${shares.join(',')}`);
        assert.ok((counts.get('t0') ?? 0) <= 10, `the heavy tenant took ${counts.get('t0')} of 72`);
      }));

    test('weights 2:1 give about 2:1 of the claims', () =>
      withQueue({ slots: 3, tenantWeights: { heavy: 2 } }, async ({ q }) => {
        await fill(q, 'heavy', 100);
        await fill(q, 'light', 100);
        const counts = new Map<string, number>();
        for (let r = 0; r < 20; r++) assert.equal(await round(q, 3, counts), 3);
        const ratio = (counts.get('heavy') ?? 0) / (counts.get('light') ?? 1);
        assert.ok(ratio >= 1.8 && ratio <= 2.2, `ratio ${ratio} (heavy ${counts.get('heavy')}, light ${counts.get('light')})`);
      }));

    test('a tenant arriving late gets its fair share, not a burst to catch up', () =>
      withQueue({ slots: 4 }, async ({ q }) => {
        await fill(q, 'early', 200);
        const counts = new Map<string, number>();
        for (let r = 0; r < 25; r++) await round(q, 4, counts);
        assert.equal(counts.get('early'), 100);
        await fill(q, 'late', 100);
        counts.clear();
        for (let r = 0; r < 10; r++) await round(q, 4, counts);
        const late = counts.get('late') ?? 0;
        assert.ok(late >= 18 && late <= 22, `late tenant got ${late} of 40`);
      }));

    test('per-tenant caps hold across claims until items finish', () =>
      withQueue({ slots: 8, tenantConcurrency: 2 }, async ({ q }) => {
        await fill(q, 'a', 5);
        await fill(q, 'b', 5);
        const first = await q.claim({ owner: 'w', max: 8 });
        assert.deepEqual(tenantsOf(first), { a: 2, b: 2 });
        assert.deepEqual(await q.claim({ owner: 'w', max: 8 }), []);
        const a = first.find((c) => c.item.tenant === 'a');
        assert.ok(a);
        await q.complete(a.lease, null);
        assert.deepEqual(tenantsOf(await q.claim({ owner: 'w', max: 8 })), { a: 1 });
      }));

    test('a tenant with its own cap (tenantCaps) is held to it; the others keep the default', () =>
      withQueue({ slots: 8, tenantConcurrency: 3, tenantCaps: { small: 1 } }, async ({ q }) => {
        await fill(q, 'small', 4);
        await fill(q, 'other', 4);
        const first = await q.claim({ owner: 'w', max: 8 });
        assert.deepEqual(tenantsOf(first), { small: 1, other: 3 });
        assert.deepEqual(await q.claim({ owner: 'w', max: 8 }), []);
        const small = first.find((c) => c.item.tenant === 'small');
        assert.ok(small);
        await q.complete(small.lease, null);
        assert.deepEqual(tenantsOf(await q.claim({ owner: 'w', max: 8 })), { small: 1 });
      }));

    test('global slots bound running items across tenants and claimers', () =>
      withQueue({ slots: 3 }, async ({ q, sut }) => {
        await fill(q, 'a', 5);
        await fill(q, 'b', 5);
        const other = await sut.openAnother();
        try {
          const one = await q.claim({ owner: 'w1', max: 2 });
          const two = await other.claim({ owner: 'w2', max: 5 });
          assert.deepEqual([one.length, two.length], [2, 1]);
        } finally {
          await other.close();
        }
      }));

    test('background work never takes the reserved interactive slots; interactive goes first', () =>
      withQueue({ slots: 4, interactiveReserved: 1 }, async ({ q }) => {
        await fill(q, 'webhooks', 20, 'background');
        await fill(q, 'syncs', 20, 'background');
        const bg = await q.claim({ owner: 'w', max: 10 });
        assert.equal(bg.length, 3, 'background fills slots - reserved');
        assert.deepEqual(await q.claim({ owner: 'w', max: 10 }), [], 'the reserved slot stays free');
        await fill(q, 'calls', 3, 'interactive');
        const inter = await q.claim({ owner: 'w', max: 10 });
        assert.deepEqual(inter.map((c) => c.item.lane), ['interactive']);
        // Free two background slots: interactive work queued behind them is served before background.
        for (const c of bg.slice(0, 2)) await q.complete(c.lease, null);
        const next = await q.claim({ owner: 'w', max: 10 });
        assert.deepEqual(next.map((c) => c.item.lane), ['interactive', 'interactive']);
      }));

    test("a claim's room per lane bounds what it takes of each lane", () =>
      withQueue({ slots: 10, interactiveReserved: 2 }, async ({ q }) => {
        await fill(q, 'syncs', 5, 'background');
        await fill(q, 'hooks', 5, 'interactive');
        const first = await q.claim({ owner: 'w', max: 4, laneMax: { interactive: 1 } });
        assert.deepEqual(first.map((c) => c.item.lane).sort(), ['background', 'background', 'background', 'interactive']);
        const second = await q.claim({ owner: 'w', max: 4, laneMax: { interactive: 0, background: 1 } });
        assert.deepEqual(second.map((c) => c.item.lane), ['background']);
        const third = await q.claim({ owner: 'w', max: 10, laneMax: { background: 0 } });
        assert.deepEqual(third.map((c) => c.item.lane), ['interactive', 'interactive', 'interactive', 'interactive']);
      }));
  });
}
