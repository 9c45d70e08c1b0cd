// WalSyncer and the queue's durable group commit: a commit is acknowledged only after an
// fdatasync of the write-ahead log that started after it, syncs are shared by the commits made
// while one runs, a failed sync falls back to a full checkpoint, and the real log file is synced.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteQueue } from '../../src/store/sqlite/queue/store.js';
import { openLogFile, WalSyncer } from '../../src/store/sqlite/wal-sync.js';
import type { LogFile } from '../../src/store/sqlite/wal-sync.js';
import { testPolicy } from '../queue/support.js';

/** A LogFile whose syncs stay pending until released or failed, in order. */
function heldLog() {
  const calls: { release(): void; fail(err: Error): void }[] = [];
  let closed = 0;
  const file: LogFile = {
    datasync: () => new Promise<void>((resolve, reject) => calls.push({ release: resolve, fail: reject })),
    close: async () => void closed++,
  };
  return { calls, file, closed: () => closed };
}

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
};

test('a sync asked for while one runs waits for a second one, shared by every caller meanwhile', async () => {
  const log = heldLog();
  const wal = new WalSyncer(log.file);
  const first = wal.sync();
  assert.equal(log.calls.length, 1);
  const second = wal.sync();
  const third = wal.sync();
  assert.equal(log.calls.length, 1, 'nothing starts while a sync runs');
  log.calls[0]!.release();
  await first;
  assert.equal(await settled(second), false, 'the first sync may have started before the second commit');
  assert.equal(log.calls.length, 2, 'one more sync covers both later callers');
  log.calls[1]!.release();
  await Promise.all([second, third]);
  const later = wal.sync();
  assert.equal(log.calls.length, 3, 'a caller after the syncs ended starts its own');
  log.calls[2]!.release();
  await later;
  await wal.close();
  assert.equal(log.closed(), 1);
});

test('a failed sync fails its callers, and the callers queued behind it get a new one', async () => {
  const log = heldLog();
  const wal = new WalSyncer(log.file);
  const first = wal.sync();
  const second = wal.sync();
  log.calls[0]!.fail(new Error('EIO'));
  await assert.rejects(first, /EIO/);
  await new Promise((r) => setImmediate(r));
  assert.equal(log.calls.length, 2, 'the queued sync still runs after a failure');
  log.calls[1]!.release();
  await second;
});

test('openLogFile syncs the real -wal file, keeps it open, and reports a missing one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-walsync-'));
  try {
    const db = join(dir, 'airlock.db');
    const missing = openLogFile(db);
    await assert.rejects(missing.datasync(), { code: 'ENOENT' });
    await writeFile(`${db}-wal`, 'frames');
    await missing.datasync(); // opened now that it exists
    await missing.datasync();
    await missing.close();
    await missing.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function withQueue(
  batchSync: 'full' | 'normal',
  fn: (q: SqliteQueue, log: ReturnType<typeof heldLog>) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-walsync-'));
  const log = heldLog();
  const q = new SqliteQueue(join(dir, 'airlock.db'), { policy: testPolicy(), batchSync, logFile: log.file });
  await q.migrate();
  try {
    await fn(q, log);
  } finally {
    await q.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const job = { tenant: 'acme', function: 'sync', lane: 'background' as const, payload: { page: 1 } };

test('enqueueMany with sync full resolves only after the log it wrote to was synced', () =>
  withQueue('full', async (q, log) => {
    const pending = q.enqueueMany([job, job]);
    assert.equal(await settled(pending), false, 'not acknowledged before the fdatasync');
    assert.equal(log.calls.length, 1);
    // Already committed (readable), just not yet acknowledged as durable.
    assert.equal((await q.list({ tenant: 'acme', limit: 10 })).length, 2);
    log.calls[0]!.release();
    assert.equal((await pending).length, 2);
  }));

test('a failed log sync falls back to a full checkpoint before acknowledging', () =>
  withQueue('full', async (q, log) => {
    const pending = q.enqueueMany([job]);
    await new Promise((r) => setImmediate(r));
    log.calls[0]!.fail(new Error('EIO'));
    assert.equal((await pending).length, 1, 'acknowledged once the checkpoint synced the database');
  }));

test('enqueueMany with sync normal never waits for a sync', () =>
  withQueue('normal', async (q, log) => {
    assert.equal((await q.enqueueMany([job])).length, 1);
    assert.equal(log.calls.length, 0);
  }));
