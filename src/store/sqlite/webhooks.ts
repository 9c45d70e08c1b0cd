// The webhooks part of SqliteStore: statements and row conversion for the `webhooks` table
// (migration 6; token hashes and sealed tokens are BLOBs) and the `webhook_verify` table
// (migration 12; signature verification settings as JSON text).
import type { Database as Db } from 'better-sqlite3';
import type { WebhookRecord, WebhookVerifyRecord } from '../port.js';
import { DELETE_WEBHOOK_VERIFY, GET_WEBHOOK_VERIFY, UPSERT_WEBHOOK_VERIFY } from './statements/webhook-verify.js';
import { ALL_WEBHOOKS, DELETE_WEBHOOK, GET_WEBHOOK, INSERT_WEBHOOK, REPLACE_WEBHOOK, RESEAL_WEBHOOK } from './statements/webhooks.js';

interface WebhookRow {
  tenant: string;
  function: string;
  token_hash: Buffer;
  sealed: Buffer;
  created_at: number;
}

interface VerifyRow {
  tenant: string;
  function: string;
  config: string;
  created_at: number;
  updated_at: number;
}

function rowToVerify(row: VerifyRow): WebhookVerifyRecord {
  return { tenant: row.tenant, function: row.function, config: row.config, createdAt: row.created_at, updatedAt: row.updated_at };
}

function rowToWebhook(row: WebhookRow): WebhookRecord {
  return { tenant: row.tenant, function: row.function, tokenHash: row.token_hash, sealed: row.sealed, createdAt: row.created_at };
}

export class SqliteWebhooks {
  private readonly getOne;
  private readonly insert;
  private readonly replace;
  private readonly all;
  private readonly resealOne;
  private readonly getVerify;
  private readonly putVerifyTx: (record: WebhookVerifyRecord) => { created: boolean; record: WebhookVerifyRecord };
  /** Used inside SqliteStore's delete-function transaction. */
  readonly remove;
  /** Deletes a function's verification; also used inside the delete-function transaction. */
  readonly removeVerify;

  constructor(db: Db) {
    this.getOne = db.prepare<[string, string], WebhookRow>(GET_WEBHOOK);
    this.insert = db.prepare<[string, string, Buffer, Buffer, number]>(INSERT_WEBHOOK);
    this.replace = db.prepare<[Buffer, Buffer, number, string, string]>(REPLACE_WEBHOOK);
    this.remove = db.prepare<[string, string]>(DELETE_WEBHOOK);
    this.all = db.prepare<[], WebhookRow>(ALL_WEBHOOKS);
    this.resealOne = db.prepare<[Buffer, string, string, Buffer]>(RESEAL_WEBHOOK);
    this.getVerify = db.prepare<[string, string], VerifyRow>(GET_WEBHOOK_VERIFY);
    this.removeVerify = db.prepare<[string, string]>(DELETE_WEBHOOK_VERIFY);
    const upsertVerify = db.prepare<VerifyRow>(UPSERT_WEBHOOK_VERIFY);
    this.putVerifyTx = db.transaction((r: WebhookVerifyRecord) => {
      const existing = this.getVerify.get(r.tenant, r.function);
      upsertVerify.run({ tenant: r.tenant, function: r.function, config: r.config, created_at: r.createdAt, updated_at: r.updatedAt });
      return { created: existing === undefined, record: { ...r, createdAt: existing?.created_at ?? r.createdAt } };
    });
  }

  verify(tenant: string, fn: string): WebhookVerifyRecord | undefined {
    const row = this.getVerify.get(tenant, fn);
    return row === undefined ? undefined : rowToVerify(row);
  }

  /** Creates or replaces a function's verification; a replaced one keeps its createdAt. */
  putVerify(record: WebhookVerifyRecord): { created: boolean; record: WebhookVerifyRecord } {
    return this.putVerifyTx(record);
  }

  everything(): WebhookRecord[] {
    return this.all.all().map(rowToWebhook);
  }

  /** Replaces the sealed token if it is still `from`; false when it was rotated meanwhile or is gone. */
  reseal(tenant: string, fn: string, from: Buffer, to: Buffer): boolean {
    return this.resealOne.run(to, tenant, fn, from).changes > 0;
  }

  get(tenant: string, fn: string): WebhookRecord | undefined {
    const row = this.getOne.get(tenant, fn);
    return row === undefined ? undefined : rowToWebhook(row);
  }

  /** Inserts unless the function already has a token; returns the stored record either way. */
  create(record: WebhookRecord): { created: boolean; record: WebhookRecord } {
    const created = this.insert.run(record.tenant, record.function, record.tokenHash, record.sealed, record.createdAt).changes > 0;
    if (created) return { created, record };
    const stored = this.get(record.tenant, record.function);
    return { created, record: stored ?? record };
  }

  /** Replaces the token of a function that has one; false when it has none. */
  replaceToken(record: WebhookRecord): boolean {
    return this.replace.run(record.tokenHash, record.sealed, record.createdAt, record.tenant, record.function).changes > 0;
  }
}
