// ctx.job of one job run, from the claimed queue item and its payload: which job (its id and
// idempotency key), which attempt of how many, what started it, when it was created and last
// retried. Data the host already shows on the job (GET /v1/tenants/{t}/jobs/{id}) and nothing
// else: no lease, fencing token or owner. Sent to the sandbox in the run frame (sandbox/outbound.ts).
import type { QueueItem } from '../../queue/port.js';
import type { JobInfo } from '../../runtime/protocol.js';
import { jobSource } from './payload.js';
import type { JobPayload } from './payload.js';

/**
 * `attempt` is 1-based: the claim already counted every failed attempt before this run (an expired
 * lease included), so this run is attempt `attempts + 1`; a continuation after a slice cap keeps
 * its number, and a retry in place (attempts back to 0) starts again at 1. When `attempt` equals
 * `maxAttempts`, a failure of this run makes the job dead.
 */
export function jobInfoOf(item: QueueItem, payload: JobPayload): JobInfo {
  const info: JobInfo = {
    id: item.id,
    attempt: item.attempts + 1,
    maxAttempts: item.maxAttempts,
    source: jobSource(payload, item),
    createdAt: item.createdAt,
  };
  if (item.idempotencyKey !== undefined) info.idempotencyKey = item.idempotencyKey;
  if (payload.retriedAt !== undefined) info.retriedAt = payload.retriedAt;
  return info;
}
