// One tenant's backlog (items queued, waiting to retry or continue, or running): its row of
// queue_backlog, which triggers keep up to date (migration 015); no row means 0.
export const TENANT_BACKLOG = `SELECT n FROM queue_backlog WHERE tenant = ?`;
