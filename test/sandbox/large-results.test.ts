// Large results read on the server's parser thread (src/sandbox/frame-reads.ts), against the real
// bwrap sandbox and the real thread: the outcome is the one the event loop made of the same frame
// (the same JSON text, prototype keys dropped, the depth and size limits applied), frames after a
// large answer keep their order, and an answer that came in time counts even when the run's
// deadline passes, or its process exits, while the thread reads it.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { OffThreadInputParser } from '../../src/core/json-thread/parser.js';
import type { ReadSandboxFrame, SandboxFrameReader } from '../../src/core/json-thread/parser.js';
import { createIsolator } from '../../src/sandbox/index.js';
import { OFF_THREAD_FRAME_BYTES } from '../../src/sandbox/frame-reads.js';
import { FRAME_WRITER, Tracker, footprint, leftovers, request, sandboxConfig, waitFor } from './support.js';

const thread = new OffThreadInputParser({ maxDepth: 64, logger: { warn: () => {} } });

/** The real thread, whose answers wait for the test's word when `hold` is on. */
class HeldReader implements SandboxFrameReader {
  hold = false;
  readonly asked: number[] = [];
  private readonly waiting: (() => void)[] = [];

  async readFrame(body: Buffer, tenant: string, maxResultDepth: number): Promise<ReadSandboxFrame> {
    this.asked.push(body.length);
    const read = await thread.readFrame(body, tenant, maxResultDepth);
    if (this.hold) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return read;
  }

  releaseAll(): void {
    this.hold = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  get held(): number {
    return this.waiting.length;
  }
}

const reader = new HeldReader();
const threaded = new Tracker('bwrap', createIsolator(sandboxConfig('bwrap'), { frameReader: reader }));
const onLoop = new Tracker('bwrap', createIsolator(sandboxConfig('bwrap')));

/** Returns about `input.n` KiB of rows, with a key that would set a prototype and characters JSON escapes. */
const ROWS = `export default async (input) => {
  const rows = Array.from({ length: input.n * 20 }, (_, i) => ({ i, text: 'row ' + i + ' é"\\n\\u2028', big: 1e21 + i }));
  return Object.assign(JSON.parse('{"__proto__": {"polluted": true}}'), { rows });
};`;

describe('large results read on the parser thread (bwrap)', () => {
  after(async () => {
    reader.releaseAll();
    await threaded.cleanup();
    await onLoop.cleanup();
    await thread.close();
  });

  it('makes the same outcome of a large result as the event loop does, prototype keys dropped', async () => {
    const [a, b] = await Promise.all([threaded.spawn(), onLoop.spawn()]);
    const before = reader.asked.length;
    const [off, on] = await Promise.all([a.run(request(ROWS, { input: { n: 100 } })), b.run(request(ROWS, { input: { n: 100 } }))]);
    assert.equal(reader.asked.length, before + 1, 'the large done frame went to the thread');
    assert.ok(reader.asked.at(-1)! >= OFF_THREAD_FRAME_BYTES);
    assert.equal(off.status, 'succeeded', JSON.stringify(off.error));
    assert.equal(off.resultJson, on.resultJson, 'the same JSON text');
    assert.doesNotMatch(off.resultJson!, /__proto__|polluted/);
    const value = off.result as { rows: unknown[] };
    assert.deepEqual(value, on.result);
    assert.equal(Object.hasOwn(value, '__proto__'), false);
    assert.equal(value.rows.length, 2000);
    assert.equal(off.reusable, true);
  });

  it('applies the depth and size limits to a large result, as to any', async () => {
    const forge = (result: string) =>
      `${FRAME_WRITER}
      export default async (input, ctx) => {
        writeFrame(JSON.stringify({ t: 'done', id: ctx.executionId, ok: true, result: ${result}, logs: [], logsTruncated: false }));
        await new Promise(() => {});
      };`;
    const pad = `'x'.repeat(${OFF_THREAD_FRAME_BYTES})`;
    const deep = await (await threaded.spawn()).run(
      request(forge(`JSON.parse('['.repeat(20) + JSON.stringify(${pad}) + ']'.repeat(20))`), { maxResultDepth: 10 }),
    );
    assert.equal(deep.status, 'failed');
    assert.equal(deep.error?.type, 'ResultTooDeep');
    const sb = await threaded.spawn();
    const large = await sb.run(request(forge(`'x'.repeat(150 * 1024)`), { resultBytes: 100 * 1024 }));
    assert.equal(large.status, 'failed');
    assert.equal(large.error?.type, 'ResultTooLarge');
    assert.match(large.error?.message ?? '', /above the limit of 102400 bytes/);
    assert.equal(large.reusable, false, 'a sandbox that broke the size limit is not trusted any more');
  });

  it('keeps the order of runs queued behind a large answer', async () => {
    const sb = await threaded.spawn();
    const code = `export default async (input) => input.n ? { text: 'y'.repeat(input.n * 1024) } : { small: input.tag };`;
    const runs = [
      sb.run(request(code, { input: { n: 100 } })),
      sb.run(request(code, { input: { n: 0, tag: 'second' } })),
      sb.run(request(code, { input: { n: 80 } })),
      sb.run(request(code, { input: { n: 0, tag: 'fourth' } })),
    ];
    const out = await Promise.all(runs);
    assert.deepEqual(out.map((o) => o.status), ['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    assert.equal((out[0]!.result as { text: string }).text.length, 100 * 1024);
    assert.deepEqual(out[1]!.result, { small: 'second' });
    assert.equal((out[2]!.result as { text: string }).text.length, 80 * 1024);
    assert.deepEqual(out[3]!.result, { small: 'fourth' });
  });

  it('counts an answer that came before the deadline, however long the thread takes to read it', async () => {
    const sb = await threaded.spawn();
    reader.hold = true;
    const started = Date.now();
    const running = sb.run(request(`export default async () => ({ text: 'z'.repeat(100 * 1024) })`, { timeoutMs: 400 }));
    await waitFor('the answer to reach the thread', () => reader.held === 1);
    await waitFor("the run's deadline to pass", () => Date.now() > started + 700);
    reader.releaseAll();
    const outcome = await running;
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.equal((outcome.result as { text: string }).text.length, 100 * 1024);
    assert.ok(outcome.durationMs < 400, `the run's duration ends when its answer came, not after the thread's read (${outcome.durationMs} ms)`);
  });

  it('gives a run queued while a large answer is read nothing to run until it is back, and counts its time from then', async () => {
    const sb = await threaded.spawn();
    reader.hold = true;
    const first = sb.run(request(`export default async () => ({ text: 'q'.repeat(100 * 1024) })`, { timeoutMs: 5_000 }));
    await waitFor('the answer to reach the thread', () => reader.held === 1);
    // Queued now, a busy run of 1.2 s with a 400 ms limit: had the harness started it at once, it
    // would have run out the read's second and then finished within 400 ms of the host's start.
    const queued = sb.run(request(`export default async () => { const end = Date.now() + 1200; while (Date.now() < end); return 'late'; }`, { timeoutMs: 400 }));
    const heldSince = Date.now();
    await waitFor('a second to pass', () => Date.now() > heldSince + 1_000);
    reader.releaseAll();
    assert.equal((await first).status, 'succeeded');
    const outcome = await queued;
    assert.equal(outcome.status, 'timeout', JSON.stringify(outcome));
  });

  it("stops a sandbox at its run's deadline while a frame dressed as an answer is read, and ends the run timeout", async () => {
    const sb = await threaded.spawn();
    const fp = footprint(sb, 'bwrap');
    reader.hold = true;
    // JSON keeps the last of two keys: this reads as a logs frame, but it starts like an answer.
    const running = sb.run(
      request(
        `${FRAME_WRITER}
        export default async (input, ctx) => {
          writeFrame('{"t":"done"' + ' '.repeat(${OFF_THREAD_FRAME_BYTES}) + ',"t":"logs","id":' + JSON.stringify(ctx.executionId) + ',"logs":[]}');
          for (;;) {}
        };`,
        { timeoutMs: 400 },
      ),
    );
    await waitFor('the frame to reach the thread', () => reader.held === 1);
    await waitFor('the sandbox to be stopped at its deadline, with the frame still on the thread', () => leftovers(fp).length === 0, 5_000);
    assert.equal(reader.held, 1);
    reader.releaseAll();
    const outcome = await running;
    assert.equal(outcome.status, 'timeout', JSON.stringify(outcome));
    assert.equal(outcome.error?.type, 'Timeout');
  });

  it('counts an answer that came before its sandbox exited, though the thread read it after', async () => {
    const sb = await threaded.spawn();
    const fp = footprint(sb, 'bwrap');
    reader.hold = true;
    const running = sb.run(
      request(`export default async () => { setTimeout(() => process.exit(3), 50); return { text: 'w'.repeat(100 * 1024) }; };`),
    );
    await waitFor('the answer to reach the thread', () => reader.held === 1);
    await waitFor('the sandbox process to exit', () => leftovers(fp).length === 0);
    reader.releaseAll();
    const outcome = await running;
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.equal((outcome.result as { text: string }).text.length, 100 * 1024);
    await waitFor('the sandbox to know it ended', () => !sb.alive);
  });
});
