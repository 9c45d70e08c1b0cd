// Opens the configured schedule store: SQLite in the data dir (the same file as the store and the
// queue, its own connection), migrated.
import type { Config } from '../core/config.js';
import type { ScheduleStore } from '../schedules/port.js';
import { SqliteSchedules } from './sqlite/schedules/store.js';
import { explainOpenFailure, migrated, sqliteFile } from './index.js';

export async function openScheduleStore(config: Pick<Config, 'dataDir' | 'databaseUrl'>): Promise<ScheduleStore> {
  const file = sqliteFile(config);
  return explainOpenFailure(file, () => migrated(new SqliteSchedules(file)));
}
