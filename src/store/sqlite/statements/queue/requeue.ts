// Requeue: a failed, dead or cancelled item goes back to queued in place, keeping its id, key,
// checkpoint, runs and last error; attempts and stalled runs start over. Any other status is left.
export const REQUEUE_QUEUE_ITEM = `
UPDATE queue_items
SET status = 'queued', attempts = 0, stalled_runs = 0, run_after = @now, updated_at = @now,
    payload = COALESCE(@payload, payload), max_attempts = COALESCE(@maxAttempts, max_attempts),
    result = NULL, finished_at = NULL, lease_owner = NULL, lease_expires_at = NULL
WHERE tenant = @tenant AND id = @id AND status IN ('failed', 'dead', 'cancelled')
RETURNING *`;
