// The queue's tallies counted again from its items, in one transaction at each start: triggers and
// enqueues keep queue_counts (migration 011) and queue_backlog (migration 015) up to date, but a
// database salvaged from a damaged file (`.dump`, README "A damaged or emptied database") or edited
// by hand can hold tallies its items do not back (a phantom running job, a backlog that refuses
// submissions, a tenant that never finishes deleting). One count over the items per start puts
// them right.
export const RECOUNT_QUEUE = `
DELETE FROM queue_counts;
INSERT INTO queue_counts (status, n)
  SELECT 'queued', COUNT(*) FROM queue_items WHERE status = 'queued'
  UNION ALL
  SELECT 'running', COUNT(*) FROM queue_items WHERE status = 'running';
DELETE FROM queue_backlog;
INSERT INTO queue_backlog (tenant, n)
  SELECT tenant, COUNT(*) FROM queue_items WHERE status IN ('queued', 'running') GROUP BY tenant;
`;
