// SqliteQueue: the queue conformance suite on a real SQLite file in a temp dir, plus what only
// SQLite shows: two handles in two threads claiming from one file at once never share an item,
// and the claim path reads indexes (cost follows tenants and claim size, not the backlog).
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { openQueue, openStore, SQLITE_FILE } from '../../src/store/index.js';
import { SqliteQueue } from '../../src/store/sqlite/queue/store.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { applyMigrations } from '../../src/store/sqlite/migrate.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { EXPIRED_LEASES } from '../../src/store/sqlite/statements/queue/attempt.js';
import { PICK_READY } from '../../src/store/sqlite/statements/queue/claim.js';
import { LIST_QUEUE_ITEM_BY_KEY } from '../../src/store/sqlite/statements/queue/list.js';
import { QUEUE_COUNTS } from '../../src/store/sqlite/statements/queue/counts.js';
import { QUEUED_TENANTS, READY_COUNT } from '../../src/store/sqlite/statements/queue/demand.js';
import { queueConformance } from '../queue/conformance.js';
import { rejectsWith, testPolicy } from '../queue/support.js';
import type { ClaimWorkerResult } from './queue-claim-worker.js';

queueConformance('sqlite', async (setup) => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-queue-'));
  const file = join(dir, 'airlock.db');
  const open = async (): Promise<SqliteQueue> => {
    const q = new SqliteQueue(file, setup);
    await q.migrate();
    return q;
  };
  return { queue: await open(), openAnother: open, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

async function withFile(fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-queue-'));
  try {
    await fn(join(dir, 'airlock.db'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runWorker(file: string, owner: string, barrier: SharedArrayBuffer): Promise<ClaimWorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./queue-claim-worker.js', import.meta.url), {
      workerData: { file, owner, barrier, parties: 2 },
    });
    worker.once('message', (m: ClaimWorkerResult) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`claim worker ${owner} exited with ${code}`));
    });
  });
}

test('two handles in two threads claiming from one file never get the same item', () =>
  withFile(async (file) => {
    const q = new SqliteQueue(file, { policy: testPolicy({ slots: 64, tenantConcurrency: 64 }) });
    await q.migrate();
    const ids = new Set<string>();
    try {
      for (let i = 0; i < 600; i++) {
        const { item } = await q.enqueue({ tenant: `t${i % 6}`, function: 'f', lane: 'background', payload: i });
        ids.add(item.id);
      }
    } finally {
      await q.close();
    }
    const barrier = new SharedArrayBuffer(4);
    const results = await Promise.all([runWorker(file, 'w1', barrier), runWorker(file, 'w2', barrier)]);
    const all = results.flatMap((r) => r.claimed);
    assert.equal(new Set(all).size, all.length, 'an item was claimed twice');
    assert.deepEqual(new Set(all), ids, 'every item was claimed');
    assert.ok(results.every((r) => r.claimed.length > 0), `both threads claimed: ${results.map((r) => r.claimed.length)}`);
    assert.deepEqual(results.flatMap((r) => r.errors), []);
  }));

test('the claim path reads indexes, never a table scan, and never counts the whole backlog', () =>
  withFile(async (file) => {
    const store = new SqliteStore(file);
    await store.migrate();
    await store.close();
    const db = new Database(file, { readonly: true });
    const plan = (sql: string, ...args: unknown[]): string =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...args)
        .map((r) => (r as { detail: string }).detail)
        .join(' | ');
    try {
      const cases: [string, string, RegExp][] = [
        ['pick', plan(PICK_READY, 't', 'background', 0, 1), /SEARCH queue_items USING (COVERING )?INDEX queue_items_ready \(tenant=\? AND lane=\? AND run_after<\?\)/],
        ['ready count', plan(READY_COUNT, 't', 'background', 0, 5), /SEARCH queue_items USING COVERING INDEX queue_items_ready \(tenant=\? AND lane=\? AND run_after<\?\)/],
        ['queued tenants', plan(QUEUED_TENANTS), /SEARCH queue_items USING COVERING INDEX queue_items_ready \(tenant>\?\)/],
        ['expired leases', plan(EXPIRED_LEASES, 0), /SEARCH queue_items USING INDEX queue_items_leases \(lease_expires_at<\?\)/],
      ];
      // A lookup by idempotency key reads the unique index, not the tenant's whole list.
      assert.match(plan(LIST_QUEUE_ITEM_BY_KEY, { tenant: 't', key: 'k', function: null, status: null, before: null, limit: 1 }), /SEARCH queue_items USING INDEX queue_items_idempotency \(tenant=\? AND idempotency_key=\?\)/);
      // The metrics gauge reads the two rows the triggers keep, whatever the backlog.
      assert.doesNotMatch(plan(QUEUE_COUNTS), /queue_items/, 'queue counts read queue_counts only');
      for (const [name, detail, expected] of cases) {
        assert.match(detail, expected, `${name}: ${detail}`);
        assert.doesNotMatch(detail, /SCAN queue_items(?! USING)|TEMP B-TREE/, `${name}: ${detail}`);
      }
    } finally {
      db.close();
    }
  }));

test('openQueue shares the data dir database with openStore; a database URL is refused', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'airlock-queue-'));
  try {
    const config = { dataDir, databaseUrl: undefined, queue: testPolicy() };
    const queue = await openQueue(config);
    const store = await openStore(config);
    try {
      assert.equal((await stat(join(dataDir, SQLITE_FILE))).mode & 0o777, 0o600);
      const { item } = await queue.enqueue({ tenant: 'acme', function: 'f', lane: 'interactive', payload: null });
      await store.setMeta('probe', 'x');
      assert.equal((await queue.get('acme', item.id))?.status, 'queued');
    } finally {
      await queue.close();
      await store.close();
    }
    await rejectsWith(openQueue({ ...config, databaseUrl: 'postgres://db/airlock' }), 'CONFIG_INVALID');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

/** A database file at its first `migrations` schema versions, holding queue items of (tenant, status). */
function seedOldQueue(file: string, migrations: number, items: [string, string][]): void {
  const db = new Database(file);
  applyMigrations(db, MIGRATIONS.slice(0, migrations));
  const insert = db.prepare(
    `INSERT INTO queue_items (id, tenant, function, lane, payload, status, max_attempts, run_after, created_at, updated_at)
     VALUES (?, ?, 'sync', 'background', 'null', ?, 3, 0, 0, 0)`,
  );
  items.forEach(([tenant, status], i) => insert.run(`qi_${i}`, tenant, status));
  db.close();
}

test('a database from before the backlog counts gets each tenant counted once, at its upgrade', () =>
  withFile(async (file) => {
    seedOldQueue(file, 14, [['acme', 'queued'], ['acme', 'running'], ['acme', 'succeeded'], ['globex', 'queued'], ['initech', 'dead']]);
    const q = new SqliteQueue(file, { policy: testPolicy({ tenantBacklog: 2 }) });
    try {
      await q.migrate();
      assert.deepEqual([await q.backlog('acme'), await q.backlog('globex'), await q.backlog('initech')], [2, 1, 0]);
      await rejectsWith(q.enqueue({ tenant: 'acme', function: 'sync', lane: 'background', payload: null }), 'TENANT_BACKLOG_FULL');
      await q.enqueue({ tenant: 'globex', function: 'sync', lane: 'background', payload: null });
      assert.equal(await q.backlog('globex'), 2, 'and kept up to date from there');
    } finally {
      await q.close();
    }
    // Unfinished items deleted (an offboarding deletes queued ones as they are) leave the backlog.
    const edit = new Database(file);
    edit.prepare(`DELETE FROM queue_items WHERE tenant = 'acme' AND status IN ('queued', 'succeeded')`).run();
    edit.close();
    const again = new SqliteQueue(file, { policy: testPolicy({ tenantBacklog: 2 }) });
    try {
      await again.migrate();
      assert.equal(await again.backlog('acme'), 1, 'the deleted queued item left it; the running one stays');
      assert.equal((await again.enqueue({ tenant: 'acme', function: 'sync', lane: 'background', payload: null })).created, true);
    } finally {
      await again.close();
    }
  }));

test('tallies a salvaged or hand-edited file does not back are counted again at the next start', () =>
  withFile(async (file) => {
    const q = new SqliteQueue(file, { policy: testPolicy() });
    try {
      await q.migrate();
      for (let i = 0; i < 3; i++) await q.enqueue({ tenant: 'acme', function: 'sync', lane: 'background', payload: null });
      await q.claim({ owner: 'w', max: 1 });
      assert.deepEqual(await q.counts(), { queued: 2, running: 1 });
    } finally {
      await q.close();
    }
    // As a `.dump` salvage leaves them: items lost with damaged pages, their tallies kept.
    const edit = new Database(file);
    edit.exec(`UPDATE queue_counts SET n = n + 7; INSERT INTO queue_backlog (tenant, n) VALUES ('ghost', 4); UPDATE queue_backlog SET n = 9 WHERE tenant = 'acme'`);
    edit.close();
    const again = new SqliteQueue(file, { policy: testPolicy() });
    try {
      await again.migrate();
      assert.deepEqual(await again.counts(), { queued: 2, running: 1 });
      assert.deepEqual([await again.backlog('acme'), await again.backlog('ghost')], [3, 0]);
    } finally {
      await again.close();
    }
    const rows = new Database(file, { readonly: true });
    assert.deepEqual(rows.prepare('SELECT tenant FROM queue_backlog ORDER BY tenant').all(), [{ tenant: 'acme' }], 'no row for a tenant with nothing queued');
    rows.close();
  }));

test('a database from before the queue counts gets them counted once, at its upgrade', () =>
  withFile(async (file) => {
    seedOldQueue(file, 10, ['queued', 'queued', 'queued', 'running', 'succeeded', 'dead'].map((status) => ['acme', status]));
    const q = new SqliteQueue(file, { policy: testPolicy() });
    try {
      await q.migrate();
      assert.deepEqual(await q.counts(), { queued: 3, running: 1 });
      await q.enqueue({ tenant: 'acme', function: 'sync', lane: 'background', payload: null });
      assert.deepEqual(await q.counts(), { queued: 4, running: 1 }, 'and kept up to date from there');
    } finally {
      await q.close();
    }
    const edit = new Database(file);
    edit.prepare(`DELETE FROM queue_items WHERE id IN ('qi_0', 'qi_3', 'qi_4')`).run();
    edit.close();
    const again = new SqliteQueue(file, { policy: testPolicy() });
    try {
      await again.migrate();
      assert.deepEqual(await again.counts(), { queued: 3, running: 0 }, 'a deleted queued or running item leaves the counts');
    } finally {
      await again.close();
    }
  }));
