// Migration 11: how many queue items are queued and running, kept up to date by triggers, so the
// metrics gauge reads two rows instead of counting a backlog (a count over 900,000 queued items
// took 25-65 ms of the server's only thread at every scrape). Only moves into, out of and between
// these two statuses touch the table; finished items (the purge deletes them) never do.
import type { Migration } from './types.js';

export const migration011: Migration = {
  version: 11,
  name: 'queue counts',
  sql: `
CREATE TABLE queue_counts (
  status TEXT    NOT NULL PRIMARY KEY CHECK (status IN ('queued', 'running')),
  n      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO queue_counts (status, n)
  SELECT 'queued', COUNT(*) FROM queue_items WHERE status = 'queued'
  UNION ALL
  SELECT 'running', COUNT(*) FROM queue_items WHERE status = 'running';

CREATE TRIGGER queue_counts_insert AFTER INSERT ON queue_items
  WHEN NEW.status IN ('queued', 'running')
BEGIN
  UPDATE queue_counts SET n = n + 1 WHERE status = NEW.status;
END;

CREATE TRIGGER queue_counts_update AFTER UPDATE OF status ON queue_items
  WHEN OLD.status IS NOT NEW.status AND (OLD.status IN ('queued', 'running') OR NEW.status IN ('queued', 'running'))
BEGIN
  UPDATE queue_counts SET n = n - 1 WHERE status = OLD.status;
  UPDATE queue_counts SET n = n + 1 WHERE status = NEW.status;
END;

CREATE TRIGGER queue_counts_delete AFTER DELETE ON queue_items
  WHEN OLD.status IN ('queued', 'running')
BEGIN
  UPDATE queue_counts SET n = n - 1 WHERE status = OLD.status;
END;
`,
};
