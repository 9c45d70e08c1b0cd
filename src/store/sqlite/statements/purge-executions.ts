// Retention of execution records: the next tenant that has records (a seek on the primary key),
// and one tenant's records made before the cutoff (ids sort by time: a primary-key range, no time
// index for every insert to maintain) that also finished before it, oldest first, up to a limit.
export const NEXT_EXECUTION_TENANT = `
SELECT tenant FROM executions WHERE tenant > ? ORDER BY tenant LIMIT 1`;

export const PURGE_TENANT_EXECUTIONS = `
DELETE FROM executions
WHERE tenant = @tenant AND id IN (
  SELECT id FROM executions
  WHERE tenant = @tenant AND id < @idFloor AND finished_at < @cutoff
  ORDER BY id
  LIMIT @max
)`;
