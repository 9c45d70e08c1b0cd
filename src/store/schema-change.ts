// The start's line about the database schema: created on a new data dir, or upgraded by the
// migrations a new version brought (an operator reading the log after an upgrade sees what
// changed in the database, and from which version; nothing is logged when it was current).
import type { Logger } from '../core/logger.js';

export interface AppliedMigration {
  version: number;
  name: string;
}

/** Logs what the migrations applied at this start did; nothing when none was applied. */
export function logSchemaChange(applied: readonly AppliedMigration[], logger: Pick<Logger, 'info'>): void {
  if (applied.length === 0) return;
  const from = applied[0]!.version - 1;
  const to = applied[applied.length - 1]!.version;
  if (from === 0) {
    logger.info({ schemaVersion: to }, `created the database schema (version ${to})`);
    return;
  }
  const names = applied.map((m) => `${m.version} ${m.name}`).join(', ');
  logger.info(
    { schemaVersion: to, previousSchemaVersion: from, migrations: applied.map((m) => m.version) },
    `upgraded the database schema from version ${from} to ${to} (${names}); an older Airlock now refuses this database`,
  );
}
