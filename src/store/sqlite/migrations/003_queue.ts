// Migration 3: the durable fair queue (src/queue/port.ts). One row per item; per-tenant stride
// passes and the queue's virtual time for fair claiming (src/scheduler/stride.ts).
import type { Migration } from './types.js';

export const migration003: Migration = {
  version: 3,
  name: 'queue',
  sql: `
CREATE TABLE queue_items (
  seq              INTEGER PRIMARY KEY,  -- enqueue order (FIFO tie-break within a tenant and lane)
  id               TEXT    NOT NULL UNIQUE,
  tenant           TEXT    NOT NULL,
  function         TEXT    NOT NULL,
  lane             TEXT    NOT NULL CHECK (lane IN ('interactive', 'background')),
  payload          TEXT    NOT NULL,     -- JSON
  idempotency_key  TEXT,
  status           TEXT    NOT NULL
                   CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'dead')),
  attempts         INTEGER NOT NULL DEFAULT 0, -- failures and crashes, not continuations
  max_attempts     INTEGER NOT NULL,
  runs             INTEGER NOT NULL DEFAULT 0, -- claims
  fence            INTEGER NOT NULL DEFAULT 0, -- fencing token, +1 on every claim
  run_after        INTEGER NOT NULL,     -- epoch ms
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER,
  last_error       TEXT,                 -- JSON {code, message}
  result           TEXT,                 -- JSON
  checkpoint       TEXT,                 -- JSON
  checkpoint_at    INTEGER,
  lease_owner      TEXT,
  lease_expires_at INTEGER
);
CREATE UNIQUE INDEX queue_items_idempotency ON queue_items (tenant, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX queue_items_ready ON queue_items (tenant, lane, run_after, seq) WHERE status = 'queued';
CREATE INDEX queue_items_leases ON queue_items (lease_expires_at) WHERE status = 'running';

CREATE TABLE queue_tenants (
  tenant TEXT NOT NULL PRIMARY KEY,
  pass   REAL NOT NULL                   -- stride scheduling: virtual time the tenant is next due
) WITHOUT ROWID;

CREATE TABLE queue_clock (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  vtime REAL    NOT NULL                 -- pass of the tenant served last
);
INSERT INTO queue_clock (id, vtime) VALUES (1, 0);
`,
};
