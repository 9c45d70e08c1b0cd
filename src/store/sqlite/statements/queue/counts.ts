// How many items are queued and running, for the metrics gauge: each a count over the partial
// index of its status (queue_items_ready, queue_items_leases), never over finished items.
export const QUEUE_COUNTS = `
SELECT (SELECT COUNT(*) FROM queue_items WHERE status = 'queued') AS queued,
       (SELECT COUNT(*) FROM queue_items WHERE status = 'running') AS running`;
