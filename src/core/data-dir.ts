// Makes sure the data dir (AIRLOCK_DATA_DIR) is a directory this process can write, creating it
// (mode 0700) if missing, before anything else touches it: a wrong path then stops the start
// with one message that names the directory, the errno the kernel gave and how to fix it, not a
// raw ENOTDIR or EACCES from whichever file happened to be opened first.
//
// Missing parents are created one level at a time (Node's recursive mkdir loops forever on a
// path below /proc, whose mkdir answers ENOENT, and reports ENOENT for EROFS), and writability is
// proved by creating and removing a file: access() says yes to root where the file system still
// says no (/sys).
import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readlinkSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AirlockError } from './errors.js';

const HOW = 'point AIRLOCK_DATA_DIR (or --data-dir) at a directory the server can write; it is created if missing';

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Why creating something in `where` failed, in words, for the errnos that can happen there. */
export function dataDirReason(code: string | undefined, where: string, uid = process.getuid?.()): string {
  switch (code) {
    case 'EROFS':
      return `${where} is on a read-only file system`;
    case 'EACCES':
    case 'EPERM':
      return uid === 0
        ? `even root may not create files in ${where} (a kernel file system such as /proc or /sys, or a mount that refuses writes)`
        : `this user (uid ${uid ?? '?'}) may not create files in ${where}`;
    case 'ENOENT':
      return `${where} is missing or does not allow creating anything in it (a kernel file system such as /proc or /sys, or a symbolic link to nowhere)`;
    case 'ENOSPC':
      return `no space left on the device that holds ${where}`;
    case 'EDQUOT':
      return `this user's disk quota on the device that holds ${where} is used up`;
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'ELOOP':
      return 'the path has too many levels of symbolic links';
    default:
      return `the kernel refused (${code ?? 'unknown error'})`;
  }
}

function notADirectory(dir: string): AirlockError {
  return new AirlockError('CONFIG_INVALID', `the data dir ${dir} is not a directory (it, or a directory above it, is a file); ${HOW}`, { dataDir: dir });
}

/** The target of `path` when it is a symbolic link (one that points nowhere, since mkdir failed), else undefined. */
function linkTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}

function cannotCreate(dir: string, err: unknown, path: string): AirlockError {
  const code = errnoOf(err);
  if (code === 'ENOTDIR') return notADirectory(dir);
  // A symbolic link to nowhere, at the path or just above it: name the link and its target.
  for (const link of code === 'EEXIST' || code === 'ENOENT' ? [path, dirname(path)] : []) {
    const target = linkTarget(link);
    if (target === undefined) continue;
    return new AirlockError(
      'CONFIG_INVALID',
      `cannot create the data dir ${dir}: ${link} is a symbolic link to ${target}, which does not exist; create ${target}, or remove the link; ${HOW}`,
      { dataDir: dir, errno: code },
    );
  }
  return new AirlockError('CONFIG_INVALID', `cannot create the data dir ${dir} (${code ?? String(err)}): ${dataDirReason(code, dirname(path))}; ${HOW}`, {
    dataDir: dir,
    errno: code,
  });
}

/**
 * Creates `path` (absolute) unless it exists, its missing parents first, one level at a time:
 * each step is a strictly shorter path, so it ends. Throws CONFIG_INVALID naming `dir`.
 */
function makeDir(dir: string, path: string): void {
  try {
    mkdirSync(path, { mode: 0o700 });
    return;
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'EEXIST') return; // whether it is a directory is checked once, at the end
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path || exists(parent)) throw cannotCreate(dir, err, path);
    makeDir(dir, parent);
  }
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw cannotCreate(dir, err, path);
  }
}

/** Whether anything is at `path` (a file, a directory, anything stat can see). */
export function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Creates and removes a file in `dir`: the one test of writability the file system cannot fake. */
function probeWrite(dir: string, absolute: string): void {
  const probe = join(absolute, `.write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
    unlinkSync(probe);
  } catch (err) {
    const code = errnoOf(err);
    throw new AirlockError('CONFIG_INVALID', `the data dir ${dir} is not writable (${code ?? String(err)}): ${dataDirReason(code, dir)}; ${HOW}`, {
      dataDir: dir,
      errno: code,
    });
  }
}

export function prepareDataDir(dir: string): void {
  const absolute = resolve(dir);
  makeDir(dir, absolute);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch (err) {
    throw cannotCreate(dir, err, absolute);
  }
  if (!isDirectory) throw notADirectory(dir);
  probeWrite(dir, absolute);
}
