// Opening an Airlock SQLite database file: created readable by its owner only (it holds sources,
// sealed secrets and key hashes), WAL journal, NORMAL sync, a busy timeout so concurrent
// connections (the store, the queue, other servers) wait instead of failing. Every connection
// to the file is opened here so they all behave alike.
import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';

/**
 * Creates the database file readable by its owner only, if it does not exist yet. An existing
 * file is never opened here: closing any descriptor of the file drops every POSIX lock this
 * process holds on it, SQLite's included, and SQLite never takes them again. Without its locks,
 * another process (the sqlite3 shell of a backup, another server) closing its connection takes
 * itself for the last one, checkpoints and deletes the log the server is still writing: commits
 * answered to clients were lost that way. chmod works on the path, not a descriptor.
 */
export function createPrivate(file: string): void {
  if (file === ':memory:') return;
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  chmodSync(file, 0o600);
}

/**
 * A connection checkpoints the log itself only once it holds this many pages (16 MiB at 4 KiB):
 * the server's background checkpointer (checkpointer.ts) keeps it far below; without one (tests,
 * tools) this still bounds the log.
 */
export const AUTOCHECKPOINT_PAGES = 4000;

export function openConnection(file: string, busyTimeoutMs = 5000): Db {
  createPrivate(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  // Bound the WAL file left behind after a burst of writes (bytes).
  db.pragma('journal_size_limit = 67108864');
  db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  return db;
}
