// Retention of finished queue items. Items are looked at in windows of the id index (ids sort by
// enqueue time) among those enqueued before the cutoff: the end of the next window, then the
// terminal items of that window that finished before the cutoff. Queued and running items are
// never deleted; a window costs the same however many of them are old.
export const PURGE_WINDOW_END = `
SELECT id FROM queue_items WHERE id > @after AND id < @idFloor ORDER BY id LIMIT 1 OFFSET @offset`;

export const PURGE_FINISHED_ITEMS = `
DELETE FROM queue_items
WHERE id > @after AND id <= @end AND id < @idFloor
  AND status IN ('succeeded', 'failed', 'cancelled', 'dead') AND finished_at < @cutoff`;
