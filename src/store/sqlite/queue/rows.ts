// Queue item rows ↔ QueueItem, and the JSON encoding of payloads, results and checkpoints
// (written with JSON.stringify and size checks, read with secure-json-parse).
import { parseJsonSafely, stringifyWithInput } from '../../../core/json.js';
import { AirlockError } from '../../../core/errors.js';
import type { ErrorCode } from '../../../core/errors.js';
import type { Lane, QueueError, QueueItem, QueueStatus } from '../../../queue/port.js';

export interface QueueItemRow {
  seq: number;
  id: string;
  tenant: string;
  function: string;
  lane: string;
  payload: string;
  idempotency_key: string | null;
  status: string;
  attempts: number;
  max_attempts: number;
  runs: number;
  fence: number;
  run_after: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  last_error: string | null;
  result: string | null;
  checkpoint: string | null;
  checkpoint_at: number | null;
  stalled_runs: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** JSON of the run in progress (queue/port.ts RunRecord); NULL when none. */
  run_record: string | null;
}

const parse = parseJsonSafely;

/**
 * JSON text of `value` (undefined is stored as null), at most `maxBytes` bytes. `what` names the
 * value in messages; `tooLarge` is the error code used when it is over the cap.
 */
export function encodeJson(value: unknown, what: string, maxBytes: number, tooLarge: ErrorCode): string {
  let json: string | undefined;
  try {
    json = stringifyWithInput(value === undefined ? null : value);
  } catch (err) {
    throw new AirlockError('VALIDATION_FAILED', `${what} is not JSON-serializable (${(err as Error).message}); send plain JSON values`);
  }
  if (json === undefined) {
    throw new AirlockError('VALIDATION_FAILED', `${what} is not JSON-serializable; send plain JSON values`);
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) {
    throw new AirlockError(tooLarge, `${what} is ${bytes} bytes of JSON, above the limit of ${maxBytes}; store less`, {
      bytes,
      limit: maxBytes,
    });
  }
  return json;
}

export function rowToItem(row: QueueItemRow): QueueItem {
  const item: QueueItem = {
    id: row.id,
    tenant: row.tenant,
    function: row.function,
    lane: row.lane as Lane,
    payload: undefined,
    status: row.status as QueueStatus,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runs: row.runs,
    stalledRuns: row.stalled_runs,
    fence: row.fence,
    runAfter: row.run_after,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  parseWhenRead(item, 'payload', row.payload);
  // Not enumerable: the item's fields, as compared and spread, stay what they were.
  Object.defineProperty(item, 'payloadJson', { value: row.payload, enumerable: false, writable: true, configurable: true });
  if (row.idempotency_key !== null) item.idempotencyKey = row.idempotency_key;
  if (row.started_at !== null) item.startedAt = row.started_at;
  if (row.finished_at !== null) item.finishedAt = row.finished_at;
  if (row.last_error !== null) item.lastError = parse(row.last_error) as QueueError;
  if (row.result !== null) parseWhenRead(item, 'result', row.result);
  if (row.checkpoint !== null) item.checkpoint = parse(row.checkpoint);
  if (row.checkpoint_at !== null) item.checkpointAt = row.checkpoint_at;
  if (row.lease_owner !== null) item.leaseOwner = row.lease_owner;
  if (row.lease_expires_at !== null) item.leaseExpiresAt = row.lease_expires_at;
  return item;
}

/**
 * The payload and the result are parsed the first time they are read: an enqueue answers with the
 * stored item, and its caller (a job submission) reads only the id; a job's completion answers
 * with the item too, and nothing reads its result there. So a multi-megabyte input or result is
 * not parsed back on the event loop for nothing. Reading it, spreading the item or serializing it
 * parses it once.
 */
function parseWhenRead(item: QueueItem, key: 'payload' | 'result', text: string): void {
  let parsed: { value: unknown } | undefined;
  Object.defineProperty(item, key, {
    enumerable: true,
    configurable: true,
    get: () => (parsed ??= { value: parse(text) }).value,
    set: (value: unknown) => {
      parsed = { value };
    },
  });
}
