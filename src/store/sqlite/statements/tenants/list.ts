// Listing tenants: every table that holds tenant data, each with an index that starts with the
// tenant (primary keys, api_keys_tenant, queue_items_tenant_list), so "the first tenant after X"
// is one index seek per table and a page of N tenants costs N seeks per table, however many
// executions or jobs a tenant has. The counts read one tenant's key range of small tables, and
// its backlog the one row the queue keeps it in (migration 015).

/** Every table with a `tenant` column, and the index a seek on the tenant uses (tests check the plans). */
export const TENANT_TABLES = [
  'functions',
  'function_versions',
  'webhooks',
  'webhook_verify',
  'api_keys',
  'secrets',
  'schedules',
  'schedule_runs',
  'queue_items',
  'queue_tenants',
  // A row per tenant with unfinished queue items, kept by triggers (migration 015): it goes with them.
  'queue_backlog',
  'executions',
] as const;

export type TenantTable = (typeof TENANT_TABLES)[number];

/** The first tenant after `?` that has rows in `table` (NULL when none; admin keys have a NULL tenant and are skipped). */
export function nextTenantSql(table: TenantTable): string {
  return `SELECT MIN(tenant) AS tenant FROM ${table} WHERE tenant > ?`;
}

/** Whether the tenant has any row in `table`: one seek. */
export function hasTenantSql(table: TenantTable): string {
  return `SELECT 1 AS found FROM ${table} WHERE tenant = ? LIMIT 1`;
}

/** The counts a listing shows, each a count over the tenant's key range of a small table. */
export const TENANT_COUNTS = `
SELECT
  (SELECT COUNT(*) FROM functions WHERE tenant = @tenant) AS functions,
  (SELECT COUNT(*) FROM api_keys WHERE tenant = @tenant) AS keys,
  (SELECT COUNT(*) FROM secrets WHERE tenant = @tenant) AS secrets,
  (SELECT COUNT(*) FROM schedules WHERE tenant = @tenant) AS schedules,
  EXISTS (SELECT 1 FROM queue_items WHERE tenant = @tenant) AS jobs,
  EXISTS (SELECT 1 FROM executions WHERE tenant = @tenant) AS executions,
  COALESCE((SELECT n FROM queue_backlog WHERE tenant = @tenant), 0) AS backlog`;
