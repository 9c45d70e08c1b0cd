// A claimed job's payload: large ones split on the JSON thread (the input kept as its stored JSON
// text), small ones, and ones the thread cannot split, parsed on the event loop as before.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OffThreadInputParser } from '../../src/core/json-thread/parser.js';
import { SerializedInput, stringifyWithInput } from '../../src/core/json.js';
import { OFF_THREAD_BODY_BYTES } from '../../src/core/limits.js';
import type { QueueItem } from '../../src/queue/port.js';
import { readClaimedPayload } from '../../src/services/jobs/payload-reader.js';
import { readJobPayload } from '../../src/services/jobs/payload.js';
import { rejectsWith } from '../support/rejects.js';

const SOURCE = { kind: 'api' };

/** A queue item as the SQLite store reads one back: its payload parsed, and its JSON text. */
function stored(payload: unknown): QueueItem {
  const text = JSON.stringify(payload);
  return {
    id: 'qi_1', tenant: 'acme', function: 'sync', lane: 'background', payload: JSON.parse(text) as unknown, payloadJson: text,
    status: 'running', attempts: 0, maxAttempts: 3, runs: 1, stalledRuns: 0, fence: 1, runAfter: 0, createdAt: 0, updatedAt: 0,
  } as QueueItem;
}

describe('readClaimedPayload', () => {
  const thread = new OffThreadInputParser({ maxDepth: 64, logger: { warn: () => {} } });
  after(() => thread.close());
  const large = { rows: Array.from({ length: 3000 }, (_, i) => ({ i, text: `row ${i} é` })) };
  const payload = { input: large, version: 'v1', maxRunMs: 5000, deadlineAt: 99, source: SOURCE };

  it('splits a large payload on the thread: the input is its stored JSON text, the rest as stored', async () => {
    const item = stored(payload);
    assert.ok(item.payloadJson!.length >= OFF_THREAD_BODY_BYTES);
    const read = await readClaimedPayload(item, thread);
    assert.ok(read.input instanceof SerializedInput, 'the input is not parsed on the event loop');
    assert.equal(read.input.json, JSON.stringify(large));
    assert.deepEqual({ ...read, input: JSON.parse(read.input.json) as unknown }, readJobPayload(item.payload, item.id));
    // Written back (a retry, a continuation's payload) it is the same JSON.
    assert.deepEqual(JSON.parse(stringifyWithInput(read)!), JSON.parse(item.payloadJson!));
  });

  it('parses a small payload, one without a thread, and one stored before jobs had a source, on the event loop', async () => {
    const small = stored({ ...payload, input: { n: 1 } });
    assert.deepEqual(await readClaimedPayload(small, thread), readJobPayload(small.payload, small.id));
    const noThread = stored(payload);
    assert.deepEqual((await readClaimedPayload(noThread, undefined)).input, large);
    const legacy = stored({ input: large, maxRunMs: 5000, deadlineAt: 99 });
    assert.deepEqual((await readClaimedPayload(legacy, thread)).input, large);
  });

  it('refuses a large payload that is not a job payload as the event loop does (INTERNAL)', async () => {
    const item = stored({ input: large, maxRunMs: 'soon', deadlineAt: 99, source: SOURCE });
    await rejectsWith(readClaimedPayload(item, thread), 'INTERNAL');
  });
});
