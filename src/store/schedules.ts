// Opens the configured schedule store: SQLite in the data dir (the same file as the store and the
// queue, its own connection), migrated.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { AirlockError } from '../core/errors.js';
import type { ScheduleStore } from '../schedules/port.js';
import { SqliteSchedules } from './sqlite/schedules/store.js';
import { SQLITE_FILE } from './index.js';

export async function openScheduleStore(config: Pick<Config, 'dataDir' | 'databaseUrl'>): Promise<ScheduleStore> {
  if (config.databaseUrl !== undefined && config.databaseUrl !== '') {
    throw new AirlockError('CONFIG_INVALID', 'AIRLOCK_DATABASE_URL is set, but Postgres support arrives in a later release; unset it to use SQLite');
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = new SqliteSchedules(join(config.dataDir, SQLITE_FILE));
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
