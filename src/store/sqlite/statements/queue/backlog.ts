// One tenant's backlog (items queued, waiting to retry or continue, or running): its row of
// queue_backlog (migration 015); no row means 0. Enqueues add their new items to it, once per
// tenant and transaction; triggers follow every later move in or out.
export const TENANT_BACKLOG = `SELECT n FROM queue_backlog WHERE tenant = ?`;

export const ADD_TO_BACKLOG = `
INSERT INTO queue_backlog (tenant, n) VALUES (?, ?)
ON CONFLICT (tenant) DO UPDATE SET n = n + excluded.n`;
