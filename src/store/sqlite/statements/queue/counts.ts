// How many items are queued and running, for the metrics gauge: two rows of queue_counts, which
// triggers keep up to date (migration 011), so a scrape costs the same with any backlog.
export const QUEUE_COUNTS = `
SELECT (SELECT n FROM queue_counts WHERE status = 'queued') AS queued,
       (SELECT n FROM queue_counts WHERE status = 'running') AS running`;
