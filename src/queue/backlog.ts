// The per-tenant backlog cap of the queue (AIRLOCK_QUEUE_TENANT_BACKLOG): the refusal every
// QueueStore implementation answers an enqueue with when the tenant already holds that many
// unfinished items (queued, waiting to retry or continue, running). Nothing is stored.
import { AirlockError } from '../core/errors.js';

/**
 * Retry-After of a refusal. A backlog drains at the speed of the tenant's runs, so a sender that
 * comes back sooner mostly finds it still full; webhook providers retry on their own schedule.
 */
export const TENANT_BACKLOG_RETRY_AFTER_SECONDS = 30;

/** True when a tenant holding `backlog` unfinished items may not add one more under `limit` (0: no cap). */
export function backlogIsFull(backlog: number, limit: number): boolean {
  return limit > 0 && backlog >= limit;
}

export function tenantBacklogFull(tenant: string, backlog: number, limit: number): AirlockError {
  return new AirlockError(
    'TENANT_BACKLOG_FULL',
    `tenant ${tenant} already has ${backlog} unfinished queue items (jobs, webhook deliveries and scheduled runs ` +
      `queued, waiting to retry or running), the most AIRLOCK_QUEUE_TENANT_BACKLOG allows (${limit}); nothing was stored. ` +
      `Send it again after ${TENANT_BACKLOG_RETRY_AFTER_SECONDS} s (the Retry-After header), once the backlog has drained: ` +
      `cancel jobs that are no longer needed (POST /v1/tenants/${tenant}/jobs/{id}/cancel), or ask the operator to raise ` +
      'AIRLOCK_QUEUE_TENANT_BACKLOG (0: no cap)',
    { retryAfterSeconds: TENANT_BACKLOG_RETRY_AFTER_SECONDS, tenant, backlog, limit },
  );
}
