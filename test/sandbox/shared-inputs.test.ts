// Launch inputs that come with every launch travel to the spawner process once: the server side
// sends each ahead of its first launch and names it by number after, the spawner side puts the
// bytes back, a new spawner gets everything again, and the number of inputs kept is bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_SHARED_INPUTS, SharedInputs, SpawnerInputs } from '../../src/sandbox/launch/shared-inputs.js';
import type { LaunchRequest } from '../../src/sandbox/launch/types.js';

const harness = Buffer.from('the harness, about 50 KiB in real life');
const filter = Buffer.from([0x20, 0, 0, 0, 4, 0, 0, 0]);

function launch(args: string): LaunchRequest {
  return {
    file: '/usr/bin/bwrap', args: ['--args', '4'], cwd: '/', pipes: 8, collect: [6],
    inputs: [
      { fd: 4, data: Buffer.from(args) },
      { fd: 5, data: harness, reused: true },
      { fd: 7, data: filter, reused: true },
    ],
  };
}

describe('shared launch inputs', () => {
  it('sends a reused input once, ahead of its first launch, and the spawner restores every launch whole', () => {
    const server = new SharedInputs();
    const spawner = new SpawnerInputs();
    const first = server.wire(launch('--unshare-all\0'));
    assert.deepEqual(first.ahead.map((m) => [m.key, m.data]), [[1, harness], [2, filter]]);
    assert.deepEqual(first.req.inputs, [{ fd: 4, data: Buffer.from('--unshare-all\0') }, { fd: 5, key: 1 }, { fd: 7, key: 2 }]);
    for (const m of first.ahead) spawner.keep(m);
    const second = server.wire(launch('--die-with-parent\0'));
    assert.deepEqual(second.ahead, [], 'nothing is sent twice');
    assert.deepEqual(second.req.inputs.slice(1), [{ fd: 5, key: 1 }, { fd: 7, key: 2 }]);
    for (const [wire, args] of [[first.req, '--unshare-all\0'], [second.req, '--die-with-parent\0']] as const) {
      const restored = spawner.resolve(wire);
      assert.deepEqual(restored.inputs, [{ fd: 4, data: Buffer.from(args) }, { fd: 5, data: harness }, { fd: 7, data: filter }]);
      assert.deepEqual({ ...restored, inputs: [] }, { ...launch(args), inputs: [] }, 'the rest of the launch travels as it was');
    }
  });

  it('sends everything again to a new spawner', () => {
    const server = new SharedInputs();
    server.wire(launch('a'));
    server.reset();
    const again = server.wire(launch('b'));
    assert.equal(again.ahead.length, 2);
    assert.throws(() => new SpawnerInputs().resolve(server.wire(launch('c')).req), /launch input 1 for fd 5 was never received/);
  });

  it('keeps at most MAX_SHARED_INPUTS inputs; past that they travel with each launch', () => {
    const server = new SharedInputs();
    const distinct = Array.from({ length: MAX_SHARED_INPUTS + 3 }, (_, i) => Buffer.from(`input ${i}`));
    let ahead = 0;
    for (const data of distinct) ahead += server.wire({ ...launch('x'), inputs: [{ fd: 5, data, reused: true }] }).ahead.length;
    assert.equal(ahead, MAX_SHARED_INPUTS);
    const late = server.wire({ ...launch('x'), inputs: [{ fd: 5, data: distinct.at(-1)!, reused: true }] });
    assert.deepEqual(late, { ahead: [], req: { ...launch('x'), inputs: [{ fd: 5, data: distinct.at(-1)! }] } });
  });
});
