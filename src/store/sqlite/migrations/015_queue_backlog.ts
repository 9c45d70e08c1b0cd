// Migration 15: each tenant's backlog (its queue items queued, waiting to retry or continue, or
// running), kept in the transaction that changes an item, so the cap on it
// (AIRLOCK_QUEUE_TENANT_BACKLOG) is checked with one primary-key read instead of a count over the
// tenant's items. Items only ever come in through enqueue/enqueueMany (statements/queue/enqueue.ts),
// which add each tenant's new items once per transaction (a trigger per inserted row cost a group
// commit of 256 deliveries about a fifth of its throughput); every later move in or out of the
// backlog (finish, cancel, dead, requeue, deletion) goes through the triggers below. Moves between
// queued and running leave the number as it is. A tenant's row goes away when its backlog reaches
// 0, so nothing is left behind by an offboarding.
import type { Migration } from './types.js';

export const migration015: Migration = {
  version: 15,
  name: 'queue backlog per tenant',
  sql: `
CREATE TABLE queue_backlog (
  tenant TEXT    NOT NULL PRIMARY KEY,
  n      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO queue_backlog (tenant, n)
  SELECT tenant, COUNT(*) FROM queue_items WHERE status IN ('queued', 'running') GROUP BY tenant;

CREATE TRIGGER queue_backlog_reopen AFTER UPDATE OF status ON queue_items
  WHEN OLD.status NOT IN ('queued', 'running') AND NEW.status IN ('queued', 'running')
BEGIN
  INSERT INTO queue_backlog (tenant, n) VALUES (NEW.tenant, 1)
    ON CONFLICT (tenant) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER queue_backlog_finish AFTER UPDATE OF status ON queue_items
  WHEN OLD.status IN ('queued', 'running') AND NEW.status NOT IN ('queued', 'running')
BEGIN
  UPDATE queue_backlog SET n = n - 1 WHERE tenant = OLD.tenant;
  DELETE FROM queue_backlog WHERE tenant = OLD.tenant AND n <= 0;
END;

CREATE TRIGGER queue_backlog_delete AFTER DELETE ON queue_items
  WHEN OLD.status IN ('queued', 'running')
BEGIN
  UPDATE queue_backlog SET n = n - 1 WHERE tenant = OLD.tenant;
  DELETE FROM queue_backlog WHERE tenant = OLD.tenant AND n <= 0;
END;
`,
};
