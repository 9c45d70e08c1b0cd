// Migration 8: a job's runs can be listed (executions?job=<id>). The index is partial, so the
// execution records of invocations (no job) never pay for it on insert.
import type { Migration } from './types.js';

export const migration008: Migration = {
  version: 8,
  name: 'executions by job',
  sql: `
CREATE INDEX executions_tenant_job_id ON executions (tenant, job_id, id DESC) WHERE job_id IS NOT NULL;
`,
};
