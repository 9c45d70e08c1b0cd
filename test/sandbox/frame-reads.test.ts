// The order of a sandbox's frames when large done frames are read on the parser thread
// (src/sandbox/frame-reads.ts): small frames and frames of other kinds are read at once, a large
// done frame goes to the thread, the frames after it wait, and all come out in the order they
// came; a frame the thread could not read is a refused frame.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSandboxFrame } from '../../src/core/json-thread/sandbox-frame.js';
import type { ReadSandboxFrame, SandboxFrameReader } from '../../src/core/json-thread/parser.js';
import { OFF_THREAD_FRAME_BYTES, OrderedFrameReads } from '../../src/sandbox/frame-reads.js';
import type { FrameRead } from '../../src/sandbox/frame-reads.js';

/** A reader whose answers wait until the test releases them, one per frame, in order. */
class GatedReader implements SandboxFrameReader {
  readonly asked: { tenant: string; depth: number; bytes: number }[] = [];
  private readonly gates: { release: () => void; fail: (err: Error) => void }[] = [];

  readFrame(body: Buffer, tenant: string, maxResultDepth: number): Promise<ReadSandboxFrame> {
    this.asked.push({ tenant, depth: maxResultDepth, bytes: body.length });
    const read = readSandboxFrame(new Uint8Array(body), maxResultDepth);
    return new Promise((resolve, reject) => this.gates.push({ release: () => resolve(read), fail: reject }));
  }

  release(): void {
    this.gates.shift()!.release();
  }

  fail(err: Error): void {
    this.gates.shift()!.fail(err);
  }
}

const big = 'x'.repeat(OFF_THREAD_FRAME_BYTES);
const doneFrame = (id: string, result: unknown): Buffer =>
  Buffer.from(JSON.stringify({ t: 'done', id, ok: true, result, logs: [], logsTruncated: false }));
const logsFrame = (id: string, line: string): Buffer => Buffer.from(JSON.stringify({ t: 'logs', id, logs: [['info', line]] }));

/** What came out, in order: the frame's type and id, and whether its result came as checked text. */
function describeRead(read: FrameRead): string {
  if (!read.parsed.ok) return `refused: ${read.parsed.reason}`;
  const frame = read.parsed.value as { t: string; id?: string };
  return `${frame.t} ${frame.id ?? ''}${read.checked === undefined ? '' : ` (result text ${read.checked.json.length} chars)`}`;
}

/** `run: null`: no run in progress. */
function setUp(run: { tenant: string; maxResultDepth: number } | null = { tenant: 'acme', maxResultDepth: 64 }) {
  const reader = new GatedReader();
  const out: string[] = [];
  const paused: boolean[] = [];
  const state = { discard: false };
  const reads = new OrderedFrameReads({
    reader, run: () => run ?? undefined, deliver: (read) => out.push(describeRead(read)), pause: (on) => paused.push(on), discard: () => state.discard,
  });
  return { reader, out, reads, paused, state };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('ordered frame reads', () => {
  it('reads small frames, and large frames that are not done frames, at once', () => {
    const { reader, out, reads } = setUp();
    reads.push(logsFrame('ex1', 'small'));
    reads.push(logsFrame('ex1', big));
    reads.push(doneFrame('ex1', 'small result'));
    assert.deepEqual(out, ['logs ex1', 'logs ex1', 'done ex1']);
    assert.equal(reader.asked.length, 0);
    assert.equal(reads.reading, false);
  });

  it('holds the frames after a large done frame until the thread has read it, then hands all on in order', async () => {
    const { reader, out, reads, paused } = setUp();
    reads.push(logsFrame('ex1', 'before'));
    reads.push(doneFrame('ex1', { text: big }));
    reads.push(logsFrame('ex2', 'after'));
    reads.push(doneFrame('ex2', 'small'));
    assert.deepEqual(out, ['logs ex1']);
    assert.equal(reads.reading, true);
    assert.deepEqual(paused, [true], 'the channel stops reading while the thread holds a frame');
    assert.deepEqual(reader.asked.map((a) => [a.tenant, a.depth]), [['acme', 64]]);
    let idle = false;
    void reads.idle().then(() => (idle = true));
    await flush();
    assert.equal(idle, false, 'not idle while the thread holds a frame');
    reader.release();
    await flush();
    assert.deepEqual(out, ['logs ex1', `done ex1 (result text ${JSON.stringify({ text: big }).length} chars)`, 'logs ex2', 'done ex2']);
    assert.equal(idle, true);
    assert.equal(reads.reading, false);
    assert.deepEqual(paused, [true, false], 'and reads again once it is back');
  });

  it('keeps the order across two large done frames in a row', async () => {
    const { reader, out, reads } = setUp();
    reads.push(doneFrame('ex1', big));
    reads.push(doneFrame('ex2', big));
    reads.push(logsFrame('ex3', 'last'));
    reader.release();
    await flush();
    assert.deepEqual(out, [`done ex1 (result text ${big.length + 2} chars)`]);
    assert.equal(reads.reading, true, 'the second went to the thread, the logs frame waits behind it');
    reads.push(logsFrame('ex3', 'later still'));
    reader.release();
    await flush();
    assert.deepEqual(out.slice(1), [`done ex2 (result text ${big.length + 2} chars)`, 'logs ex3', 'logs ex3']);
  });

  it('hands on a frame the thread found malformed, or could not read, as refused', async () => {
    const { reader, out, reads } = setUp();
    reads.push(Buffer.concat([Buffer.from('{"t":"done"'), Buffer.from(big), Buffer.from('oops')]));
    reader.release();
    await flush();
    reads.push(doneFrame('ex2', big));
    reader.fail(new Error('it ran out of memory'));
    await flush();
    assert.equal(out.length, 2);
    assert.match(out[0]!, /^refused: malformed JSON/);
    assert.equal(out[1], 'refused: the host could not read it: it ran out of memory');
  });

  it('checks the rest of a large done frame as any frame: an extra field is refused', async () => {
    const { reader, out, reads } = setUp();
    reads.push(Buffer.from(JSON.stringify({ t: 'done', id: 'ex1', ok: true, result: big, logs: [], logsTruncated: false, extra: 1 })));
    reader.release();
    await flush();
    assert.deepEqual(out, ['refused: done frame has extra fields']);
  });

  it('drops frames unread once they are no longer wanted (a killed sandbox), those held behind a large one too', async () => {
    const { reader, out, reads, paused, state } = setUp();
    reads.push(doneFrame('ex1', big));
    reads.push(doneFrame('ex2', big));
    reads.push(logsFrame('ex3', 'after'));
    state.discard = true;
    reader.release();
    await flush();
    assert.deepEqual(out, [`done ex1 (result text ${big.length + 2} chars)`], 'the frame already with the thread comes back; nothing after it is read');
    assert.equal(reader.asked.length, 1);
    assert.deepEqual(paused, [true, false]);
  });

  it('reads everything at once with no run in progress or no thread', () => {
    const idle = setUp(null);
    idle.reads.push(doneFrame('ex1', big));
    assert.deepEqual(idle.out, ['done ex1']);
    assert.equal(idle.reader.asked.length, 0);
    const out: string[] = [];
    const unthreaded = new OrderedFrameReads({
      reader: undefined, run: () => ({ tenant: 'acme', maxResultDepth: 64 }), deliver: (read) => out.push(describeRead(read)), pause: () => assert.fail('nothing to wait for'), discard: () => false,
    });
    unthreaded.push(doneFrame('ex1', big));
    assert.deepEqual(out, ['done ex1']);
  });
});
