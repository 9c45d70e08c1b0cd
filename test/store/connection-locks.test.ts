// The server's connections keep SQLite's locks on the database file however many it opens: a
// second openConnection() used to open and close the file, which dropped every POSIX lock the
// process held on it. Another process closing its own connection then took itself for the last
// one, checkpointed and deleted the log the server was still writing (commits were lost). Here the
// other process is a second Node program with better-sqlite3, as a backup tool would be.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openConnection } from '../../src/store/sqlite/connection.js';

const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');

/** POSIX locks this process holds on `file` (/proc/locks lists pid and device:inode). */
function locksHeld(file: string): number {
  const inode = statSync(file).ino;
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .filter((line) => line.includes(` ${process.pid} `) && line.includes(`:${inode} `)).length;
}

/** Opens the database in another process, reads `SELECT COUNT(*) FROM t`, closes it, and says what it counted. */
function countInOtherProcess(file: string): number {
  const program = `const D = require(${JSON.stringify(betterSqlite)}); const db = new D(${JSON.stringify(file)}); ` +
    `process.stdout.write(String(db.prepare('SELECT COUNT(*) AS n FROM t').get().n)); db.close();`;
  return Number(execFileSync(process.execPath, ['-e', program], { encoding: 'utf8' }));
}

test('a second connection keeps the first one\'s locks, so another process never deletes the live log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-locks-'));
  const file = join(dir, 'airlock.db');
  try {
    const first = openConnection(file);
    first.exec('CREATE TABLE t (x INTEGER)');
    first.prepare('INSERT INTO t VALUES (1)').run();
    assert.ok(locksHeld(file) > 0, 'SQLite holds a lock on the file while a connection is open');
    const second = openConnection(file);
    assert.ok(locksHeld(file) > 0, 'opening a second connection left the locks in place');
    assert.equal(countInOtherProcess(file), 1);
    assert.ok(existsSync(`${file}-wal`), 'the other process did not take itself for the last connection');
    // A commit after the other process came and went is seen by the next reader.
    second.prepare('INSERT INTO t VALUES (2)').run();
    assert.equal(countInOtherProcess(file), 2);
    second.close();
    first.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a new database file is created readable by its owner only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-locks-'));
  const file = join(dir, 'airlock.db');
  try {
    openConnection(file).close();
    assert.equal(statSync(file).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
