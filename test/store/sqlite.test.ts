// SqliteStore: the shared conformance suite, plus what only SQLite has (file, pragmas, plans,
// migrations bookkeeping) and openStore().
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { isAirlockError } from '../../src/core/errors.js';
import { openStore, SQLITE_FILE } from '../../src/store/index.js';
import { applyMigrations } from '../../src/store/sqlite/migrate.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { storeConformance } from './conformance.js';
import { makeVersion } from './fixtures.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'airlock-store-'));
}

storeConformance('sqlite', async () => {
  const dir = await tempDir();
  const file = join(dir, SQLITE_FILE);
  const store = new SqliteStore(file);
  await store.migrate();
  return {
    store,
    cleanup: () => rm(dir, { recursive: true, force: true }),
    reopen: async () => new SqliteStore(file),
  };
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('sqlite specifics', () => {
  test('openStore creates a private data dir and a private WAL database file', () =>
    withDir(async (parent) => {
      const dataDir = join(parent, 'nested', 'data');
      const store = await openStore({ dataDir, databaseUrl: undefined });
      try {
        await store.putFunctionVersion(makeVersion());
        assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
        assert.equal((await stat(join(dataDir, SQLITE_FILE))).mode & 0o777, 0o600);
        const db = new Database(join(dataDir, SQLITE_FILE), { readonly: true });
        try {
          assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
          const applied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
          assert.deepEqual(applied, MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
        } finally {
          db.close();
        }
      } finally {
        await store.close();
      }
    }));

  test('openStore refuses a database URL and says how to fix it', async () => {
    await assert.rejects(openStore({ dataDir: '/nonexistent', databaseUrl: 'postgres://x/y' }), (err: unknown) => {
      assert.ok(isAirlockError(err));
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.match(err.message, /Postgres/);
      assert.match(err.message, /unset AIRLOCK_DATABASE_URL/);
      return true;
    });
  });

  test('openStore refuses a file that is not a database', () =>
    withDir(async (dataDir) => {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dataDir, SQLITE_FILE), 'this is not sqlite, just text '.repeat(100));
      await assert.rejects(openStore({ dataDir, databaseUrl: undefined }), (err: unknown) => {
        assert.ok(isAirlockError(err));
        assert.equal(err.code, 'DATABASE_CORRUPT');
        assert.match(err.message, /is damaged \(file is not a database\)\. Airlock will not start on it/);
        return true;
      });
    }));

  test('a damaged file with a database log beside it: the refusal says the log may be an old database\'s', () =>
    withDir(async (dataDir) => {
      const { writeFile } = await import('node:fs/promises');
      const file = join(dataDir, SQLITE_FILE);
      await writeFile(file, 'this is not sqlite, just text '.repeat(100));
      const refusal = async (): Promise<string> => {
        let message = '';
        await assert.rejects(openStore({ dataDir, databaseUrl: undefined }), (err: unknown) => {
          assert.ok(isAirlockError(err));
          assert.equal(err.code, 'DATABASE_CORRUPT');
          message = err.message;
          return true;
        });
        return message;
      };
      assert.doesNotMatch(await refusal(), /-wal/, 'no log, no word about one');
      // What a restore that copied a backup over airlock.db after a crash leaves: the old log.
      await writeFile(`${file}-wal`, Buffer.alloc(8192, 1));
      const message = await refusal();
      assert.match(message, /Airlock will not start on it/);
      assert.ok(
        message.includes(`if ${file} was just put in place of the old one (a restore), the database log beside it (${file}-wal, with ${file}-shm) ` +
          "is the old database's and SQLite applied it to the copy: with the server stopped, remove those two files and put the copy in place again"),
        message,
      );
    }));

  test('a database from a newer Airlock (unknown migration) is refused', () =>
    withDir(async (dataDir) => {
      const first = await openStore({ dataDir, databaseUrl: undefined });
      await first.close();
      const db = new Database(join(dataDir, SQLITE_FILE));
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        MIGRATIONS.length + 1,
        'future',
        0,
      );
      db.close();
      await assert.rejects(openStore({ dataDir, databaseUrl: undefined }), (err: unknown) => {
        assert.ok(isAirlockError(err));
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, /newer Airlock/);
        // An operator who went back to an older version after an upgrade is told the way back.
        assert.match(err.message, /restored from the backup taken before the upgrade \(README, Upgrading\)/);
        return true;
      });
    }));

  test('two stores on the same file: migrations apply once, both see each other', () =>
    withDir(async (dir) => {
      const file = join(dir, SQLITE_FILE);
      const a = new SqliteStore(file);
      const b = new SqliteStore(file);
      try {
        await Promise.all([a.migrate(), b.migrate()]);
        await a.putFunctionVersion(makeVersion());
        assert.equal((await b.getFunction('acme', 'hello'))?.name, 'hello');
      } finally {
        await a.close();
        await b.close();
      }
    }));

  test('a key made before key prefixes were kept has none after the upgrade; new keys keep theirs', () =>
    withDir(async (dir) => {
      const file = join(dir, SQLITE_FILE);
      const old = new Database(file);
      applyMigrations(old, MIGRATIONS.filter((m) => m.version <= 9)); // the schema before key prefixes
      old.prepare('INSERT INTO api_keys (id, tenant, hash, created_at, name) VALUES (?, ?, ?, ?, ?)').run('key_old', 'acme', 'h-old', 1, 'ci');
      old.close();
      const store = new SqliteStore(file);
      try {
        await store.migrate();
        await store.putApiKey({ id: 'key_new', tenant: 'acme', hash: 'h-new', createdAt: 2, prefix: 'ak_AbCdEfGh' });
        assert.deepEqual(await store.listApiKeys('acme'), [
          { id: 'key_old', tenant: 'acme', hash: 'h-old', createdAt: 1, name: 'ci' },
          { id: 'key_new', tenant: 'acme', hash: 'h-new', createdAt: 2, prefix: 'ak_AbCdEfGh' },
        ]);
        assert.equal((await store.findApiKeyByHash('h-new'))?.prefix, 'ak_AbCdEfGh');
      } finally {
        await store.close();
      }
    }));

  test('using the store before migrate() is a clear error', () =>
    withDir(async (dir) => {
      const store = new SqliteStore(join(dir, SQLITE_FILE));
      try {
        await assert.rejects(store.getFunction('a', 'b'), /migrate\(\)/);
      } finally {
        await store.close();
      }
    }));

  test('every shape of the list across tenants reads the partial index of unsucceeded executions, never a scan or a sort', () =>
    withDir(async (dir) => {
      const store = new SqliteStore(join(dir, SQLITE_FILE));
      try {
        await store.migrate();
        for (const fn of [false, true]) {
          for (const before of [false, true]) {
            const plan = store.explainAllList({ function: fn, before }).join(' | ');
            assert.match(plan, /^SEARCH executions USING INDEX executions_unsucceeded \(status=\?( AND id<\?)?\)/, plan);
            assert.doesNotMatch(plan, /TEMP B-TREE|SCAN executions/, plan);
          }
          // A time range seeks a range of ids within the status.
          const ranged = store.explainAllList({ function: fn, before: false, from: true, to: true }).join(' | ');
          assert.match(ranged, /^SEARCH executions USING INDEX executions_unsucceeded \(status=\? AND id>\? AND id<\?\)/, ranged);
          assert.doesNotMatch(ranged, /TEMP B-TREE|SCAN executions/, ranged);
        }
      } finally {
        await store.close();
      }
    }));

  test('versions by prefix are a range of the primary key, never a scan or a sort', () =>
    withDir(async (dir) => {
      const store = new SqliteStore(join(dir, SQLITE_FILE));
      try {
        await store.migrate();
        const plan = store.explainFindVersions().join(' | ');
        assert.match(plan, /SEARCH function_versions USING (PRIMARY KEY|(COVERING )?INDEX sqlite_autoindex_function_versions_1) \(tenant=\? AND name=\? AND version>\? AND version<\?\)/, plan);
        assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
      } finally {
        await store.close();
      }
    }));

  test('every listing shape is served by an index, never a sort; a time range seeks a range of ids', () =>
    withDir(async (dir) => {
      const store = new SqliteStore(join(dir, SQLITE_FILE));
      try {
        await store.migrate();
        for (const [from, to] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          for (const fn of [false, true]) {
            for (const status of [false, true]) {
              const plan = store.explainList({ function: fn, status, before: false, from, to }).join(' | ');
              assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
              if (from) assert.match(plan, /USING (INDEX executions_tenant_\w+|PRIMARY KEY) \([^)]*id>\?/, plan);
              if (to) assert.match(plan, /USING (INDEX executions_tenant_\w+|PRIMARY KEY) \([^)]*id<\?/, plan);
            }
          }
        }
        for (const fn of [false, true]) {
          for (const status of [false, true]) {
            for (const before of [false, true]) {
              const plan = store.explainList({ function: fn, status, before }).join(' | ');
              assert.match(plan, /USING (INDEX executions_tenant_|PRIMARY KEY \(tenant=\?)/, plan);
              assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
              // A job's runs: by the partial job index, whatever else is filtered.
              const byJob = store.explainList({ function: fn, status, job: true, before }).join(' | ');
              assert.match(byJob, /USING INDEX executions_tenant_job_id \(tenant=\? AND job_id=\?/, byJob);
              assert.doesNotMatch(byJob, /TEMP B-TREE/, byJob);
            }
          }
        }
      } finally {
        await store.close();
      }
    }));
});
