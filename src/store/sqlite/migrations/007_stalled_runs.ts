// Migration 7: a job counts its runs in a row that reached their slice cap without saving a
// checkpoint, so "no progress" is judged by runs, not by wall time (time spent waiting in the
// queue between slices is no fault of the job's).
import type { Migration } from './types.js';

export const migration007: Migration = {
  version: 7,
  name: 'stalled runs',
  sql: `
ALTER TABLE queue_items ADD COLUMN stalled_runs INTEGER NOT NULL DEFAULT 0; -- capped runs in a row without a checkpoint
`,
};
