// The admin key the operator sets (AIRLOCK_ADMIN_KEY; when unset, a long random one is generated
// into <data dir>/admin.key): the key that reaches every tenant must not be guessable. During a
// rotation, former admin keys (AIRLOCK_ADMIN_KEY_PREVIOUS) are still accepted.
import { AirlockError } from '../errors.js';
import type { Env } from './env.js';

/** Fewest characters an admin key may have. */
export const MIN_ADMIN_KEY_LENGTH = 16;

export function adminKeyFrom(env: Env): string | undefined {
  const key = env.AIRLOCK_ADMIN_KEY || undefined;
  if (key !== undefined && key.length < MIN_ADMIN_KEY_LENGTH) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_ADMIN_KEY is ${key.length} characters long; the admin key reaches every tenant, so it needs at least ` +
        `${MIN_ADMIN_KEY_LENGTH}: make a random one with \`openssl rand -hex 32\`, or unset AIRLOCK_ADMIN_KEY ` +
        'to have one generated into <data dir>/admin.key',
    );
  }
  return key;
}

/**
 * Former admin keys still accepted during a rotation (AIRLOCK_ADMIN_KEY_PREVIOUS, comma-separated),
 * each as long as an admin key must be; empty when unset.
 */
export function previousAdminKeysFrom(env: Env): string[] {
  const keys = (env.AIRLOCK_ADMIN_KEY_PREVIOUS ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '');
  keys.forEach((key, i) => {
    if (key.length < MIN_ADMIN_KEY_LENGTH) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `AIRLOCK_ADMIN_KEY_PREVIOUS (entry ${i + 1}) is ${key.length} characters long, shorter than any admin key ` +
          `(at least ${MIN_ADMIN_KEY_LENGTH}); it must hold the former admin key itself, whole`,
      );
    }
  });
  return keys;
}
