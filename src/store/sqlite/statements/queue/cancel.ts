// Cancel: only a queued or running item changes; a running holder then loses its lease.
export const CANCEL_QUEUE_ITEM = `
UPDATE queue_items
SET status = 'cancelled', finished_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
WHERE tenant = ? AND id = ? AND status IN ('queued', 'running')
RETURNING *`;
