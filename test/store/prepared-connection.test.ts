// PreparedConnection on a real SQLite file: statements exist only between migrate() and close(),
// a premature use fails with INTERNAL and the handle's own message, and close() runs its hook
// once, before the connection closes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAirlockError } from '../../src/core/errors.js';
import { PreparedConnection } from '../../src/store/sqlite/prepared-connection.js';

test('statements are usable only between migrate() and close()', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-prepared-'));
  try {
    const conn = new PreparedConnection(join(dir, 'airlock.db'), undefined, (db) => ({ count: db.prepare('SELECT COUNT(*) AS n FROM functions') }), 'Thing used too early');
    const misuse = (err: unknown) => isAirlockError(err) && err.code === 'INTERNAL' && err.message === 'Thing used too early';
    assert.throws(() => conn.stmts(), misuse);
    conn.migrate();
    assert.deepEqual(conn.stmts().count.get(), { n: 0 });
    const seen: boolean[] = [];
    await conn.close(() => void seen.push(conn.db.open));
    await conn.close(() => void seen.push(conn.db.open));
    assert.deepEqual(seen, [true], 'the hook runs once, while the connection is still open');
    assert.equal(conn.db.open, false);
    assert.throws(() => conn.stmts(), misuse);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
