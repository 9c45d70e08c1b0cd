// The checks `airlock server` makes before it writes or opens anything, run by `airlock doctor`
// too so its verdict covers them: the data dir must be a directory the server can write (the
// same prepareDataDir; a directory it had to create is removed again, so the doctor leaves
// nothing behind), what it holds must be usable (doctor-data-checks.ts: the database and the key
// files), the server's address must be free to listen on (the same probeListen), and its cgroup
// root must not be another running server's (the same mark the start checks: cgroup/root-owner.ts).
import { rmdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { probeListen } from '../../api/listen-error.js';
import type { Config } from '../../core/config.js';
import { exists, prepareDataDir } from '../../core/data-dir.js';
import { cgroupStatus } from '../../sandbox/cgroup/index.js';
import { kernelFs } from '../../sandbox/cgroup/fs.js';
import { liveOwner, rootInUse } from '../../sandbox/cgroup/root-owner.js';
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

/**
 * Whether another running server marks the cgroup root (the start refuses then); nothing when the
 * server would use no cgroups (the isolation rows above say why).
 */
function cgroupRootCheck(config: Pick<Config, 'cgroups'> & { sandbox: Pick<Config['sandbox'], 'isolator'> }): StartCheck[] {
  if (config.sandbox.isolator !== 'bwrap' || config.cgroups.mode === 'off') return [];
  const status = cgroupStatus(config.cgroups);
  if (!status.ok || status.groups === undefined) return [];
  const owner = liveOwner(kernelFs, status.groups);
  if (owner !== undefined) return [{ check: 'cgroup root', ok: false, detail: rootInUse(config.cgroups.root, owner).message }];
  return [{ check: 'cgroup root', ok: true, detail: `AIRLOCK_CGROUP_ROOT=${config.cgroups.root} is used by no running server` }];
}

/** Runs the server's pre-start checks against `config` (what the data dir holds only when it is usable). */
export async function startChecks(
  config: Pick<Config, 'dataDir' | 'host' | 'port' | 'adminKey' | 'cgroups'> & {
    secrets: Pick<Config['secrets'], 'key' | 'previousKeys'>;
    sandbox: Pick<Config['sandbox'], 'isolator'>;
  },
): Promise<StartCheck[]> {
  const dataDir = dataDirCheck(config.dataDir);
  const listen = await listenCheck(config.host, config.port);
  if (!dataDir.ok) return [dataDir, listen, ...cgroupRootCheck(config)];
  const database = databaseCheck(config);
  return [dataDir, database, await keyFilesCheck(config, database.ok), listen, ...cgroupRootCheck(config)];
}
