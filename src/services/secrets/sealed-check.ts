// Before a new secrets master key is generated (no AIRLOCK_SECRET_KEY, no secret.key): if the
// database holds secrets or webhook tokens sealed with a key the server is not given (the key
// file was lost or the data dir restored without it), the start stops with CONFIG_INVALID
// saying how many values are sealed under which key id and how to give the key back, instead
// of making a key that opens none of them. With a key, such values only get a warning at start.
import { AirlockError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { SECRET_KEY_HOWTO } from '../../core/secret-key.js';
import type { Store } from '../../store/port.js';
import { sealingKey } from './crypto.js';

/** Values sealed under one key id. */
export interface SealedUnder {
  keyId: number;
  secrets: number;
  webhookTokens: number;
}

/** Where sealed values are read from: the store, or `airlock doctor`'s read-only look at the file. */
export type SealedValues = { [K in 'allSecrets' | 'allWebhooks']: () => Promise<readonly { sealed: Buffer }[]> };

/** Sealed values whose key id is none of `known`'s (so no key the server has can open them), by key id. */
export async function sealedWithoutKey(store: SealedValues, known: readonly Buffer[]): Promise<SealedUnder[]> {
  const knownIds = new Set(known.map((k) => sealingKey(k).id));
  const byId = new Map<number, SealedUnder>();
  const count = (sealed: Buffer, field: 'secrets' | 'webhookTokens'): void => {
    const keyId = sealed[0];
    if (keyId === undefined || knownIds.has(keyId)) return;
    const entry = byId.get(keyId) ?? { keyId, secrets: 0, webhookTokens: 0 };
    entry[field]++;
    byId.set(keyId, entry);
  };
  for (const s of await store.allSecrets()) count(s.sealed, 'secrets');
  for (const w of await store.allWebhooks()) count(w.sealed, 'webhookTokens');
  return [...byId.values()].sort((a, b) => a.keyId - b.keyId);
}

function describe(entry: SealedUnder): string {
  const parts = [];
  if (entry.secrets > 0) parts.push(`${entry.secrets} secret${entry.secrets === 1 ? '' : 's'}`);
  if (entry.webhookTokens > 0) parts.push(`${entry.webhookTokens} webhook token${entry.webhookTokens === 1 ? '' : 's'}`);
  return `${parts.join(' and ')} under key id ${entry.keyId}`;
}

/**
 * Throws CONFIG_INVALID when no master key is configured or on disk but sealed values exist that
 * `previous` keys do not open; generating a key is safe otherwise.
 */
export async function refuseToReplaceLostKey(store: SealedValues, keyPath: string, previous: readonly Buffer[]): Promise<void> {
  const orphaned = await sealedWithoutKey(store, previous);
  if (orphaned.length === 0) return;
  throw new AirlockError(
    'CONFIG_INVALID',
    `no secrets master key: AIRLOCK_SECRET_KEY is unset and ${keyPath} does not exist, but the database holds ` +
      `${orphaned.map(describe).join('; ')}, sealed with a master key this server is not given. Airlock will not ` +
      'generate a new key, which could open none of them. Give the key back: restore secret.key from your backup to ' +
      `${keyPath} (chmod 600), or set AIRLOCK_SECRET_KEY to it (docs/secrets.md, "Lost master key", shows how to ` +
      "check a key's id). Only if the key is lost for good: set AIRLOCK_SECRET_KEY to a new key " +
      `(${SECRET_KEY_HOWTO}); the server then starts, and those secrets must be set again and those webhook tokens rotated`,
    { sealed: orphaned },
  );
}

/** Warns at start about sealed values none of the server's keys has the id of (a wrong key restored, a lost one). */
export async function warnAboutUnopenable(store: Store, keys: readonly Buffer[], logger: Pick<Logger, 'warn'>): Promise<string | undefined> {
  const orphaned = await sealedWithoutKey(store, keys);
  if (orphaned.length === 0) return undefined;
  logger.warn(
    { code: 'SECRET_UNREADABLE', sealed: orphaned, keyIds: keys.map((k) => sealingKey(k).id) },
    `the database holds ${orphaned.map(describe).join('; ')}, sealed with a master key this server is not given: ` +
      'egress calls using those secrets fail and those webhook URLs cannot be shown. Add that key to ' +
      'AIRLOCK_SECRET_KEY_PREVIOUS and restart (docs/secrets.md, "Lost master key"), or have the tenants set those secrets again',
  );
  return `at the start, the database held ${orphaned.map(describe).join('; ')}, sealed with a master key this server is not given ` +
    '(the server log says what to do)';
}
