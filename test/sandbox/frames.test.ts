// Unit tests of the host-side frame codec and frame validation (no sandbox involved).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameDecoder, FrameError, encodeFrame } from '../../src/sandbox/frames.js';
import { parseUntrustedJson } from '../../src/core/json-text.js';
import { parseFrame } from '../../src/sandbox/inbound.js';
import { runFrameBody } from '../../src/sandbox/outbound.js';
import { request } from './support.js';

describe('frame codec', () => {
  it('round-trips frames split at every byte boundary', () => {
    const frames = [encodeFrame('{"t":"ready"}'), encodeFrame(JSON.stringify({ t: 'done', s: 'é€😀' }))];
    const wire = Buffer.concat(frames);
    for (let cut = 0; cut <= wire.length; cut++) {
      const decoder = new FrameDecoder(1024);
      const out = [...decoder.push(wire.subarray(0, cut)), ...decoder.push(wire.subarray(cut))];
      assert.deepEqual(out.map((b) => JSON.parse(b.toString('utf8'))), [{ t: 'ready' }, { t: 'done', s: 'é€😀' }]);
      assert.equal(decoder.pendingBytes, 0);
    }
  });

  it('rejects an oversized length prefix before any body arrives', () => {
    const decoder = new FrameDecoder(100);
    assert.throws(() => decoder.push(Buffer.from([0, 0, 0, 101])), FrameError);
    const huge = new FrameDecoder(100);
    assert.throws(() => huge.push(Buffer.from([0xff, 0xff, 0xff, 0xff])), /exceeds the cap of 100 bytes/);
  });

  it('accepts a frame of exactly the cap and an empty frame', () => {
    const decoder = new FrameDecoder(3);
    const out = decoder.push(Buffer.concat([encodeFrame('123'), encodeFrame('')]));
    assert.deepEqual(out.map(String), ['123', '']);
  });
});

describe('frame validation', () => {
  const body = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

  it('accepts ready, cancelled, fetch-abort, logs and well-formed done frames', () => {
    assert.deepEqual(parseFrame(body({ t: 'ready' })), { ok: true, value: { t: 'ready' } });
    assert.deepEqual(parseFrame(body({ t: 'fetch-abort', id: 'ex_1', rid: 3 })), { ok: true, value: { t: 'fetch-abort', id: 'ex_1', rid: 3 } });
    assert.deepEqual(parseFrame(body({ t: 'cancelled', id: 'ex_1' })), { ok: true, value: { t: 'cancelled', id: 'ex_1' } });
    const ok = parseFrame(body({ t: 'done', id: 'ex_1', ok: true, result: { a: [1] }, logs: [['info', 'x']], logsTruncated: false }));
    assert.ok(ok.ok && ok.value.t === 'done' && ok.value.ok && Object.hasOwn(ok.value, 'result'));
    const err = parseFrame(body({ t: 'done', id: 'ex_1', ok: false, error: { type: 'E', message: 'm', stack: 's' }, logs: [], logsTruncated: true }));
    assert.ok(err.ok);
    assert.deepEqual(parseFrame(body({ t: 'logs', id: 'ex_1', logs: [['warn', 'w'], ['stdout', 'o']] })), {
      ok: true,
      value: { t: 'logs', id: 'ex_1', logs: [['warn', 'w'], ['stdout', 'o']] },
    });
  });

  for (const [name, value] of [
    ['malformed JSON', '{"t":'],
    ['a non-object', '[1,2]'],
    ['an unknown type', { t: 'hello' }],
    ['a ready frame with extra fields', { t: 'ready', x: 1 }],
    ['a done frame without id', { t: 'done', ok: true, logs: [], logsTruncated: false }],
    ['a done frame with a non-boolean ok', { t: 'done', id: 'a', ok: 1, logs: [], logsTruncated: false }],
    ['a done frame with bad logs', { t: 'done', id: 'a', ok: true, logs: [['info', 1]], logsTruncated: false }],
    ['a done frame with an unknown level', { t: 'done', id: 'a', ok: true, logs: [['fatal', 'x']], logsTruncated: false }],
    ['a done frame with extra fields', { t: 'done', id: 'a', ok: true, logs: [], logsTruncated: false, status: 'succeeded' }],
    ['a logs frame without logs', { t: 'logs', id: 'a' }],
    ['a logs frame with extra fields', { t: 'logs', id: 'a', logs: [], ts: 1 }],
    ['a logs frame with a malformed entry', { t: 'logs', id: 'a', logs: [['info']] }],
    ['an error without message', { t: 'done', id: 'a', ok: false, error: { type: 'E' }, logs: [], logsTruncated: false }],
    ['a cancelled frame without id', { t: 'cancelled' }],
    ['a cancelled frame with extra fields', { t: 'cancelled', id: 'a', ok: true }],
    ['a fetch-abort frame without id', { t: 'fetch-abort', rid: 1 }],
    ['a fetch-abort frame with an oversized id', { t: 'fetch-abort', id: 'x'.repeat(257), rid: 1 }],
    ['a fetch-abort frame with a fractional rid', { t: 'fetch-abort', id: 'a', rid: 1.5 }],
    ['a fetch-abort frame with a negative rid', { t: 'fetch-abort', id: 'a', rid: -1 }],
    ['a fetch-abort frame with a rid beyond safe integers', { t: 'fetch-abort', id: 'a', rid: 2 ** 53 }],
    ['a fetch-abort frame with extra fields', { t: 'fetch-abort', id: 'a', rid: 1, reason: 'x' }],
  ] as [string, unknown][]) {
    it(`rejects ${name}`, () => {
      assert.equal(parseFrame(body(value)).ok, false);
    });
  }

  it('drops __proto__ and constructor.prototype keys', () => {
    const parsed = parseFrame(body('{"t":"done","id":"a","ok":true,"logs":[],"logsTruncated":false,"result":{"__proto__":{"x":1},"constructor":{"prototype":{"y":1}},"k":1}}'));
    assert.ok(parsed.ok && parsed.value.t === 'done' && parsed.value.ok);
    assert.deepEqual(Object.keys(parsed.value.result as object), ['k']);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});

describe('parseUntrustedJson', () => {
  it('drops __proto__ keys, also when spelled with escapes, and parses the rest', () => {
    for (const text of ['{"a":1,"__proto__":{"polluted":true}}', '{"a":1,"\\u005f_proto__":{"polluted":true}}', '{"a":1,"constructor":{"prototype":{"polluted":true}}}']) {
      const value = parseUntrustedJson(text) as Record<string, unknown>;
      assert.equal(value.a, 1);
      assert.equal(Object.hasOwn(value, '__proto__'), false, text);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(Object.getPrototypeOf(value), Object.prototype);
    }
  });

  it('parses ordinary text on the fast path with the same result as JSON.parse', () => {
    const text = '{"t":"done","id":"ex_1","ok":true,"result":{"n":[1,2.5,"é"]},"logs":[],"logsTruncated":false}';
    assert.deepEqual(parseUntrustedJson(text), JSON.parse(text));
    assert.throws(() => parseUntrustedJson('{"a":'), SyntaxError);
  });
});

describe('run frames', () => {
  it('make ctx.signal fire a tenth of the time limit before the deadline, at most 250 ms and at least 1 ms (README "Functions")', () => {
    const lead = (timeoutMs: number) => (JSON.parse(runFrameBody(request('export default () => 1', { timeoutMs }), false)) as { signalLeadMs: number }).signalLeadMs;
    assert.deepEqual([5, 100, 2_000, 2_500, 10_000, 600_000].map(lead), [1, 10, 200, 250, 250, 250]);
  });
});
