// SqliteQueue: the queue conformance suite on a real SQLite file in a temp dir, plus what only
// SQLite shows: two handles in two threads claiming from one file at once never share an item,
// and the claim path reads the ready index instead of scanning the table.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SqliteQueue } from '../../src/store/sqlite/queue/store.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { PICK_READY } from '../../src/store/sqlite/statements/queue/claim.js';
import { queueConformance } from '../queue/conformance.js';
import { testPolicy } from '../queue/support.js';
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

function runWorker(file: string, owner: string): Promise<ClaimWorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./queue-claim-worker.js', import.meta.url), { workerData: { file, owner } });
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
    const results = await Promise.all([runWorker(file, 'w1'), runWorker(file, 'w2')]);
    const all = results.flatMap((r) => r.claimed);
    assert.equal(new Set(all).size, all.length, 'an item was claimed twice');
    assert.deepEqual(new Set(all), ids, 'every item was claimed');
    assert.ok(results.every((r) => r.claimed.length > 0), `both threads claimed: ${results.map((r) => r.claimed.length)}`);
    assert.deepEqual(results.flatMap((r) => r.errors), []);
  }));

test('claiming picks from the ready index, never a table scan or a sort', () =>
  withFile(async (file) => {
    const store = new SqliteStore(file);
    await store.migrate();
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      const plan = db
        .prepare<[string, string, number, number], { detail: string }>(`EXPLAIN QUERY PLAN ${PICK_READY}`)
        .all('t', 'background', 0, 1)
        .map((r) => r.detail)
        .join(' | ');
      assert.match(plan, /USING (COVERING )?INDEX queue_items_ready/, plan);
      assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
    } finally {
      db.close();
    }
  }));
