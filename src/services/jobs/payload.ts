// What a job stores in its queue item's payload: the function's input, the job's own bounds
// (slice length, total deadline) and what started it. Written by JobService.submit, read back by
// every slice. Other producers of background work (webhook deliveries, schedules) enqueue the same
// shape, so the same worker runs them.
import { AirlockError } from '../../core/errors.js';
import { legacyJobSource, readJobSource } from './source.js';
import type { JobSource } from './source.js';
import { isRecord } from '../../core/json.js';

export interface JobPayload {
  /** The function's input (a JSON value). */
  input: unknown;
  /** The function version every slice runs (the latest at submission); absent: the latest at each run. */
  version?: string;
  /** Slice cap of every run of this job, ms. */
  maxRunMs: number;
  /** Epoch ms after which the job fails with JOB_DEADLINE instead of running again. */
  deadlineAt: number;
  /**
   * Epoch ms its deadline was counted from at submission (the queue item's createdAt is taken
   * by the store a moment later); absent on jobs stored before it was kept.
   */
  submittedAt?: number;
  /** Epoch ms of the job's last retry (its deadline counts from then); absent: never retried. */
  retriedAt?: number;
  /** What started the job; absent on jobs stored before sources were (see jobSource). */
  source?: JobSource;
}

/** Reads a job payload back from a queue item; INTERNAL when it is not one (never written by us). */
export function readJobPayload(payload: unknown, id: string): JobPayload {
  if (
    !isRecord(payload) ||
    typeof payload.maxRunMs !== 'number' ||
    !Number.isSafeInteger(payload.maxRunMs) ||
    payload.maxRunMs < 1 ||
    typeof payload.deadlineAt !== 'number' ||
    !Number.isSafeInteger(payload.deadlineAt) ||
    (payload.version !== undefined && typeof payload.version !== 'string') ||
    (payload.retriedAt !== undefined && !Number.isSafeInteger(payload.retriedAt)) ||
    (payload.submittedAt !== undefined && !Number.isSafeInteger(payload.submittedAt)) ||
    (payload.source !== undefined && readJobSource(payload.source) === undefined)
  ) {
    throw new AirlockError('INTERNAL', `queue item ${id} does not hold a job payload ({input, maxRunMs, deadlineAt})`);
  }
  const job: JobPayload = { input: payload.input ?? null, maxRunMs: payload.maxRunMs, deadlineAt: payload.deadlineAt };
  if (typeof payload.version === 'string') job.version = payload.version;
  if (typeof payload.retriedAt === 'number') job.retriedAt = payload.retriedAt;
  if (typeof payload.submittedAt === 'number') job.submittedAt = payload.submittedAt;
  const source = readJobSource(payload.source);
  if (source !== undefined) job.source = source;
  return job;
}

/** What started the job: its stored source, or for a job stored before sources were, its producer's key says. */
export function jobSource(payload: JobPayload, item: { idempotencyKey?: string }): JobSource {
  return payload.source ?? legacyJobSource(item.idempotencyKey, payload.input);
}

/** Where a job's total deadline counts from: its last retry, else its submission. */
export function deadlineStart(payload: JobPayload, item: { createdAt: number }): { at: number; event: 'submitted' | 'retried' } {
  if (payload.retriedAt !== undefined) return { at: payload.retriedAt, event: 'retried' };
  return { at: payload.submittedAt ?? item.createdAt, event: 'submitted' };
}
