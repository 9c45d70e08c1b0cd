// Migration 5: schedules. One row per schedule, and one row per occurrence a server claimed; the
// primary key (tenant, schedule, occurrence_at) is what makes each occurrence act once, across
// restarts and several servers on one database.
import type { Migration } from './types.js';

export const migration005: Migration = {
  version: 5,
  name: 'schedules',
  sql: `
CREATE TABLE schedules (
  tenant       TEXT    NOT NULL,
  name         TEXT    NOT NULL,
  function     TEXT    NOT NULL,
  cron         TEXT,             -- cron expression; NULL for interval schedules
  every_s      INTEGER,          -- interval, seconds; NULL for cron schedules
  timezone     TEXT    NOT NULL,
  input        TEXT    NOT NULL, -- JSON
  overlap      TEXT    NOT NULL CHECK (overlap IN ('skip', 'allow')),
  anchor_at    INTEGER NOT NULL, -- epoch ms: start of an interval schedule's occurrences
  next_at      INTEGER,          -- epoch ms: next occurrence to act on; NULL: never again
  last_job_id  TEXT,             -- queue item id of the last job it fired
  fired        INTEGER NOT NULL DEFAULT 0,
  skipped      INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (tenant, name),
  CHECK ((cron IS NULL) <> (every_s IS NULL))
) WITHOUT ROWID;
CREATE INDEX schedules_due ON schedules (next_at) WHERE next_at IS NOT NULL;

CREATE TABLE schedule_runs (
  tenant        TEXT    NOT NULL,
  schedule      TEXT    NOT NULL,
  occurrence_at INTEGER NOT NULL, -- epoch ms
  outcome       TEXT    NOT NULL CHECK (outcome IN ('pending', 'fired', 'skipped', 'error')),
  job_id        TEXT,
  reason        TEXT,
  missed        INTEGER NOT NULL DEFAULT 0,
  lease_until   INTEGER,          -- epoch ms: a pending run is retaken after this
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (tenant, schedule, occurrence_at)
) WITHOUT ROWID;
CREATE INDEX schedule_runs_pending ON schedule_runs (lease_until) WHERE outcome = 'pending';
`,
};
