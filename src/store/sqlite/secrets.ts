// The secrets part of SqliteStore: prepared statements and row conversion for the `secrets`
// table (migration 2). Hosts are a JSON array column; the sealed value is a BLOB.
import type { Database as Db } from 'better-sqlite3';
import { parseJsonSafely } from '../../core/json.js';
import { AirlockError } from '../../core/errors.js';
import type { SecretMeta, SecretRecord } from '../port.js';
import {
  ALL_SECRETS,
  RESEAL_SECRET,
  COUNT_SECRETS,
  DELETE_SECRET,
  GET_SECRET,
  GET_SECRET_CREATED_AT,
  LIST_SECRETS,
  UPSERT_SECRET,
} from './statements/secrets.js';

interface SecretMetaRow {
  tenant: string;
  name: string;
  hosts: string;
  created_at: number;
  updated_at: number;
}

interface SecretRow extends SecretMetaRow {
  sealed: Buffer;
}

function rowToMeta(row: SecretMetaRow): SecretMeta {
  const hosts = parseJsonSafely(row.hosts);
  if (!Array.isArray(hosts) || !hosts.every((h) => typeof h === 'string')) {
    throw new AirlockError('INTERNAL', `stored hosts of secret ${row.tenant}/${row.name} are not a list of strings; set the secret again`);
  }
  return { tenant: row.tenant, name: row.name, hosts, createdAt: row.created_at, updatedAt: row.updated_at };
}

export class SqliteSecrets {
  private readonly createdAt;
  private readonly upsert;
  private readonly getOne;
  private readonly list;
  private readonly count;
  private readonly remove;
  private readonly all;
  private readonly resealOne;
  private readonly putTx: (s: SecretRecord) => { created: boolean; meta: SecretMeta };

  constructor(db: Db) {
    this.createdAt = db.prepare<[string, string], { created_at: number }>(GET_SECRET_CREATED_AT);
    this.upsert = db.prepare<{
      tenant: string; name: string; hosts: string; sealed: Buffer; created_at: number; updated_at: number;
    }>(UPSERT_SECRET);
    this.getOne = db.prepare<[string, string], SecretRow>(GET_SECRET);
    this.list = db.prepare<[string], SecretMetaRow>(LIST_SECRETS);
    this.count = db.prepare<[string], { n: number }>(COUNT_SECRETS);
    this.remove = db.prepare<[string, string]>(DELETE_SECRET);
    this.all = db.prepare<[], SecretRow>(ALL_SECRETS);
    this.resealOne = db.prepare<[Buffer, string, string, Buffer]>(RESEAL_SECRET);
    this.putTx = db.transaction((s: SecretRecord) => {
      const existing = this.createdAt.get(s.tenant, s.name);
      this.upsert.run({
        tenant: s.tenant,
        name: s.name,
        hosts: JSON.stringify(s.hosts),
        sealed: s.sealed,
        created_at: s.createdAt,
        updated_at: s.updatedAt,
      });
      const createdAt = existing?.created_at ?? s.createdAt;
      return {
        created: existing === undefined,
        meta: { tenant: s.tenant, name: s.name, hosts: [...s.hosts], createdAt, updatedAt: s.updatedAt },
      };
    });
  }

  put(secret: SecretRecord): { created: boolean; meta: SecretMeta } {
    return this.putTx(secret);
  }

  get(tenant: string, name: string): SecretRecord | undefined {
    const row = this.getOne.get(tenant, name);
    return row === undefined ? undefined : { ...rowToMeta(row), sealed: row.sealed };
  }

  listFor(tenant: string): SecretMeta[] {
    return this.list.all(tenant).map(rowToMeta);
  }

  countFor(tenant: string): number {
    return this.count.get(tenant)?.n ?? 0;
  }

  everything(): SecretRecord[] {
    return this.all.all().map((row) => ({ ...rowToMeta(row), sealed: row.sealed }));
  }

  /** Replaces the sealed value if it is still `from`; false when it changed meanwhile or is gone. */
  reseal(tenant: string, name: string, from: Buffer, to: Buffer): boolean {
    return this.resealOne.run(to, tenant, name, from).changes > 0;
  }

  delete(tenant: string, name: string): boolean {
    return this.remove.run(tenant, name).changes > 0;
  }
}
