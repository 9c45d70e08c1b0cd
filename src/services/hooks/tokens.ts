// Webhook tokens: one bearer secret per function, issued at its first deploy, shown again on
// request, rotatable, removable (the webhook is then off: deliveries are refused like a wrong
// token, redeploys issue none, and a rotation turns it on again with a new token). The store keeps
// the token's sha256 (what deliveries are checked against, in constant time) and the token sealed
// with the secrets master key (so it can be shown; a copy of the database alone reveals no
// token). Rotation replaces both: the old token stops working at once.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AirlockError } from '../../core/errors.js';
import { ExpiringCache } from '../../core/expiring-cache.js';
import type { Store, WebhookRecord } from '../../store/port.js';
import { deployHint, validateName } from '../names.js';
import { OpenError, openWith, seal, sealingKey } from '../secrets/crypto.js';
import type { SealingKey } from '../secrets/crypto.js';
import type { SecretKeys } from '../secrets/service.js';

/** What the API shows for a function's webhook. */
export interface WebhookView {
  /** The bearer token; null when no configured master key opens it any more (rotate to get a new one). */
  token: string | null;
  /** Where deliveries go: POST this path on the server (null with the token). */
  path: string | null;
  createdAt: number;
}

/** Tokens are prefixed so they are recognisable in a leaked config or log. */
const PREFIX = 'whk_';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The sealing context: a webhook token can never be opened as a secret, nor for another function. */
function sealName(fn: string): string {
  return `webhook/${fn}`;
}

export function hookPath(tenant: string, fn: string, token: string): string {
  return `/hooks/${tenant}/${fn}/${token}`;
}

/**
 * How long a stored token hash is reused for deliveries without reading the store again, ms.
 * Rotation and deploys on this server drop it at once; on another server sharing the database a
 * rotated token could pass for at most this long.
 */
export const TOKEN_CACHE_MS = 1_000;
/** Cached hashes at most (only of functions that have a webhook; misses are never cached). */
const TOKEN_CACHE_ENTRIES = 10_000;

export class WebhookTokens {
  private readonly store: Store;
  private readonly key: SealingKey;
  private readonly keys: SealingKey[];
  private readonly now: () => number;
  /** tenant/function → stored token hash (deliveries skip a store read each). */
  private readonly hashes: ExpiringCache<Buffer>;

  constructor(store: Store, keys: SecretKeys, now: () => number = Date.now) {
    this.store = store;
    this.key = sealingKey(keys.current);
    this.keys = [this.key, ...(keys.previous ?? []).map(sealingKey)];
    this.now = now;
    this.hashes = new ExpiringCache<Buffer>(TOKEN_CACHE_MS, TOKEN_CACHE_ENTRIES, now);
  }

  private issue(tenant: string, fn: string): { token: string; record: WebhookRecord } {
    const token = PREFIX + randomBytes(32).toString('base64url');
    const record: WebhookRecord = {
      tenant,
      function: fn,
      tokenHash: sha256(token),
      sealed: seal(this.key, tenant, sealName(fn), token),
      createdAt: this.now(),
    };
    return { token, record };
  }

  /** Gives the function a token unless it has one (a function's first deploy calls this). */
  async ensure(tenant: string, fn: string): Promise<WebhookView> {
    this.forget(tenant, fn); // a redeploy after a delete has a new token
    const { record } = this.issue(tenant, fn);
    const stored = await this.store.createWebhook(record);
    return this.view(stored.record);
  }

  /** The function's token and path; FUNCTION_NOT_FOUND when there is no such function. */
  async show(tenant: string, fn: string): Promise<WebhookView> {
    validateName('tenant', tenant);
    validateName('function', fn);
    const record = await this.store.getWebhook(tenant, fn);
    if (record !== undefined) return this.view(record);
    if ((await this.store.getFunction(tenant, fn)) === undefined) throw notFound(tenant, fn);
    throw new AirlockError(
      'NOT_FOUND',
      `function ${tenant}/${fn} has no webhook (it was turned off, or the function was deployed before webhooks existed); ` +
        `turn it on with a new token: POST /v1/tenants/${tenant}/functions/${fn}/webhook/rotate (airlock hooks rotate ${tenant}/${fn})`,
    );
  }

  /**
   * Turns the function's webhook off: its token is deleted, deliveries to its URL are refused like
   * a wrong token's (404), and redeploys issue none; a rotation turns it on with a new token.
   * FUNCTION_NOT_FOUND when there is no such function; a webhook already off stays off.
   */
  async remove(tenant: string, fn: string): Promise<{ removed: boolean }> {
    validateName('tenant', tenant);
    validateName('function', fn);
    if ((await this.store.getFunction(tenant, fn)) === undefined) throw notFound(tenant, fn);
    const removed = await this.store.deleteWebhook(tenant, fn);
    this.forget(tenant, fn);
    return { removed };
  }

  /** The function's webhook if it has one (for the function view). */
  async find(tenant: string, fn: string): Promise<WebhookView | undefined> {
    const record = await this.store.getWebhook(tenant, fn);
    return record === undefined ? undefined : this.view(record);
  }

  /** Issues a new token (the first, for a function deployed before webhooks); the old one stops working at once. */
  async rotate(tenant: string, fn: string): Promise<WebhookView> {
    validateName('tenant', tenant);
    validateName('function', fn);
    const { token, record } = this.issue(tenant, fn);
    this.forget(tenant, fn);
    if (!(await this.store.replaceWebhook(record))) {
      // A function deployed before webhooks existed has no token yet: rotating issues its first.
      if ((await this.store.getFunction(tenant, fn)) === undefined) throw notFound(tenant, fn);
      const created = await this.store.createWebhook(record);
      if (!created.created && !(await this.store.replaceWebhook(record))) throw notFound(tenant, fn);
    }
    return { token, path: hookPath(tenant, fn, token), createdAt: record.createdAt };
  }

  /**
   * True when `token` is the function's current token. The comparison is of sha256 digests in
   * constant time; an unknown tenant or function hashes and compares too, against a dummy.
   */
  async verify(tenant: string, fn: string, token: string): Promise<boolean> {
    const digest = sha256(token);
    const stored = await this.storedHash(tenant, fn);
    return timingSafeEqual(digest, stored ?? DUMMY) && stored !== undefined;
  }

  /** Drops the function's cached token hash (a deleted function): its webhook URL fails at once on this server. */
  forget(tenant: string, fn: string): void {
    this.hashes.delete(`${tenant}/${fn}`);
  }

  /** Drops every cached token hash of the tenant (a deleted tenant): its webhook URLs fail at once on this server. */
  forgetTenant(tenant: string): void {
    this.hashes.deleteWhere((id) => id.startsWith(`${tenant}/`));
  }

  private async storedHash(tenant: string, fn: string): Promise<Buffer | undefined> {
    const id = `${tenant}/${fn}`;
    const cached = this.hashes.get(id);
    if (cached !== undefined) return cached;
    const record = await this.store.getWebhook(tenant, fn);
    if (record === undefined) {
      this.hashes.delete(id);
      return undefined;
    }
    this.hashes.set(id, record.tokenHash);
    return record.tokenHash;
  }

  /**
   * Seals again with the current key every token a previous key sealed (master key rotation, at
   * start, like SecretService.rotate), so tokens stay showable once the previous key is removed.
   * Tokens no configured key opens are reported as tenant/function.
   */
  async reseal(): Promise<{ resealed: number; unreadable: string[] }> {
    const result = { resealed: 0, unreadable: [] as string[] };
    if (this.keys.length === 1) return result;
    for (const record of await this.store.allWebhooks()) {
      let opened: { value: string; key: SealingKey };
      try {
        opened = openWith(this.keys, record.tenant, sealName(record.function), record.sealed);
      } catch (err) {
        if (!(err instanceof OpenError)) throw err;
        result.unreadable.push(`${record.tenant}/${record.function}`);
        continue;
      }
      if (opened.key === this.key) continue;
      const sealed = seal(this.key, record.tenant, sealName(record.function), opened.value);
      if (await this.store.resealWebhook(record.tenant, record.function, record.sealed, sealed)) result.resealed++;
    }
    return result;
  }

  private view(record: WebhookRecord): WebhookView {
    try {
      const { value } = openWith(this.keys, record.tenant, sealName(record.function), record.sealed);
      return { token: value, path: hookPath(record.tenant, record.function, value), createdAt: record.createdAt };
    } catch (err) {
      if (!(err instanceof OpenError)) throw err;
      // Deliveries are still checked (against the hash); only showing the token needs the key.
      return { token: null, path: null, createdAt: record.createdAt };
    }
  }
}

const DUMMY = sha256('no such webhook');

function notFound(tenant: string, fn: string): AirlockError {
  return new AirlockError(
    'FUNCTION_NOT_FOUND',
    `function ${fn} not found for tenant ${tenant}, so it has no webhook; ${deployHint(tenant, fn)}`,
    { tenant, function: fn },
  );
}
