// Migration 13: the run in progress of a running queue item (a job slice), as the execution record
// it will become, without its outcome: written when the run starts, cleared when the item is
// settled or claimed again. When the run's server dies, the lease's end (SERVER_GONE or
// LEASE_EXPIRED) turns it into a `killed` execution, so a lost run still has a record.
import type { Migration } from './types.js';

export const migration013: Migration = {
  version: 13,
  name: 'run records',
  sql: `
ALTER TABLE queue_items ADD COLUMN run_record TEXT; -- JSON: queue/port.ts RunRecord, or NULL
`,
};
