// The background checkpointer on a real SQLite file: while it runs, the log written by another
// connection (whose own autocheckpoint would not fire yet) is moved into the database file, and
// stop() ends the worker thread.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startCheckpointer } from '../../src/store/sqlite/checkpointer.js';
import { AUTOCHECKPOINT_PAGES, openConnection } from '../../src/store/sqlite/connection.js';

test('the background checkpointer moves committed log frames into the database file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-checkpointer-'));
  const file = join(dir, 'airlock.db');
  const db = openConnection(file);
  try {
    db.exec('CREATE TABLE t (v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 200; i++) insert.run('x'.repeat(2000));
    })();
    // Far below the connection's own threshold: nothing has been checkpointed yet.
    const before = db.pragma('wal_checkpoint(NOOP)', { simple: false }) as { log: number; checkpointed: number }[];
    assert.ok(before[0]!.log > 50 && before[0]!.log < AUTOCHECKPOINT_PAGES, `log frames ${before[0]!.log}`);
    assert.equal(before[0]!.checkpointed, 0);
    const checkpointer = await startCheckpointer(file, 20);
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const [now] = db.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[];
        if (now!.checkpointed >= before[0]!.log) break;
        if (Date.now() > deadline) assert.fail(`not checkpointed: ${JSON.stringify(now)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await checkpointer.stop();
    }
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
});
