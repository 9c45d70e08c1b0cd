// Migration 9: tenant keys may carry a name (what the key is for, e.g. "ci" or "backend"), so an
// operator can tell them apart before revoking one.
import type { Migration } from './types.js';

export const migration009: Migration = {
  version: 9,
  name: 'key names',
  sql: `
ALTER TABLE api_keys ADD COLUMN name TEXT; -- NULL when the key was created without one
`,
};
