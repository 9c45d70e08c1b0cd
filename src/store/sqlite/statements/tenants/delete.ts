// Deleting a tenant (offboarding): its running queue items cancelled first (found through the
// partial index of running items, which holds only what runs now), the small tables deleted
// whole by their tenant key range, and the large ones (queue items, execution records, schedule
// occurrences) a bounded number of rows per statement, walking an index that starts with the tenant.

/** Running items of the tenant: the same change as a cancel (core of queue/cancel.ts), so their holders lose their leases. */
export const CANCEL_TENANT_RUNNING = `
UPDATE queue_items
SET status = 'cancelled', finished_at = @now, updated_at = @now, lease_owner = NULL, lease_expires_at = NULL
WHERE seq IN (SELECT seq FROM queue_items INDEXED BY queue_items_leases WHERE status = 'running' AND tenant = @tenant)
RETURNING id`;

/** Whole deletes of the tables that stay small per tenant (each a primary-key or index range). */
export const DELETE_TENANT_SMALL = {
  keys: 'DELETE FROM api_keys WHERE tenant = ?',
  secrets: 'DELETE FROM secrets WHERE tenant = ?',
  webhooks: 'DELETE FROM webhooks WHERE tenant = ?',
  webhookVerifications: 'DELETE FROM webhook_verify WHERE tenant = ?',
  versions: 'DELETE FROM function_versions WHERE tenant = ?',
  functions: 'DELETE FROM functions WHERE tenant = ?',
  schedules: 'DELETE FROM schedules WHERE tenant = ?',
} as const;

/** Up to @max of the tenant's queue items, newest first (queue_items_tenant_list). */
export const DELETE_TENANT_QUEUE_ITEMS = `
DELETE FROM queue_items
WHERE seq IN (SELECT seq FROM queue_items WHERE tenant = @tenant ORDER BY seq DESC LIMIT @max)`;

/** Up to @max of the tenant's execution records, oldest first (a primary-key range). */
export const DELETE_TENANT_EXECUTIONS = `
DELETE FROM executions
WHERE tenant = @tenant AND id IN (SELECT id FROM executions WHERE tenant = @tenant ORDER BY id LIMIT @max)`;

/** Up to @max of the tenant's schedule occurrences (a primary-key range). */
export const DELETE_TENANT_SCHEDULE_RUNS = `
DELETE FROM schedule_runs
WHERE tenant = @tenant AND (schedule, occurrence_at) IN (
  SELECT schedule, occurrence_at FROM schedule_runs WHERE tenant = @tenant ORDER BY schedule, occurrence_at LIMIT @max
)`;

/** The tenant's fairness state (stride pass); deleted once it has no queue items left. */
export const DELETE_TENANT_QUEUE_STATE = 'DELETE FROM queue_tenants WHERE tenant = ?';
