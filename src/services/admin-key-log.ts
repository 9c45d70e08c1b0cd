// The start's lines about the admin key (services/keys.ts): that one was generated (its file, never
// the key; a warning when it replaced an earlier one), and that AIRLOCK_ADMIN_KEY makes an
// admin.key file beside it ignored.
import type { Logger } from '../core/logger.js';
import type { AdminKey } from './keys.js';

/**
 * The start's lines about the admin key: one made (never the key), a file that is ignored.
 * `replaced`: the data dir already held a database, so a generated key replaces an earlier one.
 * `previousKeys`: how many former admin keys AIRLOCK_ADMIN_KEY_PREVIOUS holds.
 */
export function logAdminKey(adminKey: AdminKey, logger: Pick<Logger, 'info' | 'warn'>, replaced: boolean, previousKeys = 0): void {
  if (previousKeys > 0) {
    logger.info(
      { previousKeys },
      `AIRLOCK_ADMIN_KEY_PREVIOUS: ${previousKeys} former admin key(s) still accepted as the admin key, each request with one ` +
        'logged and counted (airlock_admin_previous_key_requests_total); remove the variable once no client uses them',
    );
  }
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

/** Warnings about a former admin key in use come at most this often, with the count since the last. */
export const PREVIOUS_KEY_WARN_MS = 60_000;

/**
 * Tells the operator that clients still use a former admin key (AIRLOCK_ADMIN_KEY_PREVIOUS): the
 * first request made with one is a warning at once, later ones at most one a minute, each with how
 * many requests there were since the one before.
 */
export class PreviousAdminKeyLog {
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #count: () => void;
  readonly #now: () => number;
  #lastWarnAt = Number.NEGATIVE_INFINITY;
  #since = 0;

  /** `count`: told of every such request (the metric). */
  constructor(logger: Pick<Logger, 'warn'>, count: () => void = () => {}, now: () => number = Date.now) {
    this.#logger = logger;
    this.#count = count;
    this.#now = now;
  }

  /** One request made with a former admin key. */
  used(): void {
    this.#count();
    this.#since++;
    const now = this.#now();
    if (now - this.#lastWarnAt < PREVIOUS_KEY_WARN_MS) return;
    this.#lastWarnAt = now;
    this.#logger.warn(
      { requests: this.#since },
      'requests made with a former admin key (AIRLOCK_ADMIN_KEY_PREVIOUS): move those clients to the current admin key, ' +
        'then remove the variable and restart (airlock_admin_previous_key_requests_total stops growing once none uses it)',
    );
    this.#since = 0;
  }
}
