// Admission control: caps, FIFO within a tenant, round-robin across tenants, bounded waits,
// queue caps, abort, close, and no leaked timers. No sleeps: tests await promises or ticks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admission } from '../../src/scheduler/admission.js';
import type { Permit } from '../../src/scheduler/admission.js';
import type { AdmissionConfig } from '../../src/core/config.js';
import { AirlockError } from '../../src/core/errors.js';

function admission(overrides: Partial<AdmissionConfig> = {}): Admission {
  return new Admission({
    globalConcurrency: 4,
    tenantConcurrency: 2,
    tenantConcurrencyOverrides: {},
    maxWaitMs: 60_000,
    maxQueuePerTenant: 1_000,
    ...overrides,
  });
}

/** Settle state of a promise after pending microtasks and one macrotask turn (not a sleep). */
async function state(p: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  const tick = new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')));
  return Promise.race([
    p.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    tick,
  ]);
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

function isCode(code: string, extra?: (err: AirlockError) => void): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof AirlockError, `expected AirlockError, got ${String(err)}`);
    assert.equal(err.code, code);
    extra?.(err);
    return true;
  };
}

test('admits at once under the limits, with waitedMs 0 and no timer', async () => {
  const a = admission();
  const before = timers();
  const p1 = await a.acquire('t1');
  const p2 = await a.acquire('t2');
  assert.equal(p1.waitedMs, 0);
  assert.equal(timers(), before);
  assert.deepEqual(a.stats(), { running: 2, waiting: 0 });
  p1.release();
  p2.release();
  assert.deepEqual(a.stats({ byTenant: true }), { running: 0, waiting: 0, runningByTenant: {}, waitingByTenant: {} });
});

test('per-tenant cap: the tenant waits, another tenant still runs', async () => {
  const a = admission({ globalConcurrency: 10, tenantConcurrency: 2 });
  const held = [await a.acquire('a'), await a.acquire('a')];
  const third = a.acquire('a');
  assert.equal(await state(third), 'pending');
  const other = await a.acquire('b');
  assert.deepEqual(a.stats({ byTenant: true }), {
    running: 3,
    waiting: 1,
    runningByTenant: { a: 2, b: 1 },
    waitingByTenant: { a: 1 },
  });
  other.release();
  assert.equal(await state(third), 'pending', "another tenant's release does not lift tenant a's cap");
  held[0]!.release();
  const permit = await third;
  assert.ok(permit.waitedMs >= 0);
  permit.release();
  held[1]!.release();
  assert.deepEqual(a.stats(), { running: 0, waiting: 0 });
});

test('global cap: a new tenant waits when the server is full', async () => {
  const a = admission({ globalConcurrency: 2, tenantConcurrency: 2 });
  const x = await a.acquire('a');
  const y = await a.acquire('b');
  const z = a.acquire('c');
  assert.equal(await state(z), 'pending');
  assert.deepEqual(a.stats(), { running: 2, waiting: 1 });
  y.release();
  (await z).release();
  x.release();
  assert.deepEqual(a.stats(), { running: 0, waiting: 0 });
});

test('FIFO within a tenant', async () => {
  const a = admission({ tenantConcurrency: 1 });
  const first = await a.acquire('a');
  const order: number[] = [];
  const waiters = Array.from({ length: 5 }, (_, i) =>
    a.acquire('a').then((p) => {
      order.push(i);
      return p;
    }),
  );
  first.release();
  for (const w of waiters) (await w).release();
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
});

test("round-robin: tenant b's single call is not stuck behind tenant a's 50 queued calls", async () => {
  const a = admission({ globalConcurrency: 4, tenantConcurrency: 4 });
  const running: Permit[] = [];
  for (let i = 0; i < 4; i++) running.push(await a.acquire('a'));
  const flood = Array.from({ length: 50 }, () => a.acquire('a'));
  let bAdmitted = false;
  const b = a.acquire('b').then((p) => {
    bAdmitted = true;
    return p;
  });
  let releases = 0;
  while (!bAdmitted) {
    running.shift()!.release();
    releases++;
    assert.ok(releases <= 2, `b still waiting after ${releases} releases`);
    await state(b);
    // Keep the server full with whoever got the slot, as a loaded server would be.
    if (!bAdmitted) running.push(await flood.shift()!);
  }
  assert.ok(releases <= 2);
  (await b).release();
  for (const p of running) p.release();
  for (const p of flood) (await p).release();
  assert.deepEqual(a.stats(), { running: 0, waiting: 0 });
});

test('round-robin order across tenants when one slot frees at a time', async () => {
  const a = admission({ globalConcurrency: 1, tenantConcurrency: 1 });
  const holder = await a.acquire('z');
  const order: string[] = [];
  const all: Promise<Permit>[] = [];
  for (const [tenant, n] of [['a', 3], ['b', 3], ['c', 1]] as const) {
    for (let i = 0; i < n; i++) {
      all.push(
        a.acquire(tenant).then((p) => {
          order.push(tenant);
          p.release(); // frees the single slot for the next one in line
          return p;
        }),
      );
    }
  }
  holder.release();
  await Promise.all(all);
  assert.deepEqual(order, ['a', 'b', 'c', 'a', 'b', 'a', 'b']);
});

test('per-tenant overrides: a listed tenant gets its own cap, others the default', async () => {
  const a = admission({ globalConcurrency: 10, tenantConcurrency: 1, tenantConcurrencyOverrides: { big: 4, tiny: 1, huge: 50 } });
  const big = [];
  for (let i = 0; i < 4; i++) big.push(await a.acquire('big'));
  const other = await a.acquire('other');
  const bigWaiter = a.acquire('big');
  const otherWaiter = a.acquire('other');
  assert.equal(await state(bigWaiter), 'pending', 'big waits at its override of 4');
  assert.equal(await state(otherWaiter), 'pending', 'other waits at the default of 1');
  assert.deepEqual(a.stats({ byTenant: true }).runningByTenant, { big: 4, other: 1 });
  // An override above the global cap is lowered to it: huge takes the 5 free slots, no more.
  const huge = [];
  for (let i = 0; i < 5; i++) huge.push(await a.acquire('huge'));
  const hugeWaiter = a.acquire('huge');
  assert.equal(await state(hugeWaiter), 'pending');
  assert.deepEqual(a.stats(), { running: 10, waiting: 3 });
  for (const p of huge) p.release();
  (await hugeWaiter).release();
  big.shift()!.release();
  other.release();
  for (const p of [...big, await bigWaiter, await otherWaiter]) p.release();
  assert.deepEqual(a.stats(), { running: 0, waiting: 0 });
});

test('a tenant waiting at its override cap is told that cap in the 429', async () => {
  const a = admission({ globalConcurrency: 10, tenantConcurrency: 1, tenantConcurrencyOverrides: { big: 3 }, maxWaitMs: 0 });
  const held = [await a.acquire('big'), await a.acquire('big'), await a.acquire('big')];
  await assert.rejects(
    a.acquire('big'),
    isCode('TOO_MANY_REQUESTS', (err) => {
      assert.equal(err.details?.limit, 'tenant');
      assert.match(err.message, /tenant "big" is at its concurrency limit \(3 executions running\)/);
    }),
  );
  for (const p of held) p.release();
});

test('round-robin holds between tenants with different caps, and each stays within its own', async () => {
  const caps: Record<string, number> = { big: 4, mid: 2, small: 1 };
  const a = admission({ globalConcurrency: 4, tenantConcurrency: 1, tenantConcurrencyOverrides: { big: 4, mid: 2 } });
  const running: Record<string, number> = { big: 0, mid: 0, small: 0 };
  const held: Permit[] = [];
  /** Counts what each tenant has running, checking it against that tenant's cap. */
  const track = (tenant: string, p: Permit): void => {
    running[tenant]!++;
    assert.ok(running[tenant]! <= caps[tenant]!, `${tenant} above its cap`);
    held.push({ waitedMs: p.waitedMs, release: () => { running[tenant]!--; p.release(); } });
  };
  for (let i = 0; i < 4; i++) track('big', await a.acquire('big'));
  const order: string[] = [];
  const all: Promise<void>[] = [];
  for (const [tenant, n] of [['big', 6], ['small', 2], ['mid', 2]] as const) {
    for (let i = 0; i < n; i++) {
      all.push(
        a.acquire(tenant).then((p) => {
          order.push(tenant);
          track(tenant, p);
        }),
      );
    }
  }
  // Free the oldest running execution one at a time; the server stays full with whoever was admitted.
  for (let step = 0; step < 10; step++) {
    held.shift()!.release();
    await state(Promise.resolve()); // settles the admission just made
  }
  await Promise.all(all);
  // big, small and mid take turns; small (cap 1) and mid (cap 2) are skipped while at their cap.
  assert.deepEqual(order, ['big', 'small', 'mid', 'big', 'mid', 'small', 'big', 'big', 'big', 'big']);
  for (const p of held) p.release();
  assert.deepEqual(a.stats(), { running: 0, waiting: 0 });
});

test('a tenant at its cap does not block others behind it in the ring', async () => {
  const a = admission({ globalConcurrency: 3, tenantConcurrency: 1 });
  const a1 = await a.acquire('a');
  const b1 = await a.acquire('b');
  const c1 = await a.acquire('c');
  const a2 = a.acquire('a'); // waits: a at cap (and server full)
  const d1 = a.acquire('d'); // waits: server full
  c1.release(); // a is still at its cap, so d gets the slot
  assert.equal(await state(d1), 'resolved');
  assert.equal(await state(a2), 'pending');
  a1.release();
  (await a2).release();
  (await d1).release();
  b1.release();
  assert.deepEqual(a.stats(), { running: 0, waiting: 0 });
});

test('bounded wait: rejects with TOO_MANY_REQUESTS and Retry-After after maxWaitMs', async () => {
  const a = admission({ tenantConcurrency: 1, maxWaitMs: 30 });
  const before = timers();
  const held = await a.acquire('a');
  await assert.rejects(
    a.acquire('a'),
    isCode('TOO_MANY_REQUESTS', (err) => {
      assert.equal(err.status, 429);
      assert.deepEqual(err.details, { retryAfterSeconds: 1, tenant: 'a', limit: 'tenant', reason: 'wait_timeout' });
      assert.match(err.message, /tenant "a".*concurrency limit.*retry after 1 s/);
    }),
  );
  assert.deepEqual(a.stats(), { running: 1, waiting: 0 });
  held.release();
  assert.equal(timers(), before);
});

test('bounded wait on the global cap says so', async () => {
  const a = admission({ globalConcurrency: 1, tenantConcurrency: 1, maxWaitMs: 30 });
  const held = await a.acquire('a');
  await assert.rejects(
    a.acquire('b'),
    isCode('TOO_MANY_REQUESTS', (err) => {
      assert.equal(err.details?.limit, 'global');
      assert.match(err.message, /global concurrency limit/);
    }),
  );
  held.release();
});

test('a full tenant queue rejects at once; other tenants can still queue', async () => {
  const a = admission({ globalConcurrency: 1, tenantConcurrency: 1, maxQueuePerTenant: 2, maxWaitMs: 2_500 });
  const held = await a.acquire('a');
  const q1 = a.acquire('a');
  const q2 = a.acquire('a');
  const q3 = a.acquire('a');
  assert.equal(await state(q3), 'rejected');
  await assert.rejects(
    q3,
    isCode('TOO_MANY_REQUESTS', (err) => {
      assert.equal(err.details?.reason, 'queue_full');
      assert.equal(err.details?.retryAfterSeconds, 3, 'ceil(2500 ms / 1000)');
    }),
  );
  const other = a.acquire('b');
  assert.equal(await state(other), 'pending');
  assert.deepEqual(a.stats(), { running: 1, waiting: 3 });
  held.release();
  for (const p of [q1, other, q2]) (await p).release();
  assert.deepEqual(a.stats(), { running: 0, waiting: 0 });
});

test('maxWaitMs 0: no waiting at all', async () => {
  const a = admission({ tenantConcurrency: 1, maxWaitMs: 0 });
  const held = await a.acquire('a');
  await assert.rejects(a.acquire('a'), isCode('TOO_MANY_REQUESTS', (err) => assert.equal(err.details?.reason, 'no_wait')));
  assert.deepEqual(a.stats({ byTenant: true }), { running: 1, waiting: 0, runningByTenant: { a: 1 }, waitingByTenant: {} });
  held.release();
  (await a.acquire('a')).release();
});

test('abort removes the waiter and rejects with the reason; the slot goes to the next waiter', async () => {
  const a = admission({ tenantConcurrency: 1 });
  const before = timers();
  const held = await a.acquire('a');
  const controller = new AbortController();
  const aborted = a.acquire('a', controller.signal);
  const next = a.acquire('a');
  const reason = new Error('client went away');
  controller.abort(reason);
  await assert.rejects(aborted, (err) => err === reason);
  assert.deepEqual(a.stats(), { running: 1, waiting: 1 });
  held.release();
  const permit = await next;
  assert.deepEqual(a.stats(), { running: 1, waiting: 0 });
  permit.release();
  assert.equal(timers(), before);

  const pre = new AbortController();
  pre.abort(reason);
  await assert.rejects(a.acquire('a', pre.signal), (err) => err === reason);
  assert.deepEqual(a.stats(), { running: 0, waiting: 0 });
});

test('a signal given as a function is made only when the caller has to wait', async () => {
  const a = admission({ tenantConcurrency: 1 });
  let made = 0;
  const controller = new AbortController();
  const lazy = (): AbortSignal => {
    made++;
    return controller.signal;
  };
  const held = await a.acquire('a', lazy);
  assert.equal(made, 0, 'an uncontended acquire makes no signal');
  const waiting = a.acquire('a', lazy);
  assert.equal(made, 1);
  const reason = new Error('client went away');
  controller.abort(reason);
  await assert.rejects(waiting, (err) => err === reason);
  assert.deepEqual(a.stats(), { running: 1, waiting: 0 });
  await assert.rejects(a.acquire('a', lazy), (err) => err === reason, 'a signal already aborted when the wait begins');
  assert.deepEqual(a.stats(), { running: 1, waiting: 0 });
  held.release();
});

test('an abort after admission changes nothing', async () => {
  const a = admission();
  const controller = new AbortController();
  const permit = await a.acquire('a', controller.signal);
  controller.abort();
  assert.deepEqual(a.stats(), { running: 1, waiting: 0 });
  permit.release();
});

test('release is idempotent and does not admit extra waiters', async () => {
  const a = admission({ globalConcurrency: 1, tenantConcurrency: 1 });
  const held = await a.acquire('a');
  const w1 = a.acquire('b');
  const w2 = a.acquire('c');
  held.release();
  held.release();
  held.release();
  assert.equal(await state(w1), 'resolved');
  assert.equal(await state(w2), 'pending');
  assert.deepEqual(a.stats(), { running: 1, waiting: 1 });
  const p1 = await w1;
  p1.release();
  p1.release();
  const p2 = await w2;
  p2.release();
  p2.release();
  assert.deepEqual(a.stats(), { running: 0, waiting: 0 });
});

test('close rejects waiters with SHUTTING_DOWN and refuses new acquires; held permits still release', async () => {
  const a = admission({ tenantConcurrency: 1 });
  const before = timers();
  const held = await a.acquire('a');
  const waiters = [a.acquire('a'), a.acquire('a')];
  a.close();
  // Retry-After (a batch's refused inputs, a 503): its message says "retry in a few seconds".
  for (const w of waiters) await assert.rejects(w, isCode('SHUTTING_DOWN', (err) => assert.deepEqual([err.status, err.details?.retryAfterSeconds], [503, 5])));
  await assert.rejects(a.acquire('b'), isCode('SHUTTING_DOWN'));
  assert.equal(timers(), before);
  held.release();
  assert.deepEqual(a.stats(), { running: 0, waiting: 0 });

  const custom = new Error('custom');
  const b = admission({ tenantConcurrency: 1 });
  const h = await b.acquire('a');
  const w = b.acquire('a');
  b.close(custom);
  await assert.rejects(w, (err) => err === custom);
  h.release();
});

test('no leaked timers or tenant entries after a busy run', async () => {
  const a = admission({ globalConcurrency: 3, tenantConcurrency: 2, maxWaitMs: 600_000 });
  const before = timers();
  const calls: Promise<void>[] = [];
  for (let i = 0; i < 60; i++) {
    const controller = new AbortController();
    const call = a.acquire(`t${i % 5}`, controller.signal).then(
      async (p) => {
        await null;
        p.release();
      },
      () => undefined,
    );
    if (i % 7 === 0) controller.abort();
    calls.push(call);
  }
  await Promise.all(calls);
  assert.equal(timers(), before);
  assert.deepEqual(a.stats({ byTenant: true }), { running: 0, waiting: 0, runningByTenant: {}, waitingByTenant: {} });
});

test('random workload keeps the caps and never leaves a waiter that could run', async () => {
  const g = 5;
  const t = 2;
  const a = admission({ globalConcurrency: g, tenantConcurrency: t, maxQueuePerTenant: 10_000 });
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const held: Permit[] = [];
  const pending: Promise<unknown>[] = [];
  for (let step = 0; step < 3_000; step++) {
    if (rand(2) === 0 || held.length === 0) {
      pending.push(a.acquire(`t${rand(6)}`).then((p) => held.push(p)));
    } else {
      held.splice(rand(held.length), 1)[0]!.release();
    }
    if (step % 10 === 0) await null;
    const s = a.stats({ byTenant: true });
    assert.ok(s.running <= g);
    for (const [name, n] of Object.entries(s.runningByTenant!)) {
      assert.ok(n <= t, `tenant ${name} runs ${n} > ${t}`);
    }
    for (const name of Object.keys(s.waitingByTenant!)) {
      const mine = s.runningByTenant![name] ?? 0;
      assert.ok(mine >= t || s.running >= g, `tenant ${name} waits while it could run (step ${step})`);
    }
  }
  while (a.stats().running > 0 || a.stats().waiting > 0) {
    await null;
    while (held.length > 0) held.pop()!.release();
  }
  await Promise.all(pending);
  assert.deepEqual(a.stats(), { running: 0, waiting: 0 });
});

test('invalid configuration is refused', () => {
  assert.throws(() => admission({ globalConcurrency: 0 }), isCode('CONFIG_INVALID'));
  assert.throws(() => admission({ maxWaitMs: -1 }), isCode('CONFIG_INVALID'));
  assert.throws(() => admission({ maxWaitMs: 2 ** 31 }), isCode('CONFIG_INVALID'));
  assert.throws(() => admission({ tenantConcurrency: 1.5 }), isCode('CONFIG_INVALID'));
});

test('tenantConcurrency above globalConcurrency is capped to it', async () => {
  const a = admission({ globalConcurrency: 2, tenantConcurrency: 5 });
  const p = [await a.acquire('a'), await a.acquire('a')];
  const w = a.acquire('a');
  assert.equal(await state(w), 'pending');
  await assert.rejects(
    (async () => {
      a.close();
      await w;
    })(),
    isCode('SHUTTING_DOWN'),
  );
  for (const x of p) x.release();
});

test('many distinct tenants: idle entries are swept without disturbing busy ones', async () => {
  const a = admission({ globalConcurrency: 4, tenantConcurrency: 1 });
  const held = await a.acquire('busy');
  const queued = a.acquire('busy');
  for (let i = 0; i < 5_000; i++) (await a.acquire(`t${i}`)).release();
  assert.deepEqual(a.stats({ byTenant: true }), {
    running: 1,
    waiting: 1,
    runningByTenant: { busy: 1 },
    waitingByTenant: { busy: 1 },
  });
  held.release();
  (await queued).release();
  assert.deepEqual(a.stats(), { running: 0, waiting: 0 });
});
