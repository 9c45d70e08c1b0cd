// AIRLOCK_DATABASE_URL: where the server keeps its data. This release supports SQLite in the data
// dir only, so a URL is refused while the configuration is read, before the start writes anything
// (the store refuses one too, for callers that build a configuration by hand).
import { AirlockError } from '../errors.js';
import type { Env } from './env.js';

export function databaseUrlFrom(env: Env, dataDir: string): undefined {
  const raw = env.AIRLOCK_DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1];
  throw new AirlockError(
    'CONFIG_INVALID',
    `AIRLOCK_DATABASE_URL is set${scheme === undefined ? '' : ` (a ${scheme}: URL)`}, but this release supports only SQLite, ` +
      `kept in the data dir (${dataDir}/airlock.db); Postgres support arrives in a later release. ` +
      'Unset AIRLOCK_DATABASE_URL, and point AIRLOCK_DATA_DIR at where the database should live',
    { variable: 'AIRLOCK_DATABASE_URL' },
  );
}
