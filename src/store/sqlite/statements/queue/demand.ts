// What claim() plans with: ready items per tenant and lane, running items per tenant and lane,
// and each tenant's stride pass plus the queue's virtual time.
export const READY_COUNTS = `
SELECT tenant, lane, COUNT(*) AS n FROM queue_items
WHERE status = 'queued' AND run_after <= ?
GROUP BY tenant, lane`;

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
