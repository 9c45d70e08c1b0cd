// The webhooks part of SqliteStore: statements and row conversion for the `webhooks` table
// (migration 6). Token hashes and sealed tokens are BLOBs.
import type { Database as Db } from 'better-sqlite3';
import type { WebhookRecord } from '../port.js';
import { ALL_WEBHOOKS, DELETE_WEBHOOK, GET_WEBHOOK, INSERT_WEBHOOK, REPLACE_WEBHOOK, RESEAL_WEBHOOK } from './statements/webhooks.js';

interface WebhookRow {
  tenant: string;
  function: string;
  token_hash: Buffer;
  sealed: Buffer;
  created_at: number;
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
  /** Used inside SqliteStore's delete-function transaction. */
  readonly remove;

  constructor(db: Db) {
    this.getOne = db.prepare<[string, string], WebhookRow>(GET_WEBHOOK);
    this.insert = db.prepare<[string, string, Buffer, Buffer, number]>(INSERT_WEBHOOK);
    this.replace = db.prepare<[Buffer, Buffer, number, string, string]>(REPLACE_WEBHOOK);
    this.remove = db.prepare<[string, string]>(DELETE_WEBHOOK);
    this.all = db.prepare<[], WebhookRow>(ALL_WEBHOOKS);
    this.resealOne = db.prepare<[Buffer, string, string, Buffer]>(RESEAL_WEBHOOK);
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
