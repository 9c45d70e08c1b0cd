// Submissions the queue refused because their tenant already held AIRLOCK_QUEUE_TENANT_BACKLOG
// unfinished items (TENANT_BACKLOG_FULL), counted by where they came from (api: a job submission,
// webhook: a delivery, schedule: an occurrence) in airlock_queue_refused_total{reason="backlog"}.
import { isAirlockError } from '../../core/errors.js';
import type { JobSource } from './source.js';

export type RefusedSource = JobSource['kind'];
export const REFUSED_SOURCES: readonly RefusedSource[] = ['api', 'webhook', 'schedule'];

export interface BacklogRefusalMetrics {
  recordBacklogRefusal(source: RefusedSource): void;
}

/** True when `err` is the backlog cap's refusal. */
export function isBacklogFull(err: unknown): boolean {
  return isAirlockError(err) && err.code === 'TENANT_BACKLOG_FULL';
}

/** Counts `err` when it is the backlog cap's refusal of a submission from `source`. */
export function countBacklogRefusal(err: unknown, source: RefusedSource, metrics: BacklogRefusalMetrics | undefined): void {
  if (isBacklogFull(err)) metrics?.recordBacklogRefusal(source);
}
