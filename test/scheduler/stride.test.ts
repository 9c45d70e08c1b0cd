// The pure stride planner: proportional shares, caps, global slots, the interactive reserve and
// lane priority, idle tenants joining at the current virtual time, and input checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planClaims } from '../../src/scheduler/stride.js';
import type { Capacity, TenantDemand } from '../../src/scheduler/stride.js';

function demand(tenant: string, over: Partial<TenantDemand> = {}): TenantDemand {
  return { tenant, weight: 1, pass: undefined, ready: { interactive: 0, background: 1_000 }, running: 0, cap: 1_000, ...over };
}

function capacity(over: Partial<Capacity> = {}): Capacity {
  return { slots: 1_000, interactiveReserved: 0, running: { interactive: 0, background: 0 }, ...over };
}

function count(picks: { tenant: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of picks) out[p.tenant] = (out[p.tenant] ?? 0) + 1;
  return out;
}

test('weights 3:2:1 split claims 3:2:1, interleaved rather than in blocks', () => {
  const plan = planClaims(
    [demand('a', { weight: 3 }), demand('b', { weight: 2 }), demand('c', { weight: 1 })],
    capacity(),
    0,
    60,
  );
  assert.deepEqual(count(plan.picks), { a: 30, b: 20, c: 10 });
  assert.deepEqual(count(plan.picks.slice(0, 6)), { a: 3, b: 2, c: 1 });
});

test('passes carry over between plans, so shares hold across small claims', () => {
  let passes = new Map<string, number>();
  let vtime = 0;
  const totals: Record<string, number> = {};
  for (let round = 0; round < 30; round++) {
    const plan = planClaims(
      [demand('a', { weight: 2, pass: passes.get('a') }), demand('b', { pass: passes.get('b') })],
      capacity(),
      vtime,
      1,
    );
    for (const p of plan.picks) totals[p.tenant] = (totals[p.tenant] ?? 0) + 1;
    passes = new Map([...passes, ...plan.passes]);
    assert.ok(plan.vtime >= vtime, 'virtual time never goes back');
    vtime = plan.vtime;
  }
  assert.deepEqual(totals, { a: 20, b: 10 });
});

test('an idle tenant with an old pass joins at the virtual time instead of bursting', () => {
  const plan = planClaims([demand('busy', { pass: 100 }), demand('back', { pass: 3 })], capacity(), 99.5, 10);
  assert.deepEqual(count(plan.picks), { busy: 5, back: 5 });
});

test('per-tenant caps count running items; the rest goes to others', () => {
  const plan = planClaims([demand('a', { running: 2, cap: 3 }), demand('b', { cap: 3 })], capacity(), 0, 10);
  assert.deepEqual(count(plan.picks), { a: 1, b: 3 });
});

test('global slots count what already runs in both lanes', () => {
  const plan = planClaims(
    [demand('a'), demand('b')],
    capacity({ slots: 10, running: { interactive: 3, background: 4 } }),
    0,
    10,
  );
  assert.equal(plan.picks.length, 3);
});

test('background stops at slots - reserved; interactive may use every slot and goes first', () => {
  const cap = capacity({ slots: 5, interactiveReserved: 2, running: { interactive: 0, background: 2 } });
  const bgOnly = planClaims([demand('a')], cap, 0, 10);
  assert.equal(bgOnly.picks.length, 1, 'background may hold 3 slots in all');
  const mixed = planClaims(
    [demand('a'), demand('b', { ready: { interactive: 2, background: 0 }, pass: 50 })],
    cap,
    0,
    10,
  );
  assert.deepEqual(
    mixed.picks.map((p) => `${p.tenant}:${p.lane}`),
    ['b:interactive', 'b:interactive', 'a:background'],
  );
});

test("a claimer's room per lane bounds the picks of that lane; the other lane still fills the rest", () => {
  const demands = () => [demand('a', { ready: { interactive: 5, background: 5 } })];
  const lanes = (plan: ReturnType<typeof planClaims>): string[] => plan.picks.map((p) => p.lane);
  assert.deepEqual(lanes(planClaims(demands(), capacity(), 0, 4, { interactive: 1 })), ['interactive', 'background', 'background', 'background']);
  assert.deepEqual(lanes(planClaims(demands(), capacity(), 0, 4, { background: 0 })), ['interactive', 'interactive', 'interactive', 'interactive']);
  assert.deepEqual(lanes(planClaims(demands(), capacity(), 0, 4, { interactive: 0, background: 1 })), ['background']);
  assert.deepEqual(lanes(planClaims(demands(), capacity(), 0, 4, { interactive: 1, background: 1 })), ['interactive', 'background']);
});

test('ready counts bound the picks; nothing ready plans nothing', () => {
  const plan = planClaims([demand('a', { ready: { interactive: 1, background: 2 } })], capacity(), 0, 10);
  assert.equal(plan.picks.length, 3);
  assert.deepEqual(planClaims([], capacity(), 7, 10), { picks: [], passes: new Map(), vtime: 7 });
});

test('a weight that is not a positive number is refused', () => {
  for (const weight of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => planClaims([demand('a', { weight })], capacity(), 0, 1), RangeError);
  }
});
