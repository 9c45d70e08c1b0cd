// API keys: one admin key (from AIRLOCK_ADMIN_KEY, else generated once into the data dir) and
// tenant keys that reach only their tenant. Only sha256 hashes of keys are stored, with a short
// prefix of each tenant key (not enough to use it) so a leaked key can be told apart in listings.
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MIN_ADMIN_KEY_LENGTH } from '../core/config/admin-key.js';
import { AirlockError } from '../core/errors.js';
import { readKeyFile } from '../core/key-file.js';
import { writeNewKeyFile } from '../core/new-key-file.js';
import { ExpiringCache } from '../core/expiring-cache.js';
import { secretToken, sortableId } from '../core/ids.js';
import type { ApiKeyRecord, Store } from '../store/port.js';
import { listHint } from './names.js';

/** Who made a request; keyId names the key in audit and access lines ("admin" for the admin key, "admin-previous" for a former one). */
export type Principal = { kind: 'admin'; keyId: typeof ADMIN_KEY_ID | typeof PREVIOUS_ADMIN_KEY_ID } | { kind: 'tenant'; tenant: string; keyId: string };

/** What audit and access lines show as the key id of the admin key (tenant key ids start with key_). */
export const ADMIN_KEY_ID = 'admin';
/** The key id of a former admin key still accepted (AIRLOCK_ADMIN_KEY_PREVIOUS). */
export const PREVIOUS_ADMIN_KEY_ID = 'admin-previous';

export interface AdminKey {
  key: string;
  /** True when this start generated the key (the server prints it once). */
  generated: boolean;
  /** File holding a generated key, if any. */
  path: string | undefined;
  /** An admin.key in the data dir that AIRLOCK_ADMIN_KEY overrides (the server warns about it). */
  ignoredFile?: string;
}

export interface CreatedKey {
  id: string;
  tenant: string;
  key: string;
  prefix: string;
  createdAt: number;
  name?: string;
}

/** What a key string is: the admin key, or a tenant key as stored (hash included, never shown). */
/** `previous`: a former admin key, still accepted through AIRLOCK_ADMIN_KEY_PREVIOUS. */
export type KeyLookup = { kind: 'admin'; previous: boolean } | { kind: 'tenant'; record: ApiKeyRecord };

const TENANT_KEY_PREFIX = 'ak';
/** Characters of a tenant key kept after `ak_`: 48 of its 256 random bits, shown in listings. */
export const KEY_PREFIX_CHARS = 8;

/** The part of a key that is kept and shown: `ak_` and the next KEY_PREFIX_CHARS characters. */
export function keyPrefix(key: string): string {
  return key.slice(0, TENANT_KEY_PREFIX.length + 1 + KEY_PREFIX_CHARS);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Returns the admin key: the configured one, or the one stored in (or generated into) the data dir. */
/** Where the generated admin key is kept. */
export function adminKeyPath(dataDir: string): string {
  return join(dataDir, 'admin.key');
}

export function ensureAdminKey(dataDir: string, configured: string | undefined): AdminKey {
  const path = adminKeyPath(dataDir);
  if (configured) return { key: configured, generated: false, path: undefined, ...(existsSync(path) ? { ignoredFile: path } : {}) };
  const stored = readKeyFile(path, 'the admin key file', 'AIRLOCK_ADMIN_KEY')?.trim();
  if (stored !== undefined) {
    if (stored.length < MIN_ADMIN_KEY_LENGTH) {
      throw new AirlockError(
        'CONFIG_INVALID',
        `the admin key file ${path} holds ${stored === '' ? 'no key' : `a key of ${stored.length} characters`}; ` +
          `the admin key needs at least ${MIN_ADMIN_KEY_LENGTH}: remove the file to have a new key generated, ` +
          'write a random one into it (`openssl rand -hex 32`), or set AIRLOCK_ADMIN_KEY',
      );
    }
    return { key: stored, generated: false, path };
  }
  // The data dir exists: the server prepared it first (core/data-dir.ts).
  const key = secretToken('ak_admin');
  writeNewKeyFile(path, key + '\n', 'the admin key file');
  return { key, generated: true, path };
}

const CACHE_LIMIT = 10_000;
/**
 * How long a resolved key is reused without reading the store again, ms. Revocation on this
 * server drops it at once; on another server sharing the database a revoked key could pass for
 * at most this long (as webhook tokens, hooks/tokens.ts).
 */
export const KEY_CACHE_MS = 1_000;

export class KeyService {
  private readonly adminHash: Buffer;
  /** Former admin keys (AIRLOCK_ADMIN_KEY_PREVIOUS) and who hears of each request made with one. */
  private readonly previousHashes: Buffer[];
  private readonly onPreviousKey: () => void;
  /** Resolved keys by token: keeps sha256 and the store lookup off the hot path. */
  private readonly cache = new ExpiringCache<Principal>(KEY_CACHE_MS, CACHE_LIMIT);

  private readonly store: Store;

  /** `previous`: former admin keys still accepted; `onPreviousKey` is told of each request made with one. */
  constructor(store: Store, adminKey: string, previous: readonly string[] = [], onPreviousKey: () => void = () => {}) {
    this.store = store;
    this.adminHash = sha256(adminKey);
    if (previous.includes(adminKey)) {
      throw new AirlockError(
        'CONFIG_INVALID',
        'AIRLOCK_ADMIN_KEY_PREVIOUS holds the current admin key; it is for the former key only: remove that entry',
      );
    }
    this.previousHashes = previous.map(sha256);
    this.onPreviousKey = onPreviousKey;
  }

  /** The principal for a bearer token, or undefined when the token is unknown. */
  async resolve(token: string): Promise<Principal | undefined> {
    const cached = this.cache.get(token);
    if (cached) {
      if (cached.keyId === PREVIOUS_ADMIN_KEY_ID) this.onPreviousKey();
      return cached;
    }
    const digest = sha256(token);
    let principal: Principal | undefined;
    if (timingSafeEqual(digest, this.adminHash)) {
      principal = { kind: 'admin', keyId: ADMIN_KEY_ID };
    } else if (this.previousHashes.some((hash) => timingSafeEqual(digest, hash))) {
      principal = { kind: 'admin', keyId: PREVIOUS_ADMIN_KEY_ID };
      this.onPreviousKey();
    } else {
      const record = await this.store.findApiKeyByHash(digest.toString('hex'));
      if (!record || record.tenant === null) return undefined; // unknown keys are never cached
      principal = { kind: 'tenant', tenant: record.tenant, keyId: record.id };
    }
    this.cache.set(token, principal);
    return principal;
  }

  /**
   * What `token` is, for an operator holding a leaked key: the admin key, a tenant key (its
   * record), or undefined when no key matches (never issued here, or revoked: revoked keys are
   * deleted). Reads the store every time and leaves the authentication cache alone.
   */
  async lookup(token: string): Promise<KeyLookup | undefined> {
    const digest = sha256(token);
    if (timingSafeEqual(digest, this.adminHash)) return { kind: 'admin', previous: false };
    if (this.previousHashes.some((hash) => timingSafeEqual(digest, hash))) return { kind: 'admin', previous: true };
    const record = await this.store.findApiKeyByHash(digest.toString('hex'));
    return record === undefined || record.tenant === null ? undefined : { kind: 'tenant', record };
  }

  /** A new key for the tenant, optionally named (what it is for; shown in listings). */
  async create(tenant: string, name?: string): Promise<CreatedKey> {
    const key = secretToken(TENANT_KEY_PREFIX);
    const record: ApiKeyRecord = {
      id: sortableId('key'),
      tenant,
      hash: sha256(key).toString('hex'),
      createdAt: Date.now(),
      ...(name === undefined ? {} : { name }),
      prefix: keyPrefix(key),
    };
    await this.store.putApiKey(record);
    return { id: record.id, tenant, key, prefix: keyPrefix(key), createdAt: record.createdAt, ...(name === undefined ? {} : { name }) };
  }

  list(tenant: string): Promise<ApiKeyRecord[]> {
    return this.store.listApiKeys(tenant);
  }

  /** Drops every resolved key of the tenant (a deleted tenant's keys): refused at once on this server. */
  forgetTenant(tenant: string): void {
    this.cache.deleteWhere((_token, principal) => principal.kind === 'tenant' && principal.tenant === tenant);
  }

  async revoke(tenant: string, id: string): Promise<void> {
    const removed = await this.store.deleteApiKey(tenant, id);
    if (!removed) {
      throw new AirlockError('NOT_FOUND', `no key ${id} for tenant ${tenant}; ${listHint(`airlock keys list ${tenant}`, `/v1/tenants/${tenant}/keys`)}`);
    }
    this.cache.deleteWhere((_token, principal) => principal.kind === 'tenant' && principal.keyId === id);
  }
}
