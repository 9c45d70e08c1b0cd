// Operations of a lease holder. Each is guarded by the fencing token and a live lease, so a run
// whose lease expired or was superseded changes nothing (zero rows; the caller reports LEASE_LOST).
const GUARD = `tenant = ? AND id = ? AND status = 'running' AND fence = ? AND lease_expires_at > ?`;

export const GET_LEASED = `SELECT * FROM queue_items WHERE ${GUARD}`;

export const HEARTBEAT = `
UPDATE queue_items SET lease_expires_at = ?, updated_at = ?
WHERE ${GUARD}
RETURNING lease_expires_at`;

/** The run now in progress (RunRecord JSON), for the record of a run lost with its server. */
export const MARK_RUN = `
UPDATE queue_items SET run_record = ?, updated_at = ?
WHERE ${GUARD}
RETURNING seq`;

export const SAVE_CHECKPOINT = `
UPDATE queue_items SET checkpoint = ?, checkpoint_at = ?, stalled_runs = 0, updated_at = ?
WHERE ${GUARD}
RETURNING checkpoint_at`;

export const COMPLETE = `
UPDATE queue_items
SET status = 'succeeded', result = ?, finished_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL, run_record = NULL
WHERE ${GUARD}
RETURNING *`;

/**
 * Continuation: queued again without counting an attempt; the checkpoint is kept. Its last
 * parameter adds 1 to stalled_runs for a run that saved no checkpoint, else 0.
 */
export const CONTINUE = `
UPDATE queue_items
SET status = 'queued', run_after = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL, run_record = NULL,
    stalled_runs = stalled_runs + ?
WHERE ${GUARD}
RETURNING *`;

/** Continuation that saves a new checkpoint in the same statement. */
export const CONTINUE_WITH_CHECKPOINT = `
UPDATE queue_items
SET status = 'queued', run_after = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL, run_record = NULL,
    checkpoint = ?, checkpoint_at = ?, stalled_runs = 0
WHERE ${GUARD}
RETURNING *`;
