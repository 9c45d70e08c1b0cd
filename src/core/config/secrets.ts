// Configuration of per-tenant secrets (AIRLOCK_SECRET_*): the master key and former keys (values
// encrypted at rest with one master key), and the size and count caps.
import { KiB } from '../limits.js';
import { parseSecretKey } from '../secret-key.js';
import { int } from './env.js';
import type { Env } from './env.js';

/** Per-tenant secrets (values encrypted at rest with one master key). */
export interface SecretsConfig {
  /** Master key from AIRLOCK_SECRET_KEY; undefined: use (or generate) <dataDir>/secret.key. */
  key: Buffer | undefined;
  /** Former master keys (AIRLOCK_SECRET_KEY_PREVIOUS, comma-separated): values sealed with them are re-sealed at start. */
  previousKeys: Buffer[];
  /** Largest secret value, bytes of UTF-8. */
  maxValueBytes: number;
  /** Most hosts one secret may be bound to. */
  maxHosts: number;
  /** Most secrets one tenant may hold. */
  maxPerTenant: number;
}

export function secretsFrom(env: Env): SecretsConfig {
  const rawKey = env.AIRLOCK_SECRET_KEY;
  return {
    key: rawKey ? parseSecretKey(rawKey, 'AIRLOCK_SECRET_KEY') : undefined,
    previousKeys: (env.AIRLOCK_SECRET_KEY_PREVIOUS ?? '')
      .split(',')
      .filter((k) => k.trim() !== '')
      .map((k, i) => parseSecretKey(k, `AIRLOCK_SECRET_KEY_PREVIOUS (entry ${i + 1})`)),
    maxValueBytes: int(env, 'AIRLOCK_SECRET_MAX_BYTES', 8 * KiB, 1),
    maxHosts: int(env, 'AIRLOCK_SECRET_MAX_HOSTS', 16, 1),
    maxPerTenant: int(env, 'AIRLOCK_SECRETS_PER_TENANT', 100, 1),
  };
}
