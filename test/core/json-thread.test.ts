// The request-body parser thread on its own: it parses on another thread, refuses like the event
// loop does, takes tenants in turn, survives the death of its thread, and stops on close.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { threadId } from 'node:worker_threads';
import { OffThreadInputParser } from '../../src/core/json-thread/parser.js';
import { splitInputBody } from '../../src/core/json-thread/split.js';
import { decodeJsonBytes, parseJsonText } from '../../src/core/json-text.js';
import { AirlockError } from '../../src/core/errors.js';
import { rejectsWith } from '../support/rejects.js';

const quiet = { warn: () => {} };

/** What the event loop makes of the same bytes: the split body, or the refusal's code and message. */
function onEventLoop(bytes: Buffer, maxDepth: number): unknown {
  try {
    return splitInputBody(parseJsonText(decodeJsonBytes(bytes)), maxDepth);
  } catch (err) {
    return { code: (err as AirlockError).code, message: (err as AirlockError).message };
  }
}

async function onThread(parser: OffThreadInputParser, bytes: Buffer): Promise<unknown> {
  try {
    const { threadId: _thread, ...body } = await parser.parse(Buffer.from(bytes), 'acme');
    return body;
  } catch (err) {
    return { code: (err as AirlockError).code, message: (err as AirlockError).message };
  }
}

describe('the request-body parser thread', () => {
  it('parses on a thread other than the event loop, and splits the input off serialized', async () => {
    const parser = new OffThreadInputParser({ maxDepth: 4, logger: quiet });
    try {
      const parsed = await parser.parse(Buffer.from('{"input": {"a": [1, 2]}, "version": "abc"}'), 'acme');
      assert.notEqual(parsed.threadId, threadId);
      assert.deepEqual(parsed, { kind: 'object', rest: { version: 'abc' }, input: { json: '{"a":[1,2]}', bytes: 11 }, threadId: parsed.threadId });
    } finally {
      await parser.close();
    }
  });

  it('answers every body as the event loop would', async () => {
    const parser = new OffThreadInputParser({ maxDepth: 3, logger: quiet });
    const bodies = [
      '{"input": "é\u2028"}',
      '{"input": [[[1]]]}',
      '{"input": [[[[1]]]]}',
      '{"input": {"n": [1, -1e400]}}',
      '{"input": 1, "__proto__": {"x": 1}}',
      '{"a": {"constructor": {"prototype": 1}}}',
      '{"input": 1,}',
      '\ufeff{"input": 2}',
      '[{"input": 1}]',
      '42',
      'true',
      '"s"',
      'null',
    ].map((t) => Buffer.from(t));
    bodies.push(Buffer.from([0x7b, 0xff, 0x7d]));
    try {
      for (const bytes of bodies) assert.deepEqual(await onThread(parser, bytes), onEventLoop(bytes, 3), bytes.toString('latin1'));
    } finally {
      await parser.close();
    }
  });

  it('takes tenants in turn: a body behind another tenant\'s backlog waits for one body, not the backlog', async () => {
    const parser = new OffThreadInputParser({ maxDepth: 4, logger: quiet });
    const order: string[] = [];
    const body = (label: string) => Buffer.from(JSON.stringify({ input: label }));
    try {
      const sent = [
        ...['a1', 'a2', 'a3', 'a4'].map((label) => ({ label, tenant: 'heavy' })),
        { label: 'b1', tenant: 'quiet' },
        { label: 'c1', tenant: 'other' },
        { label: 'b2', tenant: 'quiet' },
      ].map(({ label, tenant }) => parser.parse(body(label), tenant).then(() => order.push(label)));
      await Promise.all(sent);
      // a1 was with the thread already; then each tenant in turn.
      assert.deepEqual(order, ['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
    } finally {
      await parser.close();
    }
  });

  it('fails the body its thread held when the thread dies, and reads the others on a new thread', async () => {
    const warnings: unknown[] = [];
    // A thread with room for a few MiB of heap: a body of a million empty arrays needs far more.
    const parser = new OffThreadInputParser({ maxDepth: 4, logger: { warn: (o: unknown) => warnings.push(o) }, resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } });
    try {
      const bomb = Buffer.from(`{"input": [${'[],'.repeat(1_000_000)}[]]}`);
      const killing = parser.parse(bomb, 'heavy');
      const behind = parser.parse(Buffer.from('{"input": 1}'), 'quiet');
      const err = await rejectsWith(killing, 'INTERNAL');
      assert.match(err.message, /request-body parser stopped while reading this body \(it ran out of memory\)/);
      const next = await behind;
      assert.deepEqual(next.kind === 'object' ? next.input : undefined, { json: '1', bytes: 1 });
      assert.equal(warnings.length, 1);
    } finally {
      await parser.close();
    }
  });

  it('refuses bodies once closed', async () => {
    const parser = new OffThreadInputParser({ maxDepth: 4, logger: quiet });
    await parser.parse(Buffer.from('{}'), 'acme');
    await parser.close();
    await assert.rejects(parser.parse(Buffer.from('{}'), 'acme'), (err: unknown) => err instanceof AirlockError && err.code === 'SHUTTING_DOWN');
  });
});
