// Migration 6: webhooks. One row per function that can receive webhook deliveries: the sha256 of
// its bearer token (what deliveries are checked against) and the token sealed with the secrets
// master key (so the API can show it again; the database alone never reveals it).
import type { Migration } from './types.js';

export const migration006: Migration = {
  version: 6,
  name: 'webhooks',
  sql: `
CREATE TABLE webhooks (
  tenant     TEXT    NOT NULL,
  function   TEXT    NOT NULL,
  token_hash BLOB    NOT NULL, -- sha256 of the token
  sealed     BLOB    NOT NULL, -- the token, AES-256-GCM (services/secrets/crypto.ts layout)
  created_at INTEGER NOT NULL, -- epoch ms: issued (first deploy or last rotation)
  PRIMARY KEY (tenant, function)
) WITHOUT ROWID;
`,
};
