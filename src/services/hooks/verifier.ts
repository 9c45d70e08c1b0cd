// Host-side verification of webhook signatures: a function's webhook may require each delivery to
// carry its provider's signature, made with a signing key kept as a tenant secret with no hosts
// (a "signing key": sent nowhere, so that an egress credential never becomes a key whose guesses
// anyone able to send deliveries could confirm). Configuration is set, shown and removed here;
// check() runs on every delivery, with the configuration and the decrypted key cached briefly so
// a burst does not read and decrypt them per delivery.
import { AirlockError } from '../../core/errors.js';
import { ExpiringCache } from '../../core/expiring-cache.js';
import type { Logger } from '../../core/logger.js';
import type { Store } from '../../store/port.js';
import { deployHint, validateName } from '../names.js';
import type { SecretService } from '../secrets/service.js';
import { checkSignature, signingKey } from './signature-schemes.js';
import type { SignedRequest } from './signature-schemes.js';
import { normalizeVerifyConfig, parseStoredConfig } from './verify-config.js';
import type { Preset, VerifyConfig } from './verify-config.js';

/** What the API shows: the configuration (never the key) and when it was set. */
export type VerifyView = VerifyConfig & { createdAt: number; updatedAt: number };

/**
 * How long a configuration and its decrypted key are reused for deliveries, ms. Changes through
 * this server (the configuration, the secret, the function) drop them at once; another server
 * sharing the database sees a change within this time.
 */
export const VERIFY_CACHE_MS = 1_000;
const VERIFY_CACHE_ENTRIES = 10_000;
/** A function whose signing secret cannot be used is logged at most once this often, ms. */
export const UNAVAILABLE_LOG_INTERVAL_MS = 60_000;

type Entry =
  | { kind: 'off' }
  | { kind: 'ready'; config: VerifyConfig; key: Buffer }
  | { kind: 'unavailable'; config: VerifyConfig; reason: string };

export interface WebhookVerifierDeps {
  store: Store;
  secrets: Pick<SecretService, 'get' | 'onChange'>;
  /** Where WEBHOOK_SECRET_UNAVAILABLE is reported to the operator. */
  logger?: Pick<Logger, 'error'>;
  /** Epoch ms (timestamps of Stripe, Slack, Standard Webhooks signatures). Default Date.now. */
  now?: () => number;
}

export class WebhookVerifier {
  private readonly store: Store;
  private readonly secrets: WebhookVerifierDeps['secrets'];
  private readonly logger: WebhookVerifierDeps['logger'];
  private readonly now: () => number;
  /** tenant/function → its configuration and key, or that it has none. */
  private readonly entries: ExpiringCache<Entry>;
  /** tenant/function of unusable secrets logged lately. */
  private readonly reported: ExpiringCache<true>;

  constructor(deps: WebhookVerifierDeps) {
    this.store = deps.store;
    this.secrets = deps.secrets;
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.entries = new ExpiringCache<Entry>(VERIFY_CACHE_MS, VERIFY_CACHE_ENTRIES);
    this.reported = new ExpiringCache<true>(UNAVAILABLE_LOG_INTERVAL_MS, VERIFY_CACHE_ENTRIES);
    // A secret set again or deleted takes effect at the next delivery.
    deps.secrets.onChange((tenant, name) =>
      this.entries.deleteWhere((id, entry) => id.startsWith(`${tenant}/`) && entry.kind !== 'off' && entry.config.secret === name),
    );
  }

  /** Sets (creates or replaces) the function's verification. */
  async set(tenant: string, fn: string, body: VerifyConfig): Promise<{ created: boolean; view: VerifyView }> {
    validateName('tenant', tenant);
    validateName('function', fn);
    const config = normalizeVerifyConfig(body);
    if ((await this.store.getFunction(tenant, fn)) === undefined) throw notFound(tenant, fn);
    const secret = await this.store.getSecret(tenant, config.secret);
    if (secret === undefined) {
      throw new AirlockError(
        'SECRET_NOT_FOUND',
        `tenant ${tenant} has no secret ${config.secret}; store the provider's signing secret first: ` +
          `printf %s "$SIGNING_SECRET" | airlock secrets set ${tenant} ${config.secret} --signing-key ` +
          `(API: PUT /v1/tenants/${tenant}/secrets/${config.secret} {"value": "…", "hosts": []})`,
        { field: 'secret' },
      );
    }
    if (secret.hosts.length > 0) throw boundToHosts(tenant, config.secret, secret.hosts);
    if (config.preset === 'standard-webhooks') await this.requireStandardKey(tenant, config);
    const at = this.now();
    const { created, record } = await this.store.putWebhookVerify({ tenant, function: fn, config: JSON.stringify(config), createdAt: at, updatedAt: at });
    this.forget(tenant, fn);
    return { created, view: { ...config, createdAt: record.createdAt, updatedAt: record.updatedAt } };
  }

  /**
   * A Standard Webhooks secret must hold such a key (whsec_ + base64), or every delivery would be
   * refused 503 from now on. One the server cannot decrypt now is left to the deliveries, which
   * report it to the operator (SECRET_UNREADABLE) as before.
   */
  private async requireStandardKey(tenant: string, config: VerifyConfig): Promise<void> {
    let value: string | undefined;
    try {
      value = (await this.secrets.get(tenant, config.secret))?.value;
    } catch {
      return;
    }
    if (value === undefined || signingKey(config, value) !== undefined) return;
    throw new AirlockError(
      'VALIDATION_FAILED',
      `secret ${config.secret} holds no Standard Webhooks key: its value must be whsec_ followed by base64, as the provider ` +
        `shows it (e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw); set it again: printf %s "$SIGNING_SECRET" | airlock secrets set ` +
        `${tenant} ${config.secret} --signing-key`,
      { field: 'secret' },
    );
  }

  /** The function's verification; NOT_FOUND when it has none. */
  async show(tenant: string, fn: string): Promise<VerifyView> {
    validateName('tenant', tenant);
    validateName('function', fn);
    const view = await this.find(tenant, fn);
    if (view !== undefined) return view;
    if ((await this.store.getFunction(tenant, fn)) === undefined) throw notFound(tenant, fn);
    throw new AirlockError(
      'NOT_FOUND',
      `the webhook of ${tenant}/${fn} verifies no signatures (every delivery with the URL's token is stored); ` +
        `set a verification with PUT /v1/tenants/${tenant}/functions/${fn}/webhook/verify or airlock hooks verify ${tenant}/${fn} --preset … --secret …`,
    );
  }

  async find(tenant: string, fn: string): Promise<VerifyView | undefined> {
    const record = await this.store.getWebhookVerify(tenant, fn);
    if (record === undefined) return undefined;
    return { ...parseStoredConfig(record.config, `${tenant}/${fn}`), createdAt: record.createdAt, updatedAt: record.updatedAt };
  }

  /** Turns verification off; NOT_FOUND when it was off. */
  async remove(tenant: string, fn: string): Promise<void> {
    validateName('tenant', tenant);
    validateName('function', fn);
    const deleted = await this.store.deleteWebhookVerify(tenant, fn);
    this.forget(tenant, fn);
    if (!deleted) await this.show(tenant, fn); // says why: no such function, or no verification
  }

  /** Drops what is cached of the function (its verification changed, or it was deleted). */
  forget(tenant: string, fn: string): void {
    this.entries.delete(`${tenant}/${fn}`);
  }

  /** Drops what is cached of every function of the tenant (a deleted tenant). */
  forgetTenant(tenant: string): void {
    this.entries.deleteWhere((id) => id.startsWith(`${tenant}/`));
    this.reported.deleteWhere((id) => id.startsWith(`${tenant}/`));
  }

  /**
   * Checks one delivery (headers and content-decoded body). Answers the preset when the signature
   * is valid, undefined when the function verifies none; throws WEBHOOK_SIGNATURE_INVALID (401)
   * for a bad signature and WEBHOOK_SECRET_UNAVAILABLE (503, logged for the operator) when the key
   * cannot be used.
   */
  async check(tenant: string, fn: string, req: SignedRequest): Promise<Preset | undefined> {
    const entry = await this.entry(tenant, fn);
    if (entry.kind === 'off') return undefined;
    if (entry.kind === 'unavailable') throw this.unavailable(tenant, fn, entry);
    checkSignature(entry.config, entry.key, req, Math.floor(this.now() / 1000));
    return entry.config.preset;
  }

  private async entry(tenant: string, fn: string): Promise<Entry> {
    const id = `${tenant}/${fn}`;
    const cached = this.entries.get(id);
    if (cached !== undefined) return cached;
    const entry = await this.load(tenant, fn);
    this.entries.set(id, entry);
    return entry;
  }

  private async load(tenant: string, fn: string): Promise<Entry> {
    const record = await this.store.getWebhookVerify(tenant, fn);
    if (record === undefined) return { kind: 'off' };
    const config = parseStoredConfig(record.config, `${tenant}/${fn}`);
    let secret: Awaited<ReturnType<SecretService['get']>>;
    try {
      secret = await this.secrets.get(tenant, config.secret);
    } catch (err) {
      // SECRET_UNREADABLE: the secrets service has logged the key ids and what to do.
      if (err instanceof AirlockError && err.code === 'SECRET_UNREADABLE') {
        return { kind: 'unavailable', config, reason: 'the server cannot decrypt it (master key; see SECRET_UNREADABLE in this log)' };
      }
      throw err;
    }
    if (secret === undefined) return { kind: 'unavailable', config, reason: 'it does not exist (deleted?): set it again, or change or remove the verification' };
    if (secret.hosts.length > 0) {
      return { kind: 'unavailable', config, reason: 'it is now bound to hosts (a signing key must have none): set it again with no hosts' };
    }
    const key = signingKey(config, secret.value);
    if (key === undefined) return { kind: 'unavailable', config, reason: 'its value is not a Standard Webhooks key (whsec_ followed by base64): set it again' };
    return { kind: 'ready', config, key };
  }

  /** The refusal (the sender retries a 5xx), and one operator log line a minute per function. */
  private unavailable(tenant: string, fn: string, entry: Extract<Entry, { kind: 'unavailable' }>): AirlockError {
    const id = `${tenant}/${fn}`;
    if (this.logger !== undefined && this.reported.get(id) === undefined) {
      this.reported.set(id, true);
      this.logger.error(
        { code: 'WEBHOOK_SECRET_UNAVAILABLE', tenant, function: fn, secret: entry.config.secret, preset: entry.config.preset },
        `webhook deliveries of ${id} are refused (503): signing secret ${entry.config.secret} cannot be used: ${entry.reason} ` +
          '(logged at most once a minute per function)',
      );
    }
    return new AirlockError(
      'WEBHOOK_SECRET_UNAVAILABLE',
      'this webhook verifies signatures, but its signing secret cannot be used now; the delivery was not stored, retry later. ' +
        'The operator has been told (server log: WEBHOOK_SECRET_UNAVAILABLE); the tenant fixes it by setting the secret again',
    );
  }
}

function boundToHosts(tenant: string, name: string, hosts: readonly string[]): AirlockError {
  return new AirlockError(
    'VALIDATION_FAILED',
    `secret ${name} is bound to hosts (${hosts.join(', ')}): it is a credential for egress, and a webhook verifying with it would ` +
      'let anyone who can send deliveries confirm guesses of its value. Store the signing key as a secret of its own with no hosts: ' +
      `printf %s "$SIGNING_SECRET" | airlock secrets set ${tenant} <name> --signing-key`,
    { field: 'secret' },
  );
}

function notFound(tenant: string, fn: string): AirlockError {
  return new AirlockError('FUNCTION_NOT_FOUND', `function ${fn} not found for tenant ${tenant}, so it has no webhook; ${deployHint(tenant, fn)}`, {
    tenant,
    function: fn,
  });
}
