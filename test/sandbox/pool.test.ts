// SandboxPool against real bwrap sandboxes: tenant separation (globals, /tmp, module state) also
// across reuse and eviction, start kinds, isolation scopes, TTL, max executions, LRU eviction
// under the budget, FIFO waiting when everything is busy, and a close() that leaves nothing.
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import type { PoolConfig } from '../../src/core/config.js';
import type { IsolationScope } from '../../src/core/types.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import type { Lease } from '../../src/sandbox/pool.js';
import { assertNoChildren, childSandboxFootprints, leftovers, makeIsolator, request, ticksSinceBoot, waitFor } from './support.js';

const isolator = makeIsolator('bwrap');
const MEMORY = 64;
const pools: SandboxPool[] = [];

function makePool(overrides: Partial<PoolConfig> = {}): SandboxPool {
  const config: PoolConfig = { blankSize: 0, maxSandboxes: 8, idleTtlMs: 60_000, maxExecutionsPerSandbox: 1_000, queueBehind: 3, queueBehindMs: 5, parallelism: 1, spawnConcurrency: 8, ...overrides };
  const pool = new SandboxPool(isolator, config, MEMORY);
  pools.push(pool);
  return pool;
}

function acquire(
  pool: SandboxPool,
  tenant: string,
  opts: { fn?: string; scope?: IsolationScope; memoryMiB?: number; queueable?: boolean } = {},
): Promise<Lease> {
  return pool.acquire({
    tenant, functionName: opts.fn ?? 'probe', scope: opts.scope ?? 'tenant', memoryMiB: opts.memoryMiB ?? MEMORY, queueable: opts.queueable ?? false,
  });
}

// Identical code for every tenant (so identical version hashes): module state, globals and
// /tmp must still never cross tenants.
const PROBE = `import { readdirSync, writeFileSync } from 'node:fs';
let calls = 0;
export default async (input, ctx) => {
  calls++;
  const seen = { calls, owner: globalThis.owner ?? null, tmp: readdirSync('/tmp').sort() };
  globalThis.owner ??= ctx.tenant;
  writeFileSync('/tmp/' + ctx.tenant, 'secret of ' + ctx.tenant);
  return seen;
};`;

const SLEEP = 'export default (ms) => new Promise((resolve) => setTimeout(() => resolve(ms), ms));';
const SPIN = 'export default (ms) => { const end = Date.now() + ms; while (Date.now() < end); return ms; };';

interface Seen {
  calls: number;
  owner: string | null;
  tmp: string[];
}

async function probe(lease: Lease, tenant: string): Promise<Seen> {
  const outcome = await lease.sandbox.run(request(PROBE, { tenant }));
  assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
  return outcome.result as Seen;
}

async function use(pool: SandboxPool, tenant: string, opts: Parameters<typeof acquire>[2] = {}): Promise<{ lease: Lease; seen: Seen }> {
  const lease = await acquire(pool, tenant, opts);
  const seen = await probe(lease, tenant);
  lease.release(true);
  return { lease, seen };
}

describe('sandbox pool (bwrap)', () => {
  afterEach(async () => {
    const footprints = childSandboxFootprints();
    const closedAt = ticksSinceBoot(); // processes of other tests' sandboxes start later
    await Promise.all(pools.splice(0).map((p) => p.close()));
    for (const fp of footprints) assert.deepEqual(leftovers(fp, closedAt), [], 'close() left no sandbox process');
  });
  after(() => assertNoChildren());

  it('starts from the blank pool, then warm, and spawns when nothing fits', async () => {
    const pool = makePool({ blankSize: 1 });
    await pool.warmUp();
    assert.equal(pool.stats().blank, 1);
    const first = await use(pool, 'acme');
    assert.equal(first.lease.start, 'pool');
    const second = await use(pool, 'acme');
    assert.equal(second.lease.start, 'warm');
    assert.equal(second.lease.sandbox, first.lease.sandbox);
    assert.deepEqual(second.seen, { calls: 2, owner: 'acme', tmp: ['acme'] });
    const bigger = await acquire(pool, 'acme', { memoryMiB: 96 });
    assert.equal(bigger.start, 'spawn', 'no blank or warm sandbox has that heap size');
    assert.equal(bigger.sandbox.memoryMiB, 96);
    bigger.release(true);
    await waitFor('the blank pool to refill', () => pool.stats().blank === 1);
  });

  it('never lets tenant B see tenant A: globals, /tmp, module state', async () => {
    const pool = makePool({ blankSize: 2 });
    await pool.warmUp();
    const a1 = await use(pool, 'tenant-a');
    const a2 = await use(pool, 'tenant-a');
    assert.deepEqual(a2.seen, { calls: 2, owner: 'tenant-a', tmp: ['tenant-a'] });
    const b1 = await use(pool, 'tenant-b');
    assert.notEqual(b1.lease.sandbox, a1.lease.sandbox);
    assert.equal(b1.lease.start, 'pool');
    assert.deepEqual(b1.seen, { calls: 1, owner: null, tmp: [] });
    const b2 = await use(pool, 'tenant-b');
    assert.equal(b2.lease.sandbox, b1.lease.sandbox);
    assert.deepEqual(b2.seen, { calls: 2, owner: 'tenant-b', tmp: ['tenant-b'] });
  });

  it('keeps tenants apart across eviction under a budget of one sandbox', async () => {
    const pool = makePool({ maxSandboxes: 1 });
    const a1 = await use(pool, 'tenant-a');
    assert.equal(a1.lease.start, 'spawn');
    const b1 = await use(pool, 'tenant-b');
    assert.equal(b1.lease.start, 'spawn');
    assert.equal(a1.lease.sandbox.alive, false, "A's idle sandbox was evicted for B");
    assert.deepEqual(b1.seen, { calls: 1, owner: null, tmp: [] });
    const a2 = await use(pool, 'tenant-a');
    assert.equal(a2.lease.start, 'spawn');
    assert.deepEqual(a2.seen, { calls: 1, owner: null, tmp: [] }, 'a fresh sandbox after eviction');
    assert.equal(b1.lease.sandbox.alive, false);
    assert.ok(pool.stats().total <= 1);
  });

  it('binds by function under scope function, shares under scope tenant', async () => {
    const pool = makePool();
    const f1 = await use(pool, 'acme', { fn: 'f1', scope: 'function' });
    const f2 = await use(pool, 'acme', { fn: 'f2', scope: 'function' });
    assert.notEqual(f2.lease.sandbox, f1.lease.sandbox);
    assert.equal(f2.lease.start, 'spawn');
    const f1again = await use(pool, 'acme', { fn: 'f1', scope: 'function' });
    assert.equal(f1again.lease.sandbox, f1.lease.sandbox);
    assert.equal(f1again.lease.start, 'warm');
    const t1 = await use(pool, 'acme', { fn: 'f1', scope: 'tenant' });
    const t2 = await use(pool, 'acme', { fn: 'f2', scope: 'tenant' });
    assert.notEqual(t1.lease.sandbox, f1.lease.sandbox, 'function-scoped sandboxes are not shared with tenant scope');
    assert.equal(t2.lease.sandbox, t1.lease.sandbox);
    assert.equal(t2.lease.start, 'warm');
  });

  it('never reuses a sandbox under scope execution', async () => {
    const pool = makePool({ blankSize: 1 });
    await pool.warmUp();
    const first = await use(pool, 'acme', { scope: 'execution' });
    assert.equal(first.lease.start, 'pool');
    await waitFor('the execution-scoped sandbox to be destroyed', () => !first.lease.sandbox.alive);
    await waitFor('the blank pool to refill', () => pool.stats().blank === 1);
    const second = await use(pool, 'acme', { scope: 'execution' });
    assert.notEqual(second.lease.sandbox, first.lease.sandbox);
    assert.deepEqual(second.seen, { calls: 1, owner: null, tmp: [] });
  });

  it('retires idle sandboxes after idleTtlMs', async () => {
    const pool = makePool({ idleTtlMs: 100 });
    const first = await use(pool, 'acme');
    await waitFor('the idle sandbox to expire', () => pool.stats().total === 0);
    assert.equal(first.lease.sandbox.alive, false);
    const second = await use(pool, 'acme');
    assert.equal(second.lease.start, 'spawn');
  });

  it('retires a sandbox after maxExecutionsPerSandbox', async () => {
    const pool = makePool({ maxExecutionsPerSandbox: 2 });
    const first = await use(pool, 'acme');
    const second = await use(pool, 'acme');
    assert.equal(second.lease.sandbox, first.lease.sandbox);
    await waitFor('the used-up sandbox to be destroyed', () => !first.lease.sandbox.alive);
    const third = await use(pool, 'acme');
    assert.equal(third.lease.start, 'spawn');
    assert.deepEqual(third.seen, { calls: 1, owner: null, tmp: [] });
  });

  it('evicts the least recently used idle sandbox when the budget is full', async () => {
    const pool = makePool({ maxSandboxes: 2 });
    const a = await use(pool, 'tenant-a');
    const b = await use(pool, 'tenant-b');
    await use(pool, 'tenant-a'); // A is now the most recently used
    const c = await use(pool, 'tenant-c');
    assert.equal(c.lease.start, 'spawn');
    assert.equal(b.lease.sandbox.alive, false, 'B (least recently used) was evicted');
    assert.equal(a.lease.sandbox.alive, true);
    assert.equal((await use(pool, 'tenant-a')).lease.start, 'warm');
  });

  it('makes callers wait in FIFO order while every sandbox is busy', async () => {
    const pool = makePool({ maxSandboxes: 1 });
    const held = await acquire(pool, 'tenant-a');
    const order: string[] = [];
    const b = acquire(pool, 'tenant-b').then((lease) => (order.push('b'), lease));
    const c = acquire(pool, 'tenant-c').then((lease) => (order.push('c'), lease));
    assert.equal(pool.stats().waiting, 2);
    assert.deepEqual(order, []);
    held.release(true);
    const bLease = await b;
    assert.equal(bLease.start, 'spawn');
    assert.equal(held.sandbox.alive, false);
    assert.deepEqual(order, ['b']);
    assert.equal(pool.stats().waiting, 1);
    bLease.release(false);
    const cLease = await c;
    assert.deepEqual(order, ['b', 'c']);
    assert.equal(bLease.sandbox.alive, false, 'release(false) destroys');
    cLease.release(true);
  });

  it('runs one execution at a time per sandbox', async () => {
    const pool = makePool();
    const [x, y] = await Promise.all([acquire(pool, 'acme'), acquire(pool, 'acme')]);
    assert.notEqual(x!.sandbox, y!.sandbox);
    x!.release(true);
    y!.release(true);
    assert.equal(pool.stats().idle, 2);
  });

  it('queues a queueable call in a busy warm sandbox whose runs are short, up to queueBehind', async () => {
    const pool = makePool({ queueBehind: 1, queueBehindMs: 60_000 });
    await use(pool, 'acme'); // gives the sandbox a run-time average
    const first = await acquire(pool, 'acme', { queueable: true });
    const running = first.sandbox.run(request(SLEEP, { tenant: 'acme', input: 200 }));
    const behind = await acquire(pool, 'acme', { queueable: true });
    assert.equal(behind.sandbox, first.sandbox, 'queued behind the run in progress');
    assert.equal(behind.start, 'warm');
    const queued = behind.sandbox.run(request(SLEEP, { tenant: 'acme', input: 1 }));
    assert.equal(pool.stats().queued, 1);
    const full = await acquire(pool, 'acme', { queueable: true });
    assert.notEqual(full.sandbox, first.sandbox, 'queueBehind 1: no second place in that queue');
    const exclusive = await acquire(pool, 'acme', { queueable: false });
    assert.notEqual(exclusive.sandbox, first.sandbox, 'a call that may not queue gets a sandbox of its own');
    const exclusiveRun = exclusive.sandbox.run(request(SLEEP, { tenant: 'acme', input: 200 }));
    const another = await acquire(pool, 'acme', { queueable: true });
    assert.notEqual(another.sandbox, exclusive.sandbox, 'nothing queues behind a call that may not queue (e.g. a job run)');
    another.release(true);
    assert.equal((await exclusiveRun).status, 'succeeded');
    assert.equal((await running).status, 'succeeded');
    first.release(true);
    assert.equal(pool.stats().busy, 3, 'the sandbox stays busy while a queued run is out');
    assert.equal((await queued).status, 'succeeded');
    behind.release(true);
    full.release(true);
    exclusive.release(true);
    // `another` queued behind the first sandbox when its runs had ended while `full` and
    // `exclusive` booted (a slow machine), else it got a sandbox of its own: every one is idle now.
    const sandboxes = new Set([first, full, exclusive, another].map((lease) => lease.sandbox)).size;
    assert.deepEqual({ idle: pool.stats().idle, busy: pool.stats().busy }, { idle: sandboxes, busy: 0 });
  });

  it('takes an idle sandbox while a core has no busy one, and queues once every core has one', async () => {
    const pool = makePool({ queueBehind: 3, queueBehindMs: 60_000, parallelism: 2 });
    // Two warm sandboxes of acme, each with a run-time average.
    const [x, y] = await Promise.all([acquire(pool, 'acme'), acquire(pool, 'acme')]);
    for (const lease of [x!, y!]) assert.equal((await lease.sandbox.run(request(SLEEP, { tenant: 'acme', input: 1 }))).status, 'succeeded');
    x!.release(true);
    y!.release(true);
    const first = await acquire(pool, 'acme', { queueable: true });
    const running = first.sandbox.run(request(SLEEP, { tenant: 'acme', input: 200 }));
    const second = await acquire(pool, 'acme', { queueable: true });
    assert.notEqual(second.sandbox, first.sandbox, 'one busy sandbox on two cores: the idle one runs the call side by side');
    assert.equal(second.start, 'warm');
    const secondRun = second.sandbox.run(request(SLEEP, { tenant: 'acme', input: 200 }));
    const third = await acquire(pool, 'acme', { queueable: true });
    assert.ok(third.sandbox === first.sandbox || third.sandbox === second.sandbox, 'both cores busy: the call queues');
    assert.equal(pool.stats().queued, 1);
    assert.equal(pool.stats().total, 2, 'no sandbox spawned for it');
    const queuedRun = third.sandbox.run(request(SLEEP, { tenant: 'acme', input: 1 }));
    const other = await acquire(pool, 'globex', { queueable: true });
    assert.ok(other.sandbox !== first.sandbox && other.sandbox !== second.sandbox, "another tenant's call never queues in acme's sandboxes");
    assert.equal(other.start, 'spawn');
    other.release(true);
    for (const [lease, run] of [[first, running], [second, secondRun], [third, queuedRun]] as const) {
      assert.equal((await run).status, 'succeeded');
      lease.release(true);
    }
    assert.deepEqual({ busy: pool.stats().busy, queued: pool.stats().queued }, { busy: 0, queued: 0 });
  });

  it('queues on a free core rather than wait for a spawn when no sandbox is ready', async () => {
    const pool = makePool({ queueBehind: 3, queueBehindMs: 60_000, parallelism: 4 });
    await use(pool, 'acme');
    const first = await acquire(pool, 'acme', { queueable: true });
    const running = first.sandbox.run(request(SLEEP, { tenant: 'acme', input: 200 }));
    const next = await acquire(pool, 'acme', { queueable: true });
    assert.equal(next.sandbox, first.sandbox, 'no idle or blank sandbox: a place in the queue, not a spawn');
    assert.equal(pool.stats().total, 1);
    const exclusive = await acquire(pool, 'acme', { queueable: false });
    assert.equal(exclusive.start, 'spawn', 'a call that may not queue still gets a sandbox of its own');
    exclusive.release(true);
    const queued = next.sandbox.run(request(SLEEP, { tenant: 'acme', input: 1 }));
    assert.equal((await running).status, 'succeeded');
    first.release(true);
    assert.equal((await queued).status, 'succeeded');
    next.release(true);
  });

  it('hands out no idle sandbox that still runs a run taken back from its queue', async () => {
    const pool = makePool({ queueBehind: 1, queueBehindMs: 60_000 });
    await use(pool, 'acme');
    const first = await acquire(pool, 'acme', { queueable: true });
    const running = first.sandbox.run(request(SPIN, { tenant: 'acme', input: 400 }));
    const behind = await acquire(pool, 'acme', { queueable: true });
    assert.equal(behind.sandbox, first.sandbox);
    assert.equal(behind.maxQueueWaitMs, 4 * 60_000, 'a queued lease says how long its run may wait');
    const takenBack = await behind.sandbox.run(request(SPIN, { tenant: 'acme', input: 300, maxQueueWaitMs: 50 }));
    assert.equal(takenBack.notStarted, true);
    behind.release(takenBack.reusable);
    assert.equal((await running).status, 'succeeded');
    first.release(true);
    // The harness was spinning when the run was taken back: it runs it now, unheard.
    assert.equal(first.sandbox.pending, 1);
    const other = await acquire(pool, 'acme');
    assert.notEqual(other.sandbox, first.sandbox);
    other.release(true);
    await waitFor('the run taken back to end', () => first.sandbox.pending === 0);
    const again = await acquire(pool, 'acme');
    assert.ok(again.sandbox === first.sandbox || again.sandbox === other.sandbox);
    assert.equal(again.start, 'warm');
    again.release(true);
  });

  it('does not queue a call behind a run that has gone on longer than queueBehindMs', async () => {
    const pool = makePool({ queueBehind: 3, queueBehindMs: 50 });
    await use(pool, 'acme');
    const first = await acquire(pool, 'acme', { queueable: true });
    const running = first.sandbox.run(request(SLEEP, { tenant: 'acme', input: 300 }));
    await waitFor('the run to pass queueBehindMs', () => first.sandbox.currentRunMs > 60);
    const next = await acquire(pool, 'acme', { queueable: true });
    assert.notEqual(next.sandbox, first.sandbox);
    assert.equal(next.start, 'spawn');
    next.release(true);
    assert.equal((await running).status, 'succeeded');
    first.release(true);
  });

  it('does not hand out a sandbox that died while idle', async () => {
    const pool = makePool();
    const first = await use(pool, 'acme');
    await first.lease.sandbox.destroy();
    const second = await use(pool, 'acme');
    assert.equal(second.lease.start, 'spawn');
    assert.notEqual(second.lease.sandbox, first.lease.sandbox);
  });

  it('close() destroys blank, idle and busy sandboxes and refuses new callers', async () => {
    const pool = makePool({ blankSize: 2 });
    await pool.warmUp();
    await use(pool, 'tenant-a');
    const busy = await acquire(pool, 'tenant-b');
    // Both blanks were taken: wait for the refill, so that a blank sandbox is there to destroy too.
    await waitFor('a blank sandbox refilled', () => pool.stats().blank >= 1);
    const waiting = makePool({ maxSandboxes: 1 });
    const holder = await acquire(waiting, 'x');
    const queued = assert.rejects(acquire(waiting, 'y'), { code: 'SHUTTING_DOWN' });
    const footprints = childSandboxFootprints();
    assert.ok(footprints.length >= 4);
    const closedAt = ticksSinceBoot();
    await Promise.all([pool.close(), waiting.close()]);
    await queued;
    assert.equal(busy.sandbox.alive, false);
    assert.equal(holder.sandbox.alive, false);
    for (const fp of footprints) assert.deepEqual(leftovers(fp, closedAt), []);
    assert.deepEqual(pool.stats(), { blank: 0, idle: 0, busy: 0, spawning: 0, waiting: 0, queued: 0, total: 0, evicted: 0, expired: 0, overworked: 0 });
    await assert.rejects(acquire(pool, 'tenant-a'), { code: 'SHUTTING_DOWN' });
  });
});
