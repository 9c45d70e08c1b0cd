// What the database's own failures mean to the operator: a full disk (SQLITE_FULL, ENOSPC,
// EDQUOT) refuses the one write with STORAGE_FULL and the server recovers by itself once space
// returns; a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB) or an emptied one stops the start with
// DATABASE_CORRUPT and the ways to get the data back, instead of a raw SQLite message, and a
// damaged part found later fails the requests that read it with DATABASE_CORRUPT.
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { AirlockError } from '../core/errors.js';

/** Seconds a client is asked to wait before sending a write refused for a full disk again. */
export const STORAGE_FULL_RETRY_AFTER_SECONDS = 30;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for the errors a full disk (or a used-up quota) gives a write to the database. */
export function isStorageFull(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}

/** True for the errors SQLite gives for a file that is damaged or is not a database. */
export function isDatabaseDamaged(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/**
 * The answer to a request whose write the full disk refused. It names no path (tenants read it);
 * the server's log names the data dir.
 */
export function storageFull(): AirlockError {
  return new AirlockError(
    'STORAGE_FULL',
    "the server's storage is full, so nothing of this request was stored; send it again later " +
      `(Retry-After: ${STORAGE_FULL_RETRY_AFTER_SECONDS} s). The operator frees space on the disk of the server's ` +
      'data dir; the server takes writes again as soon as there is space, without a restart',
    { retryAfterSeconds: STORAGE_FULL_RETRY_AFTER_SECONDS },
  );
}

/** What the operator does about a full data-dir disk while the server runs (the failure logs say it). */
export function makeRoomAdvice(dataDir: string): string {
  return `Free space on that disk (df -h ${dataDir}) or grow it`;
}

/** What the operator does about a damaged database found while the server runs (the failure logs say it). */
export const REPAIR_ADVICE =
  'Stop the server, keep a copy of the data dir, check the file with `sqlite3 airlock.db "PRAGMA integrity_check"`, ' +
  'then restore the latest backup or salvage what is readable (README, "A damaged or emptied database")';

/** The start could not open or migrate the database because its disk is full. */
export function storageFullAtStart(file: string, err: unknown): AirlockError {
  const detail = err instanceof Error ? err.message : String(err);
  return new AirlockError(
    'STORAGE_FULL',
    `cannot open the SQLite database ${file} (${detail}): the disk that holds the data dir is full. ` +
      `Free space on it (df -h ${dirname(file)}) and start again; the database is not damaged by this`,
    { file },
  );
}

/**
 * The answer to a request that read a damaged part of the database. It names no path (tenants
 * read it); the server's log says what to do.
 */
export function damagedAtRuntime(): AirlockError {
  return new AirlockError(
    'DATABASE_CORRUPT',
    "the server's database is damaged where this request reads it, so it cannot be answered; the operator " +
      "repairs it (the server's log says how). Other requests may still work",
  );
}

const RECOVER =
  'Airlock will not start on it, so nothing more is lost. Stop here and keep a copy of the data dir as it is, then ' +
  'either restore the latest backup into it, or salvage the rows SQLite can still read into a new file and put it ' +
  'in place of airlock.db: `sqlite3 airlock.db .dump | sed \'s/^ROLLBACK; -- due to errors$/COMMIT;/\' | sqlite3 recovered.db` ' +
  '(rows on damaged pages are lost); keep secret.key and admin.key. Step by step: README, "A damaged or emptied database"';

/**
 * Added when a log is left beside a damaged file: a copy put in place of airlock.db (a
 * restore, often after a crash) next to the old database's -wal has that log applied to it by
 * SQLite, which reads as damage; restoring the same way again fails the same way.
 */
function leftoverLogAdvice(file: string): string {
  if ((sizeOf(`${file}-wal`) ?? 0) === 0) return '';
  return (
    `. First, though: if ${file} was just put in place of the old one (a restore), the database log beside it (${file}-wal, with ` +
    `${file}-shm) is the old database's and SQLite applied it to the copy: with the server stopped, remove those two ` +
    'files and put the copy in place again'
  );
}

/** The start found the database file damaged: what SQLite said, and how to get the data back. */
export function databaseDamaged(file: string, err: unknown): AirlockError {
  const detail = err instanceof Error ? err.message : String(err);
  return new AirlockError('DATABASE_CORRUPT', `the SQLite database ${file} is damaged (${detail}). ${RECOVER}${leftoverLogAdvice(file)}`, {
    file,
    sqliteCode: codeOf(err) ?? null,
  });
}

/**
 * Refuses an empty database file (0 bytes, no log beside it) in a data dir that has been used
 * before, which `usedBefore` (a file an earlier start wrote, e.g. secret.key) proves: SQLite would
 * take it for a new database and the server would start with no functions, jobs or keys.
 * A first start never leaves the file empty once it has made `usedBefore`.
 */
export function refuseEmptyDatabase(file: string, usedBefore: string): void {
  if (!existsSync(usedBefore) || sizeOf(file) !== 0 || (sizeOf(`${file}-wal`) ?? 0) > 0) return;
  throw new AirlockError(
    'DATABASE_CORRUPT',
    `the SQLite database ${file} is empty (0 bytes), but this data dir has been used before (${usedBefore} exists): ` +
      'started on it, the server would have no functions, jobs, keys or secrets. The file was truncated or replaced ' +
      '(a restore copied onto a full disk, a tool that emptied it). Restore the latest backup into the data dir ' +
      '(README, "A damaged or emptied database"). To start over on purpose with an empty database, delete the empty file',
    { file },
  );
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}
