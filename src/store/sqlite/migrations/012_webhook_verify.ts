// Migration 12: webhook signature verification. One row per function whose deliveries must carry
// a valid provider signature: the scheme and its options as JSON (services/hooks/verify-config.ts)
// naming the tenant secret that holds the signing key (never the key itself). Kept apart from the
// token row, so rotating the token keeps it; deleting the function deletes it.
import type { Migration } from './types.js';

export const migration012: Migration = {
  version: 12,
  name: 'webhook verify',
  sql: `
CREATE TABLE webhook_verify (
  tenant     TEXT    NOT NULL,
  function   TEXT    NOT NULL,
  config     TEXT    NOT NULL, -- JSON: {preset, secret, toleranceSeconds?, header?, algorithm?, encoding?, prefix?}
  created_at INTEGER NOT NULL, -- epoch ms: first set
  updated_at INTEGER NOT NULL, -- epoch ms: last set
  PRIMARY KEY (tenant, function)
) WITHOUT ROWID;
`,
};
