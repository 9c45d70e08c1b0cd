// Statements over schedule definitions (migration 005).
export const UPSERT_SCHEDULE = `
INSERT INTO schedules (tenant, name, function, cron, every_s, timezone, input, overlap, anchor_at, next_at, created_at, updated_at)
VALUES (@tenant, @name, @function, @cron, @every_s, @timezone, @input, @overlap, @anchor_at, @next_at, @now, @now)
ON CONFLICT (tenant, name) DO UPDATE SET
  function = excluded.function, cron = excluded.cron, every_s = excluded.every_s, timezone = excluded.timezone,
  input = excluded.input, overlap = excluded.overlap, anchor_at = excluded.anchor_at, next_at = excluded.next_at,
  updated_at = excluded.updated_at
RETURNING *`;

export const GET_SCHEDULE = `SELECT * FROM schedules WHERE tenant = ? AND name = ?`;
export const LIST_SCHEDULES = `SELECT * FROM schedules WHERE tenant = ? ORDER BY name`;
export const COUNT_SCHEDULES = `SELECT count(*) AS n FROM schedules WHERE tenant = ?`;
export const DELETE_SCHEDULE = `DELETE FROM schedules WHERE tenant = ? AND name = ?`;
export const DELETE_SCHEDULE_RUNS = `DELETE FROM schedule_runs WHERE tenant = ? AND schedule = ?`;

export const DUE_SCHEDULES = `SELECT * FROM schedules WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY next_at LIMIT ?`;
export const EARLIEST_DUE = `
SELECT min(at) AS at FROM (
  SELECT min(next_at) AS at FROM schedules WHERE next_at IS NOT NULL
  UNION ALL
  SELECT min(lease_until) AS at FROM schedule_runs WHERE outcome = 'pending'
)`;
/** Moves a schedule on, only if no other claimer moved it first (guard on the old next_at). */
export const ADVANCE_SCHEDULE = `UPDATE schedules SET next_at = ?, updated_at = ? WHERE tenant = ? AND name = ? AND next_at = ?`;
export const COUNT_OUTCOME = `
UPDATE schedules
SET fired = fired + @fired, skipped = skipped + @skipped, last_job_id = coalesce(@fired_job, last_job_id), updated_at = @now
WHERE tenant = @tenant AND name = @schedule`;
