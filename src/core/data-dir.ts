// Makes sure the data dir (AIRLOCK_DATA_DIR) is a directory this process can write, creating it
// (mode 0700) if missing, before anything else touches it: a wrong path then stops the start
// with one message that names the directory and how to fix it, not a raw ENOTDIR or EACCES
// from whichever file happened to be opened first.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { AirlockError } from './errors.js';

const HOW = 'point AIRLOCK_DATA_DIR (or --data-dir) at a directory the server can write; it is created if missing';

export function prepareDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST' || e.code === 'ENOTDIR') {
      throw new AirlockError('CONFIG_INVALID', `the data dir ${dir} is not a directory (it, or a directory above it, is a file); ${HOW}`, { dataDir: dir });
    }
    throw new AirlockError('CONFIG_INVALID', `cannot create the data dir ${dir} (${e.code ?? e.message}); ${HOW}`, { dataDir: dir });
  }
  if (!statSync(dir).isDirectory()) {
    throw new AirlockError('CONFIG_INVALID', `the data dir ${dir} is not a directory; ${HOW}`, { dataDir: dir });
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `the data dir ${dir} is not writable by this user (${(err as NodeJS.ErrnoException).code}); ${HOW}`,
      { dataDir: dir },
    );
  }
}
