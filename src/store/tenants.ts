// Opens the configured tenant store: SQLite in the data dir (the same file as the store, the queue
// and the schedules, its own connection), migrated.
import type { Config } from '../core/config.js';
import type { TenantStore } from '../tenants/port.js';
import { SqliteTenants } from './sqlite/tenants/store.js';
import { explainOpenFailure, migrated, sqliteFile } from './index.js';

export async function openTenantStore(config: Pick<Config, 'dataDir' | 'databaseUrl'>): Promise<TenantStore> {
  const file = sqliteFile(config);
  return explainOpenFailure(file, () => migrated(new SqliteTenants(file)));
}
