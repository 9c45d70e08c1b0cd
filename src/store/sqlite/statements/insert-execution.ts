// The hottest statement: one execution record, with positional parameters (measurably cheaper
// to bind than named ones). Idempotent on id, so a retried batch whose first attempt did commit
// does not fail or duplicate; the one record it replaces is a lost job run's placeholder. rows.ts
// builds the values in EXECUTION_COLUMNS order.
export const EXECUTION_COLUMNS = [
  'id',
  'tenant',
  'function',
  'version',
  'status',
  'start',
  'isolation',
  'queued_at',
  'started_at',
  'finished_at',
  'duration_ms',
  'result',
  'error',
  'logs',
  'layers',
  'egress',
  'job_id',
] as const;

/**
 * Error types of the record the queue writes for a job run lost with its server
 * (queue/lost-run.ts). A server that was only slow may still finish that run and record it under
 * the same id: its own record then replaces the placeholder (and nothing else is ever replaced).
 */
export const LOST_RUN_ERROR_TYPES = ['LeaseExpired', 'ServerGone'] as const;

export const INSERT_EXECUTION = `
INSERT INTO executions (${EXECUTION_COLUMNS.join(', ')})
VALUES (${EXECUTION_COLUMNS.map(() => '?').join(', ')})
ON CONFLICT (tenant, id) DO UPDATE SET
  ${EXECUTION_COLUMNS.filter((c) => c !== 'id' && c !== 'tenant').map((c) => `${c} = excluded.${c}`).join(', ')}
WHERE executions.status = 'killed'
  AND json_extract(executions.error, '$.type') IN (${LOST_RUN_ERROR_TYPES.map((t) => `'${t}'`).join(', ')})`;
