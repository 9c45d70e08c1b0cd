// Retention in SQLite: the retention conformance suite on real database files (the store, the
// queue and the schedules each on their own connection to one file, as in the server), and what
// only SQLite shows: every purge statement reads a key range, never the whole table, with no
// index added for it (the execution insert path keeps its three B-tree updates).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from '../../src/store/index.js';
import { SqliteQueue } from '../../src/store/sqlite/queue/store.js';
import { SqliteSchedules } from '../../src/store/sqlite/schedules/store.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { NEXT_EXECUTION_TENANT, PURGE_TENANT_EXECUTIONS } from '../../src/store/sqlite/statements/purge-executions.js';
import { PURGE_FINISHED_ITEMS, PURGE_WINDOW_END } from '../../src/store/sqlite/statements/queue/purge.js';
import { NEXT_RUNS_SCHEDULE, PURGE_SCHEDULE_RUNS } from '../../src/store/sqlite/statements/schedules/purge.js';
import { retentionConformance } from './conformance-retention.js';

retentionConformance('sqlite', async (setup) => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-retention-'));
  const file = join(dir, SQLITE_FILE);
  const opened: { close(): Promise<void> }[] = [];
  const open = async <T extends { migrate(): Promise<void>; close(): Promise<void> }>(handle: T): Promise<T> => {
    opened.push(handle);
    await handle.migrate();
    return handle;
  };
  return {
    store: await open(new SqliteStore(file)),
    anotherStore: () => open(new SqliteStore(file)),
    queue: await open(new SqliteQueue(file, setup)),
    schedules: await open(new SqliteSchedules(file)),
    cleanup: async () => {
      for (const handle of opened) await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

test('every purge statement reads a key range, never the whole table, and succeeded invocation records keep their two indexes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-retention-'));
  const file = join(dir, SQLITE_FILE);
  try {
    const store = new SqliteStore(file);
    await store.migrate();
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      const indexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions' ORDER BY name").all() as { name: string; sql: string }[];
      // Succeeded invocation records maintain two; the job index is partial (job runs only), and so
      // is the one of unsucceeded executions across tenants.
      assert.deepEqual(
        indexes.map((i) => i.name),
        ['executions_tenant_function_id', 'executions_tenant_job_id', 'executions_tenant_status_id', 'executions_unsucceeded'],
        'no index added to the insert path',
      );
      assert.match(indexes[1]!.sql, /WHERE job_id IS NOT NULL$/);
      assert.match(indexes[3]!.sql, /WHERE status <> 'succeeded'$/);
      const params = { tenant: 't', schedule: 's', idFloor: 'x', cutoff: 1, max: 1, after: 'a', end: 'b', offset: 0 };
      const plan = (sql: string, ...args: unknown[]) =>
        db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(args.length > 0 ? args : [params])).map((r) => (r as { detail: string }).detail);
      for (const [sql, args] of [
        [NEXT_EXECUTION_TENANT, ['t']],
        [PURGE_TENANT_EXECUTIONS, []],
        [PURGE_WINDOW_END, []],
        [PURGE_FINISHED_ITEMS, []],
        [NEXT_RUNS_SCHEDULE, ['t', 's']],
        [PURGE_SCHEDULE_RUNS, []],
      ] as const) {
        const details = plan(sql, ...args);
        assert.ok(details.every((d) => !d.startsWith('SCAN')), `${sql}\n${details.join('\n')}`);
        assert.ok(details.some((d) => /^SEARCH .*(PRIMARY KEY|INDEX)/.test(d)), `${sql}\n${details.join('\n')}`);
      }
    } finally {
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
