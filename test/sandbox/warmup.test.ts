// A sandbox's warm-up before ready (runtime/harness/warmup.ts) is the platform's own business: at
// every level the host can ask for, the first real run of the sandbox logs, fails and succeeds as
// any later run does, and nothing of the warm-up's own runs (their log line, their error) shows.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { helloFrame } from '../../src/sandbox/outbound.js';
import type { Warmup } from '../../src/runtime/protocol.js';
import { Tracker, request } from './support.js';

const LOG_AND_THROW = `export default async (input) => {
  console.log({ first: input });
  if (input === 'fail') throw new Error('first-run failure');
  return { ok: input };
};`;

describe('warm-up levels (bwrap)', () => {
  const tracker = new Tracker('bwrap');
  after(() => tracker.cleanup());

  it('puts the level on the hello frame', () => {
    for (const level of ['full', 'loader', 'none'] as const) {
      const frame = helloFrame(level);
      assert.equal(frame.readUInt32BE(0), frame.length - 4, 'one whole frame');
      assert.deepEqual(JSON.parse(frame.subarray(4).toString()), { t: 'hello', warmup: level });
    }
  });

  for (const level of ['full', 'loader', 'none'] as const satisfies readonly Warmup[]) {
    it(`${level}: the first run logs and fails as its own, with nothing of the warm-up in it`, async () => {
      const sb = await tracker.spawn(64, { warmup: level });
      const failed = await sb.run(request(LOG_AND_THROW, { input: 'fail' }));
      assert.equal(failed.status, 'failed', JSON.stringify(failed));
      assert.equal(failed.error?.message, 'first-run failure');
      assert.match(failed.error?.stack ?? '', /file:\/\/\/fn\//, 'stack names the function');
      assert.doesNotMatch(failed.error?.stack ?? '', /warm/);
      assert.deepEqual(failed.logs.map((l) => [l.level, l.msg]), [['info', "{ first: 'fail' }"]]);
      const ok = await sb.run(request(LOG_AND_THROW, { input: 'again' }));
      assert.equal(ok.status, 'succeeded', JSON.stringify(ok));
      assert.deepEqual(ok.result, { ok: 'again' });
      assert.deepEqual(ok.logs.map((l) => l.msg), ["{ first: 'again' }"]);
    });
  }
});
