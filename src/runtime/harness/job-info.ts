// ctx.job of a job run: a frozen copy of the run frame's `jobInfo`, built field by field from
// the values the host sent (strings and numbers only, nothing else carried over), so it holds
// exactly the documented members and tenant code can change none of them. Runs that are not job
// runs (invocations) have no ctx.job.
import type { JobInfo, JobSourceInfo } from '../protocol.js';
import { freeze, numberOf, stringOf } from './primordials.js';

function sourceOf(raw: JobSourceInfo | undefined): Readonly<JobSourceInfo> {
  if (raw?.kind === 'webhook') return freeze({ kind: 'webhook', deliveryId: stringOf(raw.deliveryId) });
  if (raw?.kind === 'schedule') return freeze({ kind: 'schedule', schedule: stringOf(raw.schedule), occurrenceAt: numberOf(raw.occurrenceAt) });
  return freeze({ kind: 'api' });
}

/** ctx.job for a run frame's `jobInfo`; undefined when the frame has none. */
export function jobInfoOf(raw: JobInfo | undefined): Readonly<JobInfo> | undefined {
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined;
  const job: JobInfo = {
    id: stringOf(raw.id),
    attempt: numberOf(raw.attempt),
    maxAttempts: numberOf(raw.maxAttempts),
    ...(typeof raw.idempotencyKey === 'string' ? { idempotencyKey: raw.idempotencyKey } : {}),
    source: sourceOf(raw.source),
    createdAt: numberOf(raw.createdAt),
    ...(typeof raw.retriedAt === 'number' ? { retriedAt: raw.retriedAt } : {}),
  };
  return freeze(job);
}
