// Opens the configured store and durable queue: SQLite in the data dir today; Postgres arrives in
// a later release. A file that cannot be opened for a known reason (damaged, disk full) stops the
// start with what to do (storage-errors.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { AirlockError } from '../core/errors.js';
import type { DeadItemListener, QueueStore } from '../queue/port.js';
import type { Store } from './port.js';
import { SqliteQueue } from './sqlite/queue/store.js';
import { probeReadOnly } from './sqlite/read-only-probe.js';
import { SqliteStore } from './sqlite/store.js';
import { databaseDamaged, isDatabaseDamaged, isStorageFull, storageFullAtStart } from './storage-errors.js';

export type { Store } from './port.js';
export type { QueueStore } from '../queue/port.js';

/** File name of the SQLite database inside the data dir. */
export const SQLITE_FILE = 'airlock.db';

function refuseDatabaseUrl(config: Pick<Config, 'dataDir' | 'databaseUrl'>): void {
  if (config.databaseUrl !== undefined && config.databaseUrl !== '') {
    throw new AirlockError(
      'CONFIG_INVALID',
      'AIRLOCK_DATABASE_URL is set, but Postgres support arrives in a later release; ' +
        `unset AIRLOCK_DATABASE_URL to use SQLite in the data dir (${config.dataDir})`,
    );
  }
}

/** The SQLite file every connection of this server opens (data dir created owner-only). */
export function sqliteFile(config: Pick<Config, 'dataDir' | 'databaseUrl'>): string {
  refuseDatabaseUrl(config);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return join(config.dataDir, SQLITE_FILE);
}

/** Migrates a freshly opened handle; closes it if that fails. */
export async function migrated<T extends { migrate(): Promise<void>; close(): Promise<void> }>(handle: T): Promise<T> {
  try {
    await handle.migrate();
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

/**
 * Runs `open` (a connection's opening and migration): a damaged file is DATABASE_CORRUPT, a full
 * disk STORAGE_FULL, each saying what to do.
 */
export async function explainOpenFailure<T>(file: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    if (isDatabaseDamaged(err)) throw databaseDamaged(file, err);
    if (isStorageFull(err)) throw storageFullAtStart(file, err);
    throw err;
  }
}

/** Opens and migrates the store described by `config`. */
export async function openStore(config: Pick<Config, 'dataDir' | 'databaseUrl'>): Promise<Store> {
  const file = sqliteFile(config);
  return explainOpenFailure(file, async () => {
    // Damage is found read-only first: a refused start leaves the file and its -wal as they were.
    probeReadOnly(file);
    let store: SqliteStore;
    try {
      store = new SqliteStore(file);
    } catch (err) {
      if (isDatabaseDamaged(err) || isStorageFull(err)) throw err;
      throw new AirlockError(
        'CONFIG_INVALID',
        `cannot open the SQLite database ${file}: ${(err as Error).message}; ` +
          'check that the file is an Airlock database and that AIRLOCK_DATA_DIR is writable',
      );
    }
    return migrated(store);
  });
}

/** Opens and migrates the durable queue described by `config` (same database as the store). */
export async function openQueue(
  config: Pick<Config, 'dataDir' | 'databaseUrl' | 'queue'> & { webhooks?: Pick<Config['webhooks'], 'sync'> },
  onDead?: DeadItemListener,
): Promise<QueueStore> {
  const options = { policy: config.queue, batchSync: config.webhooks?.sync ?? 'full', ...(onDead === undefined ? {} : { onDead }) } as const;
  const file = sqliteFile(config);
  return explainOpenFailure(file, () => migrated(new SqliteQueue(file, options)));
}
