// Migration 14: executions that did not succeed can be listed across tenants, newest first, by
// status (GET /v1/executions?status=, admin only). The index is partial, so the records of
// succeeded calls, almost all of them, never pay for it on insert.
import type { Migration } from './types.js';

export const migration014: Migration = {
  version: 14,
  name: 'unsucceeded executions by status',
  sql: `
CREATE INDEX executions_unsucceeded ON executions (status, id DESC) WHERE status <> 'succeeded';
`,
};
