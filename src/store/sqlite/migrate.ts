// Applies forward-only migrations inside one IMMEDIATE transaction, so two processes opening the
// same file at once cannot both apply them. Refuses a database written by a newer Airlock.
import type { Database } from 'better-sqlite3';
import { AirlockError } from '../../core/errors.js';
import type { Migration } from './migrations/index.js';

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER NOT NULL PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/** Checks that versions run 1, 2, 3, … with no gap or duplicate (a programming error otherwise). */
function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new AirlockError('INTERNAL', `migration list is out of order at ${m.version}_${m.name}`);
    }
  });
}

/** The refusal of a database a newer Airlock wrote (the start, and `airlock doctor` before it). */
export function newerSchema(newest: number, known: number): AirlockError {
  return new AirlockError(
    'CONFIG_INVALID',
    `the database is at schema version ${newest} but this Airlock only knows ${known}; ` +
      'it was written by a newer Airlock: run that version (or a later one) on it. To go back to this version, start it ' +
      'on a copy of the data dir restored from the backup taken before the upgrade (README, Upgrading); what was written ' +
      'since is not in it',
  );
}

/** Applies pending migrations; returns the versions applied by this call. */
export function applyMigrations(db: Database, migrations: readonly Migration[], now = Date.now): number[] {
  checkOrder(migrations);
  db.exec(CREATE_TABLE);
  const appliedStmt = db.prepare<[], { version: number }>('SELECT version FROM schema_migrations');
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const run = db.transaction((): number[] => {
    const applied = new Set(appliedStmt.all().map((r) => r.version));
    const newest = Math.max(0, ...applied);
    if (newest > migrations.length) throw newerSchema(newest, migrations.length);
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, now());
      done.push(m.version);
    }
    return done;
  });
  return run.immediate();
}
