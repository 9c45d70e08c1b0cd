// Migration 10: tenant keys keep a short non-secret prefix of the key (`ak_` and its first 8
// characters), so a leaked key can be matched to its id in listings. Keys made before stay NULL.
import type { Migration } from './types.js';

export const migration010: Migration = {
  version: 10,
  name: 'key prefixes',
  sql: `
ALTER TABLE api_keys ADD COLUMN prefix TEXT; -- NULL for keys created before this migration
`,
};
