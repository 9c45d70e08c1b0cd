// Naming a function version: by its whole content hash (64 hex characters, as deploy answers it)
// or by a unique prefix of it of at least 8 characters, as module names and stack traces show it
// (`errs.99dd818629d6.mjs`). The store finds the versions a prefix names (a key range); this
// module says which strings are prefixes and words the errors for a prefix that names no single
// version (VERSION_AMBIGUOUS; VERSION_NOT_FOUND, also for a prefix too short to look up).
// Answers and records always carry the whole hash.
import { AirlockError } from '../core/errors.js';
import { listHint } from './names.js';

/** Fewest hex characters that name a version by prefix. */
export const MIN_VERSION_PREFIX = 8;
/** Length of a whole version hash (sha256 hex). */
export const VERSION_HASH_LENGTH = 64;
/** Candidates an ambiguous prefix's error lists at most. */
export const AMBIGUOUS_SHOWN = 5;

/** The prefix `version` is, lowercased, when it is hex of 1 to 64 characters; else undefined. */
export function hexPrefix(version: string): string | undefined {
  return version.length <= VERSION_HASH_LENGTH && /^[0-9a-f]+$/i.test(version) ? version.toLowerCase() : undefined;
}

/** How a version may be named, for messages. */
export const VERSION_NAMING = `A version is the content hash deploy answered (${VERSION_HASH_LENGTH} hex characters) or a unique prefix of it of at least ${MIN_VERSION_PREFIX}`;

function versionsHint(tenant: string, name: string): string {
  return listHint(`airlock functions ${tenant}/${name} --versions`, `/v1/tenants/${tenant}/functions/${name}/versions`);
}

/** VERSION_AMBIGUOUS: a prefix several versions start with (`candidates`: the first few of them, in order). */
export function prefixAmbiguous(tenant: string, name: string, prefix: string, candidates: string[]): AirlockError {
  const shown = candidates.slice(0, AMBIGUOUS_SHOWN);
  const more = candidates.length > AMBIGUOUS_SHOWN ? ' and more' : '';
  return new AirlockError(
    'VERSION_AMBIGUOUS',
    `version "${prefix}" of function ${tenant}/${name} is ambiguous: ${shown.join(', ')}${more} start with it; ` +
      `give more characters of the one you mean (or its whole hash); ${versionsHint(tenant, name)}`,
    { tenant, function: name, candidates: shown },
  );
}

/**
 * VERSION_NOT_FOUND: nothing the function has is, or starts with, `version`; or `version` is a
 * prefix too short to name a version (`tooShort`), which the message says.
 */
export function versionNotFound(tenant: string, name: string, version: string, latest: string, tooShort = false): AirlockError {
  const why = tooShort
    ? `"${version}" is too short to name one: give at least the first ${MIN_VERSION_PREFIX} characters of its hash (or all ${VERSION_HASH_LENGTH})`
    : VERSION_NAMING;
  return new AirlockError(
    'VERSION_NOT_FOUND',
    `function ${tenant}/${name} has no version ${JSON.stringify(String(version).slice(0, 80))}; the latest is ${latest}. ` +
      `${why}; omit the version to use the latest, or ${versionsHint(tenant, name)}`,
    { tenant, function: name, latestVersion: latest },
  );
}
