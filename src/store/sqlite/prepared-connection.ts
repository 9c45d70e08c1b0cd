// The lifecycle every SQLite handle shares (the store, the queue, the schedules): one connection
// of its own, the schema migrated, then its statements prepared once; using them before
// migrate() or after close() is a bug reported as INTERNAL with the handle's own message.
import type { AppliedMigration } from '../schema-change.js';
import type { Database as Db } from 'better-sqlite3';
import { AirlockError } from '../../core/errors.js';
import { applyMigrations } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import { openConnection } from './connection.js';

export class PreparedConnection<P> {
  readonly db: Db;
  private readonly prepare: (db: Db) => P;
  private readonly misuse: string;
  private prepared: P | undefined;
  /** The migrations this handle applied (empty when the schema was already current). */
  readonly applied: AppliedMigration[] = [];

  /** Opens (creating if needed, owner-only) `file`; `misuse` is the message for a premature use. */
  constructor(file: string, busyTimeoutMs: number | undefined, prepare: (db: Db) => P, misuse: string) {
    this.db = openConnection(file, busyTimeoutMs);
    this.prepare = prepare;
    this.misuse = misuse;
  }

  stmts(): P {
    if (this.prepared === undefined) throw new AirlockError('INTERNAL', this.misuse);
    return this.prepared;
  }

  migrate(): void {
    for (const version of applyMigrations(this.db, MIGRATIONS)) this.applied.push({ version, name: MIGRATIONS[version - 1]!.name });
    this.prepared ??= this.prepare(this.db);
  }

  /** Drops the statements, runs `beforeClose` (e.g. waits for syncs under way), closes. Idempotent. */
  async close(beforeClose?: () => Promise<void> | void): Promise<void> {
    if (!this.db.open) return;
    this.prepared = undefined;
    const pending = beforeClose?.();
    if (pending !== undefined) await pending; // a synchronous hook keeps close() synchronous up to here
    this.db.close();
  }
}
