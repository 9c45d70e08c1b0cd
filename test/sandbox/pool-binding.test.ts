// The pool's binding of a sandbox to its tenant's cgroup: never inside the release of the call it
// follows, held while the pool keeps handing out blank sandboxes (a burst of first calls) and done
// once it is quiet or at the latest maxUnboundMs after the take, at once for a long first call,
// exactly once, and never for a closing sandbox.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TenantBinder } from '../../src/sandbox/pool-binding.js';
import type { Bindable, BindTiming } from '../../src/sandbox/pool-binding.js';
import type { Sandbox } from '../../src/sandbox/port.js';

interface Probe {
  entry: Bindable & { state: string };
  binds: string[];
}

function probe(state = 'busy'): Probe {
  const binds: string[] = [];
  const sandbox = { bindTenant: async (tenant: string) => void binds.push(tenant) } as unknown as Sandbox;
  return { entry: { sandbox, state, unboundTenant: null, bindTimer: undefined, takenAt: 0 }, binds };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function waitFor(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Long enough that a loaded machine's timer slack cannot fire the first-call bind in these tests. */
const NO_LONG_CALLS: BindTiming = { firstCallMs: 60_000, quietMs: 100, maxUnboundMs: 60_000 };

describe('pool binding', () => {
  it('binds after the pool is quiet, never synchronously inside the release', async () => {
    const binder = new TenantBinder(undefined, NO_LONG_CALLS);
    const { entry, binds } = probe();
    binder.taken(entry, 'acme');
    binder.released(entry); // the first call ended
    assert.deepEqual(binds, [], 'nothing moved synchronously with the release');
    await waitFor('the bind', () => binds.length > 0);
    assert.deepEqual(binds, ['acme']);
    binder.released(entry); // a later call of the same sandbox ended: already bound
    await sleep(NO_LONG_CALLS.quietMs * 2);
    assert.deepEqual(binds, ['acme'], 'bound once');
    binder.close();
  });

  it('holds the binds while blank sandboxes keep being taken, then binds them all', async () => {
    const binder = new TenantBinder(undefined, NO_LONG_CALLS);
    const first = probe();
    binder.taken(first.entry, 'acme');
    binder.released(first.entry);
    // A burst: another tenant's first call every quarter of the quiet period, for three periods.
    const others: Probe[] = [];
    let lastTake = performance.now();
    let widestGap = 0;
    for (let i = 0; i < 12; i++) {
      await sleep(NO_LONG_CALLS.quietMs / 4);
      const other = probe();
      binder.taken(other.entry, `t${i}`);
      widestGap = Math.max(widestGap, performance.now() - lastTake);
      lastTake = performance.now();
      binder.released(other.entry);
      others.push(other);
    }
    // A loaded machine can stall this loop for a whole quiet period, which is a quiet moment.
    if (widestGap < NO_LONG_CALLS.quietMs * 0.9) assert.deepEqual(first.binds, [], 'not bound during the burst');
    await waitFor('every bind after the burst', () => first.binds.length > 0 && others.every((o) => o.binds.length === 1));
    assert.deepEqual(first.binds, ['acme']);
    assert.deepEqual(others.map((o) => o.binds[0]), others.map((_, i) => `t${i}`));
    binder.close();
  });

  it('binds at the latest maxUnboundMs after the take, even if takes never stop', async () => {
    const timing: BindTiming = { firstCallMs: 60_000, quietMs: 10_000, maxUnboundMs: 150 };
    const binder = new TenantBinder(undefined, timing);
    const { entry, binds } = probe();
    binder.taken(entry, 'acme');
    binder.released(entry);
    const other = probe();
    const taking = setInterval(() => binder.taken(other.entry, 'beta'), 20); // never quiet
    try {
      await waitFor('the bind past maxUnboundMs', () => binds.length > 0);
      assert.deepEqual(binds, ['acme']);
    } finally {
      clearInterval(taking);
      binder.close();
    }
  });

  it('binds by the earliest take first, whatever order the calls ended in', async () => {
    const timing: BindTiming = { firstCallMs: 60_000, quietMs: 60_000, maxUnboundMs: 300 };
    const binder = new TenantBinder(undefined, timing);
    const early = probe();
    const late = probe();
    const order: string[] = [];
    early.entry.sandbox.bindTenant = async (t: string) => void order.push(t);
    late.entry.sandbox.bindTenant = async (t: string) => void order.push(t);
    binder.taken(early.entry, 'early');
    await sleep(200);
    binder.taken(late.entry, 'late');
    binder.released(late.entry); // the later take's call ends first
    binder.released(early.entry);
    await waitFor('both binds', () => order.length === 2);
    assert.deepEqual(order, ['early', 'late'], 'the early take is due 200 ms before the late one');
    binder.close();
  });

  it('binds a long first call without waiting for it to end', async () => {
    const binder = new TenantBinder(undefined, { firstCallMs: 30, quietMs: 60_000, maxUnboundMs: 60_000 });
    const { entry, binds } = probe();
    binder.taken(entry, 'acme'); // and never released
    await waitFor('the bind of the long call', () => binds.length > 0);
    assert.deepEqual(binds, ['acme']);
    binder.released(entry); // the call ends: nothing more
    await sleep(50);
    assert.deepEqual(binds, ['acme']);
    binder.close();
  });

  it('never binds a sandbox that is closing, nor after the pool closed', async () => {
    const binder = new TenantBinder(undefined, { firstCallMs: 30, quietMs: 10, maxUnboundMs: 60_000 });
    const closing = probe('closing');
    binder.taken(closing.entry, 'acme');
    binder.released(closing.entry);
    const open = probe();
    binder.taken(open.entry, 'beta');
    binder.released(open.entry);
    binder.close();
    await sleep(100);
    await turn();
    assert.deepEqual(closing.binds, []);
    assert.deepEqual(open.binds, [], 'the pool closed before the quiet moment');
  });
});
