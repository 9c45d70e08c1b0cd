// `airlock doctor`'s look at what the data dir already holds, read only (nothing is written and the
// database is opened read-only, so it may run beside a server): the start's refusals of an
// emptied database, a damaged one, one a newer Airlock wrote, key files it cannot use, and a
// missing secrets key while the database holds values sealed with one, with the same messages;
// and before an upgrade, the schema versions the next start migrates between.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../../core/config.js';
import { adminKeyPath, ensureAdminKey } from '../../services/keys.js';
import { readSecretKey, secretKeyPath } from '../../services/secrets/key-file.js';
import { refuseToReplaceLostKey } from '../../services/secrets/sealed-check.js';
import type { SealedValues } from '../../services/secrets/sealed-check.js';
import { SQLITE_FILE } from '../../store/index.js';
import { newerSchema } from '../../store/sqlite/migrate.js';
import { MIGRATIONS } from '../../store/sqlite/migrations/index.js';
import { readSchemaVersion } from '../../store/sqlite/read-only-probe.js';
import { databaseDamaged, isDatabaseDamaged, refuseEmptyDatabase } from '../../store/storage-errors.js';
import type { StartCheck } from './start-check.js';

type DataConfig = Pick<Config, 'dataDir' | 'adminKey'> & { secrets: Pick<Config['secrets'], 'key' | 'previousKeys'> };

function failed(check: StartCheck['check'], err: unknown): StartCheck {
  return { check, ok: false, detail: err instanceof Error ? err.message : String(err) };
}

export function databaseCheck(config: Pick<Config, 'dataDir'>): StartCheck {
  const file = join(config.dataDir, SQLITE_FILE);
  const known = MIGRATIONS.length;
  const ok = (detail: string): StartCheck => ({ check: 'database', ok: true, detail });
  if (!existsSync(file)) return ok(`no database yet: the server creates ${file} (schema version ${known})`);
  try {
    refuseEmptyDatabase(file, secretKeyPath(config.dataDir));
    const version = readSchemaVersion(file);
    if (version > known) throw newerSchema(version, known);
    if (version === 0) return ok(`${file} holds no Airlock schema yet: the server creates it (version ${known})`);
    if (version < known) {
      return ok(
        `${file} is at schema version ${version}: the server upgrades it to ${known} when it starts, and an older ` +
          'Airlock then refuses it; take an online backup first (README, Upgrading)',
      );
    }
    return ok(`${file} is at schema version ${version}, this Airlock's`);
  } catch (err) {
    return failed('database', isDatabaseDamaged(err) ? databaseDamaged(file, err) : err);
  }
}

/**
 * The database's sealed values, read-only (tables an older schema lacks hold none), for the start's
 * refusal to make a new secrets key while values sealed with a lost one exist.
 */
function sealedValues(file: string): SealedValues & { close(): void } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const read = (table: string) => async (): Promise<{ sealed: Buffer }[]> => {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
    return exists ? (db.prepare(`SELECT sealed FROM ${table}`).all() as { sealed: Buffer }[]) : [];
  };
  return { allSecrets: read('secrets'), allWebhooks: read('webhooks'), close: () => db.close() };
}

/** `databaseReadable`: the database check passed (a damaged file is that check's to report). */
export async function keyFilesCheck(config: DataConfig, databaseReadable: boolean): Promise<StartCheck> {
  try {
    const secret = readSecretKey(config.dataDir, config.secrets.key, config.secrets.previousKeys);
    const file = join(config.dataDir, SQLITE_FILE);
    if (secret === undefined && databaseReadable && existsSync(file)) {
      // No key to open what the database holds: the start refuses to make a new one (a restore
      // without secret.key), with the same message.
      const sealed = sealedValues(file);
      try {
        await refuseToReplaceLostKey(sealed, secretKeyPath(config.dataDir), config.secrets.previousKeys);
      } finally {
        sealed.close();
      }
    }
    const adminPath = adminKeyPath(config.dataDir);
    // Read (and checked) only when it exists: ensureAdminKey writes a new key when it does not.
    const admin = config.adminKey === undefined && existsSync(adminPath) ? ensureAdminKey(config.dataDir, undefined) : undefined;
    const secretText = secret === undefined ? 'no secrets key yet (generated at the first start)' : secret.from === 'env' ? 'secrets key from AIRLOCK_SECRET_KEY' : `${secret.path} is usable`;
    const adminText = config.adminKey !== undefined ? 'admin key from AIRLOCK_ADMIN_KEY' : admin === undefined ? 'no admin key yet (generated at the first start)' : `${adminPath} is usable`;
    return { check: 'key files', ok: true, detail: `${secretText}; ${adminText}` };
  } catch (err) {
    return failed('key files', err);
  }
}
