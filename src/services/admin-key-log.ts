// The start's lines about the admin key (services/keys.ts): that one was generated (its file, never
// the key; a warning when it replaced an earlier one), and that AIRLOCK_ADMIN_KEY makes an
// admin.key file beside it ignored.
import type { Logger } from '../core/logger.js';
import type { AdminKey } from './keys.js';

/**
 * The start's lines about the admin key: one made (never the key), a file that is ignored.
 * `replaced`: the data dir already held a database, so a generated key replaces an earlier one.
 */
export function logAdminKey(adminKey: AdminKey, logger: Pick<Logger, 'info' | 'warn'>, replaced: boolean): void {
  if (adminKey.generated && !replaced) {
    // A first start: with AIRLOCK_BANNER=off nothing else says where the key is.
    logger.info({ path: adminKey.path }, `generated the admin key into ${adminKey.path ?? ''} (the key is never logged)`);
  } else if (adminKey.generated) {
    // An admin key that changed (its file deleted: a rotation, or a mistake) is worth a warning.
    logger.warn(
      { path: adminKey.path },
      `generated a new admin key into ${adminKey.path ?? ''} (the key is never logged): it is the only admin key now, ` +
        'so a key an earlier start generated no longer works; the CLI on this machine reads the file, other clients need ' +
        'it as AIRLOCK_KEY',
    );
  }
  if (adminKey.ignoredFile !== undefined) {
    logger.warn(
      { path: adminKey.ignoredFile },
      `AIRLOCK_ADMIN_KEY is set, so the admin key file ${adminKey.ignoredFile} is ignored: the admin key is the one in ` +
        'AIRLOCK_ADMIN_KEY. The CLI reads that file when AIRLOCK_KEY is unset and its key is refused (401); delete the file ' +
        '(or unset AIRLOCK_ADMIN_KEY to use it again)',
    );
  }
}
