// ClaimFailureLog: the job worker's failed claims, with real SQLite errors (a database at its
// size limit answers SQLITE_FULL as a full disk does; a damaged file SQLITE_CORRUPT). A full disk
// or a damaged file is logged once per window with what to do and no stack, and one line counts
// the claims that failed after it, instead of a warn line with a stack at every poll; checked
// also on a real server whose queue index is damaged.
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { ClaimFailureLog } from '../../../src/services/jobs/claim-failure-log.js';
import { captureLog } from '../../support/log-capture.js';
import { startTestServer } from '../../support/server.js';

const dir = mkdtempSync(join(tmpdir(), 'airlock-claim-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The error SQLite gives a write that needs a page the database may not have. */
function realFullError(): unknown {
  const db = new Database(join(dir, 'full.db'));
  try {
    db.exec('CREATE TABLE t (v TEXT)');
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(64 * 1024));
  } catch (err) {
    return err;
  } finally {
    db.close();
  }
  throw new Error('the write did not fail');
}

/** The error SQLite gives a read of a damaged page. */
function realDamagedError(): unknown {
  const file = join(dir, 'damaged.db');
  const db = new Database(file);
  db.exec('CREATE TABLE t (v TEXT)');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  for (let i = 0; i < 200; i++) insert.run('x'.repeat(500));
  db.close();
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, 4096 * 3);
  closeSync(fd);
  const again = new Database(file);
  try {
    again.prepare('SELECT count(*), max(length(v)) FROM t').get();
  } catch (err) {
    return err;
  } finally {
    again.close();
  }
  throw new Error('the read did not fail');
}

function harness() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const push = (level: string) => (obj: object, msg: string) => lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const log = new ClaimFailureLog({ warn: push('warn'), error: push('error') }, '/srv/airlock', { now: () => 0 });
  return { log, lines };
}

test('claims failing on a full disk are logged once with how to make room, then counted', () => {
  const err = realFullError();
  assert.equal((err as { code?: string }).code, 'SQLITE_FULL');
  const { log, lines } = harness();
  for (let i = 0; i < 20; i++) log.note(err);
  assert.equal(lines.length, 1, 'one line for 20 failed claims, not one per poll');
  assert.equal(lines[0]!.level, 'error');
  assert.equal(lines[0]!.obj.claimFailure, 'full');
  assert.match(lines[0]!.msg, /^the disk of the data dir \/srv\/airlock is full \(.+\): no job, webhook delivery or scheduled run starts/);
  assert.match(lines[0]!.msg, /df -h \/srv\/airlock/);
  assert.doesNotMatch(JSON.stringify(lines[0]), /\n\s+at /, 'no stack trace');
  log.close();
  assert.equal(lines.length, 2);
  assert.equal(lines[1]!.obj.suppressed, 19);
  assert.match(lines[1]!.msg, /^19 more job claims failed in the last 0 s \(the disk of the data dir \/srv\/airlock is full\)$/);
});

test('claims failing on a damaged database are logged once with how to check and repair it', () => {
  const err = realDamagedError();
  assert.match(String((err as { code?: string }).code), /^SQLITE_CORRUPT/);
  const { log, lines } = harness();
  for (let i = 0; i < 5; i++) log.note(err);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'error');
  assert.match(lines[0]!.msg, /^the database \/srv\/airlock\/airlock\.db is damaged where the job queue reads it/);
  assert.match(lines[0]!.msg, /PRAGMA integrity_check/);
  assert.match(lines[0]!.msg, /A damaged or emptied database/);
  assert.doesNotMatch(JSON.stringify(lines[0]), /\n\s+at /, 'no stack trace');
  log.close();
  assert.match(lines[1]!.msg, /^4 more job claims failed .*the database in \/srv\/airlock is damaged/);
});

test('any other failure keeps its error (and stack) for diagnosis, bounded the same way', () => {
  const { log, lines } = harness();
  const err = new Error('something else');
  for (let i = 0; i < 3; i++) log.note(err);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'warn');
  assert.equal(lines[0]!.obj.err, err);
  assert.equal(lines[0]!.msg, 'could not claim jobs; retrying at the next poll');
  log.close();
  assert.match(lines[1]!.msg, /^2 more job claims failed/);
});

test('a server whose job queue index is damaged logs it once with the fix, not a stack at every poll', async () => {
  const dataDir = join(dir, 'server');
  const first = await startTestServer({ AIRLOCK_DATA_DIR: dataDir });
  await first.close();
  // Damage the index the claim's scan of expired leases reads (the start does not read it).
  const file = join(dataDir, 'airlock.db');
  const db = new Database(file);
  const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'queue_items_leases'").get() as { rootpage: number };
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (rootpage - 1) * pageSize);
  closeSync(fd);
  const logs = captureLog();
  const server = await startTestServer({ AIRLOCK_DATA_DIR: dataDir, AIRLOCK_JOB_POLL_MS: '20' }, {}, logs.logger);
  try {
    await logs.waitFor((l) => l.claimFailure === 'damaged', 'the damaged-database line');
    // Polls every 20 ms keep failing meanwhile; the next few dozen are counted, not logged.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const claimLines = logs.lines().filter((l) => /claim/.test(l.msg));
    assert.equal(claimLines.length, 1, claimLines.map((l) => l.msg).join('\n'));
    assert.equal(claimLines[0]!.level, 50);
    assert.match(claimLines[0]!.msg, /is damaged where the job queue reads it .*PRAGMA integrity_check/);
  } finally {
    await server.close();
  }
  // At the stop, one line counts the failed claims that were not logged.
  assert.ok(logs.lines().some((l) => l.claimFailure === 'damaged' && typeof l.suppressed === 'number' && /^\d+ more job claims failed/.test(l.msg)));
});

test('says claims are failing while the last one failed, and no longer once one works (GET /healthz)', () => {
  const { log } = harness();
  assert.equal(log.problem, undefined);
  log.note(new Error('database or disk is full'));
  log.note(new Error('database or disk is full'));
  assert.match(log.problem ?? '', /^claiming jobs failed 2 times in a row \(database or disk is full\): no job, webhook delivery or scheduled run starts/);
  log.claimed();
  assert.equal(log.problem, undefined);
  log.close();
});
