// Opening an Airlock SQLite database file: created readable by its owner only (it holds sources,
// sealed secrets and key hashes), WAL journal, NORMAL sync, a busy timeout so concurrent
// connections (the store, the queue, other servers) wait instead of failing. Every connection
// to the file is opened here so they all behave alike.
import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';

/** Creates the database file readable by its owner only, if it does not exist yet. */
export function createPrivate(file: string): void {
  if (file === ':memory:') return;
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

export function openConnection(file: string, busyTimeoutMs = 5000): Db {
  createPrivate(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  // Bound the WAL file left behind after a burst of writes (bytes).
  db.pragma('journal_size_limit = 67108864');
  return db;
}
