// The checks `airlock server` makes before it writes or opens anything, run by `airlock doctor`
// too so its verdict covers them: the data dir must be a directory the server can write (the
// same prepareDataDir; a directory it had to create is removed again, so the doctor leaves
// nothing behind), what it holds must be usable (doctor-data-checks.ts: the database and the key
// files) and the server's address must be free to listen on (the same probeListen).
import { rmdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { probeListen } from '../../api/listen-error.js';
import type { Config } from '../../core/config.js';
import { exists, prepareDataDir } from '../../core/data-dir.js';
import { databaseCheck, keyFilesCheck } from './doctor-data-checks.js';
import type { StartCheck } from './start-check.js';

/** The directories prepareDataDir would create for `dir`, deepest first. */
function missingDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let path = resolve(dir); !exists(path) && dirname(path) !== path; path = dirname(path)) missing.push(path);
  return missing;
}

function dataDirCheck(dir: string): StartCheck {
  const missing = missingDirs(dir);
  try {
    prepareDataDir(dir);
  } catch (err) {
    return { check: 'data dir', ok: false, detail: err instanceof Error ? err.message : String(err) };
  } finally {
    for (const path of missing) {
      try {
        rmdirSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // not created (the check failed first)
        break; // no longer empty: left as it is, with what is above it
      }
    }
  }
  const made = missing.length > 0 ? ' (missing now: the server creates it, mode 700)' : '';
  return { check: 'data dir', ok: true, detail: `${resolve(dir)} can hold the server's files${made}` };
}

async function listenCheck(host: string, port: number): Promise<StartCheck> {
  try {
    await probeListen(host, port);
    return { check: 'listen', ok: true, detail: `${host}:${port} is free to listen on` };
  } catch (err) {
    return { check: 'listen', ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

/** Runs the server's pre-start checks against `config` (what the data dir holds only when it is usable). */
export async function startChecks(
  config: Pick<Config, 'dataDir' | 'host' | 'port' | 'adminKey'> & { secrets: Pick<Config['secrets'], 'key' | 'previousKeys'> },
): Promise<StartCheck[]> {
  const dataDir = dataDirCheck(config.dataDir);
  if (!dataDir.ok) return [dataDir, await listenCheck(config.host, config.port)];
  const database = databaseCheck(config);
  return [dataDir, database, await keyFilesCheck(config, database.ok), await listenCheck(config.host, config.port)];
}
