// Writing a key file the server generates into its data dir (admin.key, secret.key), all or
// nothing: the key goes to a temporary file first, which is synced and then linked under its name
// (failing if that name exists: two starts never overwrite each other's key) and synced into the
// directory, so neither a full disk nor a crash (kill -9, a power loss) leaves an empty or
// half-written key file that would stop the next start, or lose the key to stored secrets.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { dataDirReason } from './data-dir.js';
import { AirlockError } from './errors.js';

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Creates `path` (mode 0600) holding `text`, whole and on disk, or throws and leaves nothing
 * behind: STORAGE_FULL for a full disk, the EEXIST error as is when the file appeared meanwhile,
 * CONFIG_INVALID otherwise. `what` names it in messages ("the admin key file").
 */
export function writeNewKeyFile(path: string, text: string, what: string): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      fchmodSync(fd, 0o600); // whatever the umask
      const bytes = Buffer.from(text);
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(temp, path);
  } catch (err) {
    removeQuietly(temp);
    if (errnoOf(err) === 'EEXIST') throw err;
    const code = errnoOf(err);
    throw new AirlockError(
      code === 'ENOSPC' || code === 'EDQUOT' ? 'STORAGE_FULL' : 'CONFIG_INVALID',
      `cannot write ${what} ${path} (${code ?? String(err)}): ${dataDirReason(code, dir)}; ` +
        'fix that and start again (nothing was left behind)',
      { path, errno: code ?? null },
    );
  }
  removeQuietly(temp);
  syncDir(dir);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
}

/** Makes the new name durable (best effort: some file systems cannot sync a directory). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // the name is still there after a crash of the process; only a power loss could drop it
  }
}
