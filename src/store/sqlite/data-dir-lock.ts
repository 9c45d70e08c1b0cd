// One server per data dir. Two servers on the same SQLite data dir would each cache function
// versions the other changes, and each sweep the other's cgroups at start. The lock is an
// exclusive SQLite lock on `server.lock` held for the server's life: the kernel drops it when
// the process ends however it ends (kill -9 included), so there is no stale lock to clean up.
// `server.pid` beside it only names the holder in the refusal.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AirlockError } from '../../core/errors.js';

export interface DataDirLock {
  /** Lets another server use the data dir. Idempotent. */
  release(): void;
}

export function lockDataDir(dir: string): DataDirLock {
  const db = new Database(join(dir, 'server.lock'), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    throw new AirlockError(
      'DATA_DIR_IN_USE',
      `another Airlock server${holder(dir)} is using the data dir ${dir}; stop it first, or give this server ` +
        'a data dir of its own with AIRLOCK_DATA_DIR (or --data-dir)',
      { dataDir: dir },
    );
  }
  writeFileSync(join(dir, 'server.pid'), `${process.pid}\n`);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      db.close();
    },
  };
}

/** " (pid N)" from the holder's server.pid, or nothing when that file is missing or odd. */
function holder(dir: string): string {
  try {
    const pid = readFileSync(join(dir, 'server.pid'), 'utf8').trim();
    return /^\d+$/.test(pid) ? ` (pid ${pid})` : '';
  } catch {
    return '';
  }
}
