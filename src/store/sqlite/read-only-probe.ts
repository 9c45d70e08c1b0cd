// A first look at an existing database file through a read-only connection, before the server
// opens it read-write: a damaged file (a stale -wal beside a restored copy, garbage in its schema)
// is refused without ever being opened for writing. The close of a read-write connection, the
// last one on the file, folds the -wal into it and deletes it: a refused start would then have
// changed the file it refused, and lost the clue of what went wrong.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { isDatabaseDamaged } from '../storage-errors.js';

/** The newest migration recorded in the file, read through a read-only connection; 0 when it has no Airlock schema yet. */
export function readSchemaVersion(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    // Preparing a statement reads and parses the whole schema: a damaged one fails here.
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (table === undefined) return 0;
    return (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  } finally {
    db.close();
  }
}

/** Throws SQLite's error if reading the file's schema finds it damaged; anything else is left to the read-write open. */
export function probeReadOnly(file: string): void {
  if (!existsSync(file)) return;
  try {
    readSchemaVersion(file);
  } catch (err) {
    if (isDatabaseDamaged(err)) throw err;
  }
}
