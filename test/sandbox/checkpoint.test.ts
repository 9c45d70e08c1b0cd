// ctx.checkpoint through a real bwrap sandbox at the sandbox layer: get() starts from the state
// the run frame carries, save() resolves only after the host's sink stored the state (in call
// order, one at a time) and get() then returns it; a sink refusal (stale lease) rejects the save
// with its code; runs that are not job runs have no ctx.checkpoint; hostile checkpoint frames
// destroy the sandbox.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AirlockError } from '../../src/core/errors.js';
import type { CheckpointSink } from '../../src/sandbox/port.js';
import { FRAME_WRITER, Tracker, request } from './support.js';

function memorySink(initial?: unknown, maxBytes = 1024): CheckpointSink & { saved: unknown[]; refuse: boolean } {
  const sink = {
    saved: [] as unknown[],
    refuse: false,
    maxBytes,
    async save(state: unknown): Promise<number> {
      await new Promise((resolve) => setImmediate(resolve)); // stored asynchronously, like the queue
      if (sink.refuse) throw new AirlockError('LEASE_LOST', 'the lease on this job is no longer held');
      sink.saved.push(state);
      return 1_700_000_000_000 + sink.saved.length;
    },
    ...(initial === undefined ? {} : { stateJson: JSON.stringify(initial) }),
  };
  return sink;
}

describe('ctx.checkpoint in a bwrap sandbox', () => {
  let tracker: Tracker;
  before(() => {
    tracker = new Tracker('bwrap');
  });
  after(() => tracker.cleanup());

  it('get() starts from the carried state; save() resolves once stored, in order; get() follows', async () => {
    const sb = await tracker.spawn();
    const code = `export default async (input, ctx) => {
      const first = ctx.checkpoint.get();
      const a = ctx.checkpoint.save({ n: first.n + 1 });
      const b = ctx.checkpoint.save({ n: first.n + 2 });
      await Promise.all([a, b]);
      const after = ctx.checkpoint.get();
      after.n = 999; // a copy: changing it changes nothing stored
      return { first, last: ctx.checkpoint.get() };
    };`;
    const sink = memorySink({ n: 40 });
    const outcome = await sb.run({ ...request(code), checkpoint: sink });
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, { first: { n: 40 }, last: { n: 42 } });
    assert.deepEqual(sink.saved, [{ n: 41 }, { n: 42 }]);
  });

  it('a refused save rejects with the sink\'s code and get() keeps the last stored state', async () => {
    const sb = await tracker.spawn();
    const code = `export default async (input, ctx) => {
      await ctx.checkpoint.save({ step: 1 });
      try { await ctx.checkpoint.save({ step: 2 }); return 'saved'; }
      catch (err) { return { code: err.code, state: ctx.checkpoint.get() }; }
    };`;
    const sink = memorySink();
    const realSave = sink.save.bind(sink);
    sink.save = async (state) => {
      const at = await realSave(state);
      sink.refuse = true; // the lease is lost after the first save
      return at;
    };
    const outcome = await sb.run({ ...request(code), checkpoint: sink });
    assert.deepEqual(outcome.result, { code: 'LEASE_LOST', state: { step: 1 } });
    assert.deepEqual(sink.saved, [{ step: 1 }]);
  });

  it('an oversized state is refused inside the sandbox and never reaches the host', async () => {
    const sb = await tracker.spawn();
    const code = `export default async (input, ctx) => {
      try { await ctx.checkpoint.save({ blob: 'x'.repeat(5000) }); return 'saved'; } catch (err) { return err.code; }
    };`;
    const sink = memorySink(undefined, 1024);
    const outcome = await sb.run({ ...request(code), checkpoint: sink });
    assert.equal(outcome.result, 'CHECKPOINT_TOO_LARGE');
    assert.deepEqual(sink.saved, []);
  });

  it('a state holding a function, a symbol, a bigint or a cycle is refused, naming where, like a result', async () => {
    const sb = await tracker.spawn();
    const code = `export default async (input, ctx) => {
      const tries = [{ seen: [1, () => 2] }, { n: 1n }, { s: Symbol('x') }, (() => { const a = { b: {} }; a.b.up = a; return a; })()];
      const out = [];
      for (const state of tries) {
        try { await ctx.checkpoint.save(state); out.push('saved'); } catch (err) { out.push(err.code + ': ' + err.message); }
      }
      return out;
    };`;
    const sink = memorySink();
    const outcome = await sb.run({ ...request(code), checkpoint: sink });
    const said = outcome.result as string[];
    assert.match(said[0]!, /^CHECKPOINT_INVALID: the checkpoint is not JSON-serializable: state\.seen\[1\] is a function, which JSON cannot represent; save plain objects/);
    assert.match(said[1]!, /^CHECKPOINT_INVALID: .*state\.n is a bigint/);
    assert.match(said[2]!, /^CHECKPOINT_INVALID: .*state\.s is a symbol/);
    assert.match(said[3]!, /^CHECKPOINT_INVALID: .*state\.b\.up refers back to an object that contains it/);
    assert.match(said[0]!, /\[\.\.\.set\] for a Set, Object\.fromEntries\(map\) for a Map/);
    assert.deepEqual(sink.saved, [], 'nothing reached the host');
  });

  it('runs that are not job runs have no ctx.checkpoint', async () => {
    const sb = await tracker.spawn();
    const code = `export default async (input, ctx) => typeof ctx.checkpoint;`;
    const outcome = await sb.run(request(code));
    assert.equal(outcome.result, 'undefined');
  });

  const hostile: [string, (id: string) => string, boolean][] = [
    ['outside a job run', (id) => `{"t":"checkpoint","id":"${id}","rid":1,"state":1}`, false],
    ['for another execution', () => `{"t":"checkpoint","id":"ex_other","rid":1,"state":1}`, true],
    ['without a state', (id) => `{"t":"checkpoint","id":"${id}","rid":1}`, true],
    ['with a bad rid', (id) => `{"t":"checkpoint","id":"${id}","rid":-3,"state":1}`, true],
    ['with extra fields', (id) => `{"t":"checkpoint","id":"${id}","rid":1,"state":1,"fence":99}`, true],
    ['above the size cap', (id) => `{"t":"checkpoint","id":"${id}","rid":1,"state":"${'y'.repeat(4096)}"}`, true],
  ];
  for (const [name, frame, job] of hostile) {
    it(`a checkpoint frame ${name} destroys the sandbox and stores nothing`, async () => {
      const sb = await tracker.spawn();
      const req = request('');
      const code = `${FRAME_WRITER}\nexport default async (input, ctx) => { writeFrame(${JSON.stringify(frame(req.executionId))}); await new Promise(() => {}); };`;
      const sink = memorySink(undefined, 1024);
      const outcome = await sb.run({ ...request(code), executionId: req.executionId, ...(job ? { checkpoint: sink } : {}) });
      assert.equal(outcome.status, 'killed', JSON.stringify(outcome));
      assert.equal(outcome.error?.type, 'SandboxProtocolError');
      assert.equal(sb.alive, false);
      assert.deepEqual(sink.saved, []);
    });
  }
});
