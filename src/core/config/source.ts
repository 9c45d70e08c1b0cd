// Configuration of a function's source size (AIRLOCK_MAX_SOURCE_BYTES, AIRLOCK_MAX_BUNDLE_BYTES;
// docs/configuration.md, Limits): a plain module may be up to the first, a deploy that says it is
// a bundle (`"bundle": true`: a bundler's output with its dependencies) up to the second.
import { AirlockError } from '../errors.js';
import { KiB, MiB } from '../limits.js';
import { int } from './env.js';
import type { Env } from './env.js';

export interface SourceConfig {
  /** Largest accepted function source, bytes (UTF-8). */
  maxSourceBytes: number;
  /** Largest accepted source of a deploy with `bundle: true`, bytes (UTF-8); never below maxSourceBytes. */
  maxBundleBytes: number;
}

export function sourceFrom(env: Env): SourceConfig {
  const maxSourceBytes = int(env, 'AIRLOCK_MAX_SOURCE_BYTES', 256 * KiB, 1);
  // Unset, it follows a source limit raised above 5 MiB (as operators did for bundles before
  // there was a bundle limit), so such a configuration keeps starting and deploying as it did.
  const maxBundleBytes = int(env, 'AIRLOCK_MAX_BUNDLE_BYTES', Math.max(5 * MiB, maxSourceBytes), 1);
  if (maxBundleBytes < maxSourceBytes) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `AIRLOCK_MAX_BUNDLE_BYTES (${maxBundleBytes}) is below AIRLOCK_MAX_SOURCE_BYTES (${maxSourceBytes}), but a bundle ` +
        `may always be as large as any other source; raise AIRLOCK_MAX_BUNDLE_BYTES to at least ${maxSourceBytes}, ` +
        'lower AIRLOCK_MAX_SOURCE_BYTES, or unset AIRLOCK_MAX_BUNDLE_BYTES (default 5 MiB, or AIRLOCK_MAX_SOURCE_BYTES when that is larger)',
    );
  }
  return { maxSourceBytes, maxBundleBytes };
}
