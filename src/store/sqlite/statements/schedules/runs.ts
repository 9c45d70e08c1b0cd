// Statements over schedule occurrences (migration 005). The primary key (tenant, schedule,
// occurrence_at) makes INSERT OR IGNORE the claim: the second claimer of an occurrence gets 0 rows.
export const CLAIM_OCCURRENCE = `
INSERT OR IGNORE INTO schedule_runs (tenant, schedule, occurrence_at, outcome, missed, lease_until, created_at, updated_at)
VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)`;

/** Pending runs whose lease ran out (the server that claimed them died before settling them). */
export const EXPIRED_PENDING = `
SELECT * FROM schedule_runs WHERE outcome = 'pending' AND lease_until <= ? ORDER BY lease_until LIMIT ?`;

export const RELEASE_PENDING = `
UPDATE schedule_runs SET lease_until = ?, updated_at = ?
WHERE tenant = ? AND schedule = ? AND occurrence_at = ? AND outcome = 'pending' AND lease_until <= ?`;

export const GET_RUN = `SELECT * FROM schedule_runs WHERE tenant = ? AND schedule = ? AND occurrence_at = ?`;

export const SETTLE_RUN = `
UPDATE schedule_runs SET outcome = ?, job_id = ?, reason = ?, lease_until = NULL, updated_at = ?
WHERE tenant = ? AND schedule = ? AND occurrence_at = ? AND outcome = 'pending'`;

export const LIST_RUNS = `
SELECT * FROM schedule_runs WHERE tenant = ? AND schedule = ? AND occurrence_at < ?
ORDER BY occurrence_at DESC LIMIT ?`;
