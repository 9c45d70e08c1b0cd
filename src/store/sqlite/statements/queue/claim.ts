// Claim: the oldest ready items of one tenant and lane, then each one marked running under a new
// lease with the next fencing token.
export const PICK_READY = `
SELECT seq FROM queue_items
WHERE status = 'queued' AND tenant = ? AND lane = ? AND run_after <= ?
ORDER BY run_after, seq
LIMIT ?`;

export const MARK_RUNNING = `
UPDATE queue_items
SET status = 'running', runs = runs + 1, fence = fence + 1, lease_owner = ?, lease_expires_at = ?,
    started_at = COALESCE(started_at, ?), updated_at = ?, run_record = NULL
WHERE seq = ? AND status = 'queued'
RETURNING *`;
