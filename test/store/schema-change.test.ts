// The start's line about the database schema, from a real server on a real SQLite file: created
// on a new data dir, upgraded (from which version, by which migrations) on a database an older
// Airlock wrote, and nothing on a start that changed nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from '../../src/store/index.js';
import { applyMigrations } from '../../src/store/sqlite/migrate.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { captureLog } from '../support/log-capture.js';
import { startTestServer } from '../support/server.js';

const LATEST = MIGRATIONS.length;
const schemaLines = (lines: { msg: string }[]): string[] => lines.map((l) => l.msg).filter((m) => /database schema/.test(m));

async function startAndStop(dataDir: string): Promise<{ msg: string; [k: string]: unknown }[]> {
  const log = captureLog('info');
  const server = await startTestServer({ AIRLOCK_DATA_DIR: dataDir }, {}, log.logger);
  await server.close();
  return log.lines().filter((l) => /database schema/.test(l.msg));
}

test('a new data dir: the schema is created, and a restart says nothing about it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-schema-'));
  try {
    const first = await startAndStop(dataDir);
    assert.deepEqual(schemaLines(first), [`created the database schema (version ${LATEST})`]);
    assert.equal(first[0]!.schemaVersion, LATEST);
    assert.deepEqual(await startAndStop(dataDir), []);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a database an older Airlock wrote: the start names the versions and the migrations it applied', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-schema-'));
  try {
    const old = new Database(join(dataDir, SQLITE_FILE));
    applyMigrations(old, MIGRATIONS.slice(0, LATEST - 2));
    old.close();
    const lines = await startAndStop(dataDir);
    const applied = MIGRATIONS.slice(LATEST - 2).map((m) => `${m.version} ${m.name}`).join(', ');
    assert.deepEqual(schemaLines(lines), [
      `upgraded the database schema from version ${LATEST - 2} to ${LATEST} (${applied}); an older Airlock now refuses this database`,
    ]);
    assert.deepEqual([lines[0]!.previousSchemaVersion, lines[0]!.schemaVersion, lines[0]!.migrations], [LATEST - 2, LATEST, [LATEST - 1, LATEST]]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
