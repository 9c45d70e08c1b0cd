// Retention of schedule occurrence rows: the next schedule that has rows (a row-value seek on the
// primary key), and one schedule's settled occurrences before the cutoff, oldest first, up to a
// limit. A pending occurrence (claimed, its job not yet submitted) is never deleted.
export const NEXT_RUNS_SCHEDULE = `
SELECT tenant, schedule FROM schedule_runs WHERE (tenant, schedule) > (?, ?) ORDER BY tenant, schedule LIMIT 1`;

export const PURGE_SCHEDULE_RUNS = `
DELETE FROM schedule_runs
WHERE tenant = @tenant AND schedule = @schedule AND occurrence_at IN (
  SELECT occurrence_at FROM schedule_runs
  WHERE tenant = @tenant AND schedule = @schedule AND occurrence_at < @cutoff AND outcome <> 'pending'
  ORDER BY occurrence_at
  LIMIT @max
)`;
