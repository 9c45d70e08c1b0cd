// A server refuses to start on a damaged or emptied database file, with DATABASE_CORRUPT and the
// ways to get the data back, instead of a generic CONFIG_INVALID (damaged) or a silent start on a
// new, empty database (emptied); damage found later fails only the requests that read it, with
// DATABASE_CORRUPT and one log line saying what to do. Real server processes on a real SQLite file.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, expectStartRefused, startServerProcess } from '../support/process.js';
import Database from 'better-sqlite3';
import { refuseEmptyDatabase } from '../../src/store/storage-errors.js';

describe('a damaged or emptied database', () => {
  let used: string; // a data dir a server ran on and stopped: airlock.db, secret.key, admin.key
  const dirs: string[] = [];

  /** A copy of the used data dir, with its database file changed by `damage`. */
  function damagedCopy(damage: (db: string) => void): string {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-damaged-'));
    dirs.push(dir);
    for (const f of ['airlock.db', 'secret.key', 'admin.key']) copyFileSync(join(used, f), join(dir, f));
    damage(join(dir, 'airlock.db'));
    return dir;
  }

  before(async () => {
    used = mkdtempSync(join(tmpdir(), 'airlock-used-'));
    dirs.push(used);
    const server = await startServerProcess({ AIRLOCK_DATA_DIR: used });
    const key = readFileSync(join(used, 'admin.key'), 'utf8').trim();
    await apiCall(server.url, key, 'PUT', '/v1/tenants/acme/functions/f', { code: "export default async () => 'x'.repeat(3000)" });
    // Records of about 3 KB each: the executions table spans many pages.
    for (let i = 0; i < 100; i++) await apiCall(server.url, key, 'POST', '/v1/tenants/acme/functions/f/invoke', { input: i });
    assert.equal(await server.stop(), 0); // a graceful stop leaves everything in airlock.db
  });

  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a file whose header is not SQLite\'s: DATABASE_CORRUPT, with the ways back', async () => {
    const dir = damagedCopy((db) => {
      const fd = openSync(db, 'r+');
      writeSync(fd, Buffer.from('not a database!!'), 0, 16, 0);
      closeSync(fd);
    });
    const out = await expectStartRefused({ AIRLOCK_DATA_DIR: dir });
    assert.match(out, new RegExp(`error DATABASE_CORRUPT: the SQLite database ${join(dir, 'airlock.db')} is damaged \\(file is not a database\\)`));
    assert.match(out, /restore the latest backup/);
    assert.match(out, /sqlite3 airlock\.db \.dump \| sed 's\/\^ROLLBACK; -- due to errors\$\/COMMIT;\/' \| sqlite3 recovered\.db/);
  });

  it('a file with garbage in its schema page: DATABASE_CORRUPT', async () => {
    const dir = damagedCopy((db) => {
      const fd = openSync(db, 'r+');
      writeSync(fd, Buffer.alloc(4096 - 100, 0xab), 0, 4096 - 100, 100); // page 1 after the header
      closeSync(fd);
    });
    const out = await expectStartRefused({ AIRLOCK_DATA_DIR: dir });
    assert.match(out, /error DATABASE_CORRUPT: the SQLite database \S+ is damaged \(database disk image is malformed\)/);
  });

  it('a restored copy beside the crashed server\'s -wal: refused, and the file and its -wal left as they were', async () => {
    // The crashed server's log: written by a connection still open (as a killed server leaves it).
    const crashed = mkdtempSync(join(tmpdir(), 'airlock-crashed-'));
    dirs.push(crashed);
    copyFileSync(join(used, 'airlock.db'), join(crashed, 'airlock.db'));
    const live = new Database(join(crashed, 'airlock.db'));
    live.pragma('journal_mode = WAL');
    live.pragma('wal_autocheckpoint = 0');
    live.exec('CREATE TABLE scratch (a)');
    const insert = live.prepare('INSERT INTO scratch VALUES (?)');
    for (let i = 0; i < 2_000; i++) insert.run('x'.repeat(200));
    live.exec('DELETE FROM executions WHERE id IN (SELECT id FROM executions LIMIT 50)');
    // The restore done slightly wrong: a backup (VACUUM INTO: other page numbers) put in place,
    // the crashed server's -wal left beside it.
    const dir = damagedCopy(() => {});
    rmSync(join(dir, 'airlock.db'));
    const backup = new Database(join(used, 'airlock.db'), { readonly: true });
    backup.exec(`VACUUM INTO '${join(dir, 'airlock.db')}'`);
    backup.close();
    copyFileSync(join(crashed, 'airlock.db-wal'), join(dir, 'airlock.db-wal'));
    live.close();
    const before = [readFileSync(join(dir, 'airlock.db')), readFileSync(join(dir, 'airlock.db-wal'))];
    for (let start = 0; start < 2; start++) {
      const out = await expectStartRefused({ AIRLOCK_DATA_DIR: dir });
      assert.match(out, /error DATABASE_CORRUPT: the SQLite database \S+ is damaged/);
      assert.match(out, /-wal/, `start ${start}: the message still names the log file left beside it`);
      assert.ok(readFileSync(join(dir, 'airlock.db')).equals(before[0]!), `start ${start}: the database file was not changed`);
      assert.ok(readFileSync(join(dir, 'airlock.db-wal')).equals(before[1]!), `start ${start}: the -wal is still there, unchanged`);
    }
  });

  it('an emptied file in a data dir used before: refused, not started as a new empty server', async () => {
    const dir = damagedCopy((db) => truncateSync(db, 0));
    const out = await expectStartRefused({ AIRLOCK_DATA_DIR: dir });
    assert.match(out, new RegExp(`error DATABASE_CORRUPT: the SQLite database ${join(dir, 'airlock.db')} is empty \\(0 bytes\\), but this data dir has been used before`));
    assert.equal(statSync(join(dir, 'airlock.db')).size, 0, 'the refusal wrote nothing into the file');
  });

  it('damage the start does not read: the requests that read it answer DATABASE_CORRUPT, the log says what to do once', async () => {
    const dir = damagedCopy((db) => {
      const reader = new Database(db, { readonly: true });
      const leaves = reader.prepare("SELECT pageno FROM dbstat WHERE name = 'executions' AND pagetype = 'leaf'").pluck().all() as number[];
      reader.close();
      assert.ok(leaves.length >= 10, `the executions table has ${leaves.length} leaf pages`);
      const fd = openSync(db, 'r+');
      for (const page of leaves.slice(2, 8)) writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, (page - 1) * 4096);
      closeSync(fd);
    });
    const server = await startServerProcess({ AIRLOCK_DATA_DIR: dir });
    try {
      const key = readFileSync(join(dir, 'admin.key'), 'utf8').trim();
      const list = (): Promise<Response> => fetch(`${server.url}/v1/tenants/acme/executions?limit=500`, { headers: { authorization: `Bearer ${key}` } });
      for (let i = 0; i < 2; i++) {
        const res = await list();
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(res.status, 500);
        assert.equal(body.error.code, 'DATABASE_CORRUPT');
        assert.match(body.error.message, /the server's database is damaged where this request reads it/);
        assert.doesNotMatch(body.error.message, new RegExp(dir), 'a tenant-facing answer names no server path');
      }
      await apiCall(server.url, key, 'GET', '/v1/tenants/acme/functions/f'); // the rest still works
      // The log comes through a pipe and may lag the answers: wait for its line, then count it.
      const log = await server.waitForOutput(/PRAGMA integrity_check/);
      assert.equal(log.split(`the database ${dir}/airlock.db is damaged (`).length - 1, 1, log);
      assert.match(log, /PRAGMA integrity_check/);
      assert.doesNotMatch(log, /unhandled error/);
    } finally {
      await server.stop();
    }
  });

  it('an empty file is a new database where nothing was used before, or while its log holds the data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-empty-'));
    dirs.push(dir);
    const db = join(dir, 'airlock.db');
    writeFileSync(db, '');
    refuseEmptyDatabase(db, join(dir, 'secret.key')); // no key file: a first start
    writeFileSync(join(dir, 'secret.key'), 'k');
    writeFileSync(`${db}-wal`, 'frames');
    refuseEmptyDatabase(db, join(dir, 'secret.key')); // the log beside it holds the pages
    rmSync(`${db}-wal`);
    assert.throws(() => refuseEmptyDatabase(db, join(dir, 'secret.key')), { code: 'DATABASE_CORRUPT' });
  });
});
