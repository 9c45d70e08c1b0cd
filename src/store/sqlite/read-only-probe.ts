// A first look at an existing database file through a read-only connection, before the server
// opens it read-write: a damaged file (a stale -wal beside a restored copy, garbage in its schema)
// is refused without ever being opened for writing. The close of a read-write connection, the
// last one on the file, folds the -wal into it and deletes it: a refused start would then have
// changed the file it refused, and lost the clue of what went wrong.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { isDatabaseDamaged } from '../storage-errors.js';

/** Throws SQLite's error if reading the file's schema finds it damaged; anything else is left to the read-write open. */
export function probeReadOnly(file: string): void {
  if (!existsSync(file)) return;
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    if (isDatabaseDamaged(err)) throw err;
    return;
  }
  try {
    db.prepare('SELECT name, sql FROM sqlite_master').all();
    const migrations = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (migrations !== undefined) db.prepare('SELECT max(version) FROM schema_migrations').get();
  } catch (err) {
    if (isDatabaseDamaged(err)) throw err;
  } finally {
    db.close();
  }
}
