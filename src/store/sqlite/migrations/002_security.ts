// Migration 2: defense in depth. Executions record the isolation layers in force and the requests
// made through the egress broker; function versions carry their egress grant; tenants get
// secrets (encrypted at rest: the row holds AES-256-GCM ciphertext, never the value).
import type { Migration } from './types.js';

export const migration002: Migration = {
  version: 2,
  name: 'security',
  sql: `
ALTER TABLE executions ADD COLUMN layers TEXT NOT NULL DEFAULT '[]'; -- JSON SecurityLayer[]
ALTER TABLE executions ADD COLUMN egress TEXT;                      -- JSON EgressRequestRecord[]; NULL when none
ALTER TABLE function_versions ADD COLUMN egress TEXT;               -- JSON EgressPolicy; NULL when no egress

CREATE TABLE secrets (
  tenant     TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  hosts      TEXT    NOT NULL, -- JSON string[]: the hosts the value may be sent to
  sealed     BLOB    NOT NULL, -- key id byte + 12-byte IV + 16-byte GCM tag + ciphertext
  created_at INTEGER NOT NULL, -- epoch ms
  updated_at INTEGER NOT NULL, -- epoch ms
  PRIMARY KEY (tenant, name)
) WITHOUT ROWID;
`,
};
