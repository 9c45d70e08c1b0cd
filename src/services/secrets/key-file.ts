// The secrets master key: AIRLOCK_SECRET_KEY when set, else `<dataDir>/secret.key`, generated
// with mode 0600 on first start. An existing key file that group or others can read is refused.
// The start reads the key first (readSecretKey) and generates one only once it knows nothing in
// the database was sealed with another key (sealed-check.ts).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AirlockError } from '../../core/errors.js';
import { readKeyFile } from '../../core/key-file.js';
import { writeNewKeyFile } from '../../core/new-key-file.js';
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

export function secretKeyPath(dataDir: string): string {
  return join(dataDir, SECRET_KEY_FILE);
}

function readExisting(path: string): Buffer | undefined {
  const text = readKeyFile(path, 'the secrets key file', 'AIRLOCK_SECRET_KEY');
  return text === undefined ? undefined : parseSecretKey(text, `the secrets key file ${path}`);
}

/**
 * The configured key, or the key file's; undefined when neither exists (nothing is written).
 * `previous` (AIRLOCK_SECRET_KEY_PREVIOUS) may not hold that key: a rotation that gave the server
 * no new key would re-seal nothing and still say the old key can go (CONFIG_INVALID).
 */
export function readSecretKey(dataDir: string, configured: Buffer | undefined, previous: readonly Buffer[] = []): SecretKeySource | undefined {
  const path = secretKeyPath(dataDir);
  const existing = configured ? undefined : readExisting(path);
  const found: SecretKeySource | undefined = configured
    ? { key: configured, from: 'env', generated: false, path: undefined }
    : existing === undefined
      ? undefined
      : { key: existing, from: 'file', generated: false, path };
  if (found !== undefined && previous.some((key) => key.equals(found.key))) {
    const where = found.from === 'env' ? 'AIRLOCK_SECRET_KEY' : `the key file ${path}`;
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_SECRET_KEY_PREVIOUS holds the current secrets master key (${where}); it is for former keys only. To rotate, ` +
        'give the server the new key in AIRLOCK_SECRET_KEY and the old one in AIRLOCK_SECRET_KEY_PREVIOUS (docs/secrets.md, "Rotating the key")',
    );
  }
  return found;
}

/** Generates a new key into `<dataDir>/secret.key` (mode 0600); fails if the file appeared meanwhile. */
export function generateSecretKey(dataDir: string): SecretKeySource {
  const path = secretKeyPath(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(SECRET_KEY_BYTES);
  writeNewKeyFile(path, key.toString('base64') + '\n', 'the secrets key file');
  return { key, from: 'file', generated: true, path };
}

/** Returns the master key: the configured one, or the one stored in (or generated into) the data dir. */
export function ensureSecretKey(dataDir: string, configured: Buffer | undefined): SecretKeySource {
  return readSecretKey(dataDir, configured) ?? generateSecretKey(dataDir);
}
