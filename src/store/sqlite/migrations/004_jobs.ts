// Migration 4: jobs. An execution record that ran a slice of a job names the job (a queue item
// id), so a job's runs can be found from the job and a run's job from the execution; and queue
// items can be listed per tenant, newest first, by function or status.
import type { Migration } from './types.js';

export const migration004: Migration = {
  version: 4,
  name: 'jobs',
  sql: `
ALTER TABLE executions ADD COLUMN job_id TEXT; -- queue item id of the job this run was a slice of; NULL for invocations
CREATE INDEX queue_items_tenant_list ON queue_items (tenant, seq DESC);
`,
};
