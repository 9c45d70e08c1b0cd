// The hottest statement: one execution record. Idempotent on id, so a retried batch whose
// first attempt did commit does not fail or duplicate.
export const INSERT_EXECUTION = `
INSERT INTO executions (id, tenant, function, version, status, start, isolation,
                        queued_at, started_at, finished_at, duration_ms, result, error, logs)
VALUES (@id, @tenant, @function, @version, @status, @start, @isolation,
        @queued_at, @started_at, @finished_at, @duration_ms, @result, @error, @logs)
ON CONFLICT (id) DO NOTHING`;
