// A failed attempt (a failure reported by its run, or an expired lease found by claim()): the
// item goes back to queued with a later run_after, or ends dead/failed, and its lease is dropped.
export const EXPIRED_LEASES = `
SELECT * FROM queue_items WHERE status = 'running' AND lease_expires_at <= ?`;

export const FINISH_ATTEMPT = `
UPDATE queue_items
SET status = ?, attempts = ?, run_after = ?, last_error = ?, finished_at = ?, updated_at = ?,
    lease_owner = NULL, lease_expires_at = NULL, run_record = NULL
WHERE seq = ? AND status = 'running' AND fence = ?
RETURNING *`;
