// Tenant secrets: validates and seals values on write, returns metadata only to the API, and
// opens values on demand for the egress broker (the SecretSource port). Values are never
// logged, cached or returned by any listing. A value that cannot be opened is reported to the
// operator in the server log; the tenant only learns that the secret cannot be used.
import { AirlockError, isAirlockError } from '../../core/errors.js';
import type { SecretsConfig } from '../../core/config.js';
import { ExpiringCache } from '../../core/expiring-cache.js';
import type { Logger } from '../../core/logger.js';
import { hostMatches } from '../../egress/policy.js';
import type { SecretSource, SecretValue } from '../../egress/types.js';
import type { SecretMeta, Store } from '../../store/port.js';
import { listHint, NAME_PATTERN, NAME_RULE, validateName } from '../names.js';
import { OpenError, openWith, seal, sealingKey } from './crypto.js';
import type { SealingKey } from './crypto.js';
import { validateHosts } from './hosts.js';

export type SecretLimits = Pick<SecretsConfig, 'maxValueBytes' | 'maxHosts' | 'maxPerTenant'>;

export interface SecretKeys {
  /** Seals every write; opens values it sealed. */
  current: Buffer;
  /** Former keys: values sealed with them still open, and rotate() re-seals them. */
  previous?: Buffer[];
}

export interface RotationResult {
  /** Secrets re-sealed with the current key. */
  resealed: number;
  /** "tenant/name" of secrets no configured key opens (left as they are). */
  unreadable: string[];
}

export interface SecretServiceOptions {
  /** Clock, epoch ms (tests). */
  now?: () => number;
  /** Where SECRET_UNREADABLE is reported to the operator. */
  logger?: Pick<Logger, 'error'>;
}

/** A secret that cannot be opened is logged at most once this often, ms (each use fails, not each logs). */
export const UNREADABLE_LOG_INTERVAL_MS = 60_000;
const UNREADABLE_LOG_ENTRIES = 10_000;

export interface PutSecretResult {
  created: boolean;
  meta: SecretMeta;
}

export class SecretService implements SecretSource {
  private readonly store: Store;
  private readonly key: SealingKey;
  /** The current key first, then the previous ones. */
  private readonly keys: SealingKey[];
  private readonly limits: SecretLimits;
  private readonly now: () => number;
  private readonly logger: Pick<Logger, 'error'> | undefined;
  /** "tenant/name" of unreadable secrets logged lately. */
  private readonly reported: ExpiringCache<true>;
  /** Told of every set or delete (caches of derived values, e.g. webhook signing keys). */
  private readonly changeListeners: ((tenant: string, name: string) => void)[] = [];

  constructor(store: Store, keys: SecretKeys, limits: SecretLimits, options: SecretServiceOptions = {}) {
    this.store = store;
    this.key = sealingKey(keys.current);
    this.keys = [this.key, ...(keys.previous ?? []).map(sealingKey)];
    this.limits = limits;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.reported = new ExpiringCache<true>(UNREADABLE_LOG_INTERVAL_MS, UNREADABLE_LOG_ENTRIES, this.now);
  }

  /** Creates or replaces a secret; the answer never contains the value. */
  async put(tenant: string, name: string, value: string, hosts: readonly unknown[]): Promise<PutSecretResult> {
    validateName('tenant', tenant);
    this.checkName(name);
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes === 0) {
      throw new AirlockError('VALIDATION_FAILED', 'value is empty: send the secret as a non-empty string', { field: 'value' });
    }
    if (bytes > this.limits.maxValueBytes) {
      throw new AirlockError(
        'VALIDATION_FAILED',
        `value is ${bytes} bytes, more than the ${this.limits.maxValueBytes} allowed; ask the operator to raise AIRLOCK_SECRET_MAX_BYTES`,
        { field: 'value' },
      );
    }
    const bound = validateHosts(hosts, this.limits.maxHosts);
    if ((await this.store.getSecret(tenant, name)) === undefined) {
      const count = await this.store.countSecrets(tenant);
      if (count >= this.limits.maxPerTenant) {
        throw new AirlockError(
          'VALIDATION_FAILED',
          `tenant ${tenant} already has ${count} secrets, the most allowed; delete unused ones or ask the operator to raise AIRLOCK_SECRETS_PER_TENANT`,
          { field: 'name' },
        );
      }
    }
    const at = this.now();
    const result = await this.store.putSecret({
      tenant, name, hosts: bound, sealed: seal(this.key, tenant, name, value), createdAt: at, updatedAt: at,
    });
    this.changed(tenant, name);
    return result;
  }

  /** Calls `listener` after each set or delete of a secret through this service. */
  onChange(listener: (tenant: string, name: string) => void): void {
    this.changeListeners.push(listener);
  }

  private changed(tenant: string, name: string): void {
    for (const listener of this.changeListeners) listener(tenant, name);
  }

  async list(tenant: string): Promise<SecretMeta[]> {
    return this.store.listSecrets(tenant);
  }

  /** Metadata of one secret; SECRET_NOT_FOUND when absent. */
  async describe(tenant: string, name: string): Promise<SecretMeta> {
    const found = await this.store.getSecret(tenant, name);
    if (!found) throw this.notFound(tenant, name);
    const { sealed: _sealed, ...meta } = found;
    return meta;
  }

  async delete(tenant: string, name: string): Promise<void> {
    const deleted = await this.store.deleteSecret(tenant, name);
    this.changed(tenant, name);
    if (!deleted) throw this.notFound(tenant, name);
  }

  /**
   * SecretSource: the decrypted value, for the broker only. When the value cannot be opened with
   * the configured keys, the server log gets SECRET_UNREADABLE with the key ids and what to do
   * (never the value), and the call rejects with SECRET_UNREADABLE naming the secret and telling
   * the tenant the operator has been told: fixing the key is not the tenant's to do.
   */
  async get(tenant: string, name: string): Promise<SecretValue | undefined> {
    const found = await this.store.getSecret(tenant, name);
    if (!found) return undefined;
    try {
      return { name, hosts: found.hosts, value: openWith(this.keys, tenant, name, found.sealed).value };
    } catch (err) {
      if (!(err instanceof OpenError)) throw err;
      this.reportUnreadable(tenant, name, found.sealed, err);
      throw new AirlockError(
        'SECRET_UNREADABLE',
        `secret ${name} of tenant ${tenant} cannot be used: the server cannot decrypt its stored value. The operator has been told ` +
          '(server log: SECRET_UNREADABLE); setting the secret again replaces the stored value',
        { tenant, secret: name },
      );
    }
  }

  /**
   * SecretSource: the values of the tenant's secrets bound to `host`, for the broker to mask in
   * that host's answers. One that cannot be opened is left out (the operator is told, as by get):
   * it cannot have been sent since its key was lost.
   */
  async boundTo(tenant: string, host: string): Promise<SecretValue[]> {
    const out: SecretValue[] = [];
    for (const meta of await this.store.listSecrets(tenant)) {
      if (!meta.hosts.some((pattern) => hostMatches(pattern, host))) continue;
      try {
        const secret = await this.get(tenant, meta.name);
        if (secret !== undefined) out.push(secret);
      } catch (err) {
        if (!isAirlockError(err) || err.code !== 'SECRET_UNREADABLE') throw err;
      }
    }
    return out;
  }

  /** Tells the operator, at most once per UNREADABLE_LOG_INTERVAL_MS per secret. */
  private reportUnreadable(tenant: string, name: string, sealed: Buffer, err: OpenError): void {
    const id = `${tenant}/${name}`;
    if (this.logger === undefined || this.reported.get(id) !== undefined) return;
    this.reported.set(id, true);
    const advice =
      err.reason === 'other-key'
        ? 'it was sealed with a master key the server is not given: add that key to AIRLOCK_SECRET_KEY_PREVIOUS and restart ' +
          '(docs/secrets.md, "Lost master key"), or have the tenant set the secret again'
        : 'the configured key with its id does not open it (another key with the same id, or the row was altered): check ' +
          'AIRLOCK_SECRET_KEY / secret.key, or have the tenant set the secret again';
    this.logger.error(
      {
        code: 'SECRET_UNREADABLE', tenant, secret: name, reason: err.reason,
        sealedKeyId: sealed[0] ?? null, currentKeyId: this.key.id, previousKeyIds: this.keys.slice(1).map((k) => k.id),
      },
      `secret ${id} cannot be decrypted: ${advice} (logged at most once a minute per secret)`,
    );
  }

  /**
   * Re-seals with the current key every secret that a previous key sealed (timestamps kept).
   * Run at start, before the server listens. Secrets no configured key opens are reported.
   */
  async rotate(): Promise<RotationResult> {
    const result: RotationResult = { resealed: 0, unreadable: [] };
    if (this.keys.length === 1) return result;
    for (const rec of await this.store.allSecrets()) {
      let opened: { value: string; key: SealingKey };
      try {
        opened = openWith(this.keys, rec.tenant, rec.name, rec.sealed);
      } catch (err) {
        if (!(err instanceof OpenError)) throw err;
        result.unreadable.push(`${rec.tenant}/${rec.name}`);
        continue;
      }
      if (opened.key === this.key) continue;
      // Only if unchanged since read: a value set meanwhile (another server) is already current.
      if (await this.store.resealSecret(rec.tenant, rec.name, rec.sealed, seal(this.key, rec.tenant, rec.name, opened.value))) result.resealed++;
    }
    return result;
  }

  private checkName(name: string): void {
    if (NAME_PATTERN.test(name)) return;
    throw new AirlockError(
      'VALIDATION_FAILED',
      `secret name ${JSON.stringify(name.slice(0, 80))} is invalid: use ${NAME_RULE} (pattern ${NAME_PATTERN.source})`,
      { field: 'name', pattern: NAME_PATTERN.source },
    );
  }

  private notFound(tenant: string, name: string): AirlockError {
    return new AirlockError(
      'SECRET_NOT_FOUND',
      `tenant ${tenant} has no secret ${name}; ${listHint(`airlock secrets list ${tenant}`, `/v1/tenants/${tenant}/secrets`)}`,
    );
  }
}
