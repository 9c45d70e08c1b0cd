// The pool's binding of a sandbox to its tenant's cgroup: never done inside the release of the
// call it follows (a new tenant's first bind creates its groups, milliseconds of kernel work
// that must not delay that call's answer), done exactly once, and skipped for a closing sandbox.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindNow, bindSoon } from '../../src/sandbox/pool-binding.js';
import type { Bindable } from '../../src/sandbox/pool-binding.js';
import type { Sandbox } from '../../src/sandbox/port.js';

function entry(state = 'busy'): { entry: Bindable; binds: string[] } {
  const binds: string[] = [];
  const sandbox = { bindTenant: async (tenant: string) => void binds.push(tenant) } as unknown as Sandbox;
  return { entry: { sandbox, state, unboundTenant: null, bindTimer: undefined }, binds };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('pool binding', () => {
  it('binds after the current turn of the event loop, not inside the release', async () => {
    const { entry: e, binds } = entry();
    bindSoon(e, 'acme', undefined);
    bindNow(e, undefined); // the first call ended
    assert.deepEqual(binds, [], 'nothing moved synchronously with the release');
    await turn();
    await turn();
    assert.deepEqual(binds, ['acme']);
    bindNow(e, undefined); // a later release: already bound
    await turn();
    await turn();
    assert.deepEqual(binds, ['acme'], 'bound once');
  });

  it('binds on its own after the delay when the first call runs long', async () => {
    const { entry: e, binds } = entry();
    bindSoon(e, 'acme', undefined);
    const deadline = Date.now() + 5_000;
    while (binds.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(binds, ['acme']);
  });

  it('never binds a sandbox that is closing', async () => {
    const { entry: e, binds } = entry('closing');
    bindSoon(e, 'acme', undefined);
    bindNow(e, undefined);
    await turn();
    await turn();
    assert.deepEqual(binds, []);
  });
});
