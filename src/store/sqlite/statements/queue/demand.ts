// What claim() plans with: ready items per tenant and lane (capped), running items per tenant and lane,
// and each tenant's stride pass plus the queue's virtual time.
/**
 * Tenants with queued items, found by hopping through the ready index one tenant at a time (a
 * loose index scan: cost grows with the number of tenants, not with the backlog).
 */
export const QUEUED_TENANTS = `
WITH RECURSIVE t(tenant) AS (
  SELECT (SELECT MIN(tenant) FROM queue_items WHERE status = 'queued')
  UNION ALL
  SELECT (SELECT MIN(tenant) FROM queue_items WHERE status = 'queued' AND tenant > t.tenant)
  FROM t WHERE t.tenant IS NOT NULL
)
SELECT tenant FROM t WHERE tenant IS NOT NULL`;

/** Ready items of one tenant and lane, counted up to a cap (the claim size). */
export const READY_COUNT = `
SELECT COUNT(*) AS n FROM (
  SELECT 1 FROM queue_items
  WHERE status = 'queued' AND tenant = ? AND lane = ? AND run_after <= ?
  LIMIT ?
)`;

export const RUNNING_COUNTS = `
SELECT tenant, lane, COUNT(*) AS n FROM queue_items
WHERE status = 'running'
GROUP BY tenant, lane`;

export const GET_PASS = `SELECT pass FROM queue_tenants WHERE tenant = ?`;

export const SET_PASS = `
INSERT INTO queue_tenants (tenant, pass) VALUES (?, ?)
ON CONFLICT (tenant) DO UPDATE SET pass = excluded.pass`;

export const GET_VTIME = `SELECT vtime FROM queue_clock WHERE id = 1`;

export const SET_VTIME = `UPDATE queue_clock SET vtime = ? WHERE id = 1`;
