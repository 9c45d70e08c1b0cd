// A migrated SqliteStore in a fresh temporary data dir, removed by cleanup().
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/store.js';

export interface TempSqlite {
  store: SqliteStore;
  dir: string;
  /** Closes the store and removes the directory. */
  cleanup: () => Promise<void>;
}

export async function tempSqlite(): Promise<TempSqlite> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-test-'));
  const store = new SqliteStore(join(dir, 'airlock.db'));
  await store.migrate();
  return {
    store,
    dir,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
