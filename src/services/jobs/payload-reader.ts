// A claimed job's payload as its slice reads it: a large stored payload is split on the JSON
// thread (core/json-thread/), so its input reaches the sandbox as the stored JSON text and is
// never parsed or serialized again on the event loop; a small one, or one the thread cannot split
// (the thread stopping, a payload stored before jobs recorded their source), is parsed here.
import { OFF_THREAD_BODY_BYTES } from '../../core/limits.js';
import type { InputBodyParser } from '../../core/json-thread/parser.js';
import { serializedInputOf } from '../../core/json-thread/split.js';
import type { QueueItem } from '../../queue/port.js';
import { readJobPayload } from './payload.js';
import type { JobPayload } from './payload.js';

export async function readClaimedPayload(item: QueueItem, jsonThread: InputBodyParser | undefined): Promise<JobPayload> {
  const text = item.payloadJson;
  if (jsonThread === undefined || text === undefined || text.length < OFF_THREAD_BODY_BYTES) return readJobPayload(item.payload, item.id);
  const split = await jsonThread.parse(text, item.tenant).catch(() => undefined);
  // The input of a payload without a source may name its producer (legacyJobSource reads it).
  if (split?.kind !== 'object' || split.input === undefined || split.input.problem !== undefined || split.rest.source === undefined) {
    return readJobPayload(item.payload, item.id);
  }
  return readJobPayload({ ...split.rest, input: serializedInputOf(split.input) }, item.id);
}
