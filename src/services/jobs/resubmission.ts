// A submission whose idempotency key already names a job: a retry of the same request returns that
// job, but the same key sent with another input is a client's mistake (a key reused for new work),
// which would otherwise be answered with the old job and the new work never run. Inputs are
// compared as JSON values (key order aside); the stored one is read like a claimed payload, so a
// large input is split on the JSON thread, not parsed on the event loop, when the texts match.
import { isDeepStrictEqual } from 'node:util';
import type { InputBodyParser } from '../../core/json-thread/parser.js';
import { inputJsonOf } from '../../core/json.js';
import type { QueueItem } from '../../queue/port.js';
import { readClaimedPayload } from './payload-reader.js';

/** Whether `input` is the input `job` was submitted with. */
export async function sameInput(job: QueueItem, input: unknown, jsonThread: InputBodyParser | undefined): Promise<boolean> {
  const stored = inputJsonOf((await readClaimedPayload(job, jsonThread)).input);
  const sent = inputJsonOf(input);
  if (stored === sent) return true;
  // The same value written with its keys in another order is still a retry.
  return isDeepStrictEqual(JSON.parse(stored), JSON.parse(sent));
}
