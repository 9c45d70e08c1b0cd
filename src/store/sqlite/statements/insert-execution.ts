// The hottest statement: one execution record, with positional parameters (measurably cheaper
// to bind than named ones). Idempotent on id, so a retried batch whose first attempt did commit
// does not fail or duplicate. rows.ts builds the values in EXECUTION_COLUMNS order.
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

export const INSERT_EXECUTION = `
INSERT INTO executions (${EXECUTION_COLUMNS.join(', ')})
VALUES (${EXECUTION_COLUMNS.map(() => '?').join(', ')})
ON CONFLICT (tenant, id) DO NOTHING`;
