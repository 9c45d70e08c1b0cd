// The secrets master key: AIRLOCK_SECRET_KEY when set, else `<dataDir>/secret.key`, generated
// with mode 0600 on first start. An existing key file that group or others can read is refused.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKeyFile } from '../../core/key-file.js';
import { parseSecretKey, SECRET_KEY_BYTES } from '../../core/secret-key.js';

export const SECRET_KEY_FILE = 'secret.key';

export interface SecretKeySource {
  key: Buffer;
  /** 'env' for AIRLOCK_SECRET_KEY, else the key file. */
  from: 'env' | 'file';
  /** True when this start generated the key file. */
  generated: boolean;
  path: string | undefined;
}

function readExisting(path: string): Buffer | undefined {
  const text = readKeyFile(path, 'the secrets key file', 'AIRLOCK_SECRET_KEY');
  return text === undefined ? undefined : parseSecretKey(text, `the secrets key file ${path}`);
}

/** Returns the master key: the configured one, or the one stored in (or generated into) the data dir. */
export function ensureSecretKey(dataDir: string, configured: Buffer | undefined): SecretKeySource {
  if (configured) return { key: configured, from: 'env', generated: false, path: undefined };
  const path = join(dataDir, SECRET_KEY_FILE);
  const existing = readExisting(path);
  if (existing) return { key: existing, from: 'file', generated: false, path };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(SECRET_KEY_BYTES);
  writeFileSync(path, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, from: 'file', generated: true, path };
}
