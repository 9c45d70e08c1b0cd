// SqliteStore: the Store port on better-sqlite3. One file in the data dir, WAL journal,
// synchronous=NORMAL, a busy timeout, forward-only migrations, hot statements prepared once.
// better-sqlite3 is synchronous: each method does its work before its promise settles.
import { PreparedConnection } from './prepared-connection.js';
import type { Database as Db, Transaction } from 'better-sqlite3';
import { AirlockError } from '../../core/errors.js';
import { idTimeFloor } from '../../core/ids.js';
import type { ExecutionRecord, FunctionVersion } from '../../core/types.js';
import type { AllExecutionsFilter, ApiKeyRecord, ExecutionFilter, FunctionSummary, PurgeBatch, SecretMeta, SecretRecord, Store, VersionSummary, WebhookRecord, WebhookVerifyRecord } from '../port.js';
import { ExecutionLists } from './execution-lists.js';
import { GroupWalk } from './purge-walk.js';
import { SqliteSecrets } from './secrets.js';
import { SqliteWebhooks } from './webhooks.js';
import {
  executionToValues,
  rowToApiKey,
  rowToExecution,
  rowToSummary,
  rowToVersion,
  rowToVersionSummary,
  versionToRow,
} from './rows.js';
import type { ApiKeyRow, ExecutionRow, ExecutionValues, FunctionSummaryRow, FunctionVersionRow, VersionSummaryRow } from './rows.js';
import { DELETE_API_KEY, FIND_API_KEY_BY_HASH, INSERT_API_KEY, LIST_API_KEYS } from './statements/api-keys.js';
import {
  FIND_VERSIONS_BY_PREFIX,
  GET_FUNCTION_VERSION,
  GET_LATEST_FUNCTION,
  GET_LATEST_VERSION_ID,
  INSERT_FUNCTION_VERSION,
  UPSERT_FUNCTION,
} from './statements/function-versions.js';
import {
  DELETE_FUNCTION,
  DELETE_FUNCTION_VERSIONS,
  HAS_FUNCTION_VERSION,
  LIST_FUNCTION_VERSIONS,
  LIST_FUNCTIONS,
  SET_LATEST_VERSION,
} from './statements/functions-admin.js';
import { GET_EXECUTION } from './statements/get-execution.js';
import { INSERT_EXECUTION } from './statements/insert-execution.js';
import type { ListShape } from './statements/list-executions.js';
import type { AllListShape } from './statements/list-all-executions.js';
import { GET_META, SET_META } from './statements/meta.js';
import { NEXT_EXECUTION_TENANT, PURGE_TENANT_EXECUTIONS } from './statements/purge-executions.js';
import type { AppliedMigration } from '../schema-change.js';

export interface SqliteStoreOptions {
  /** How long a write waits for another connection's lock before SQLITE_BUSY, ms. Default 5000. */
  busyTimeoutMs?: number;
}

interface PurgeParams {
  tenant: string;
  idFloor: string;
  cutoff: number;
  max: number;
}

interface VersionRange {
  tenant: string;
  name: string;
  from: string;
  to: string;
  max: number;
}

function prepareAll(db: Db) {
  return {
    insertVersion: db.prepare<FunctionVersionRow>(INSERT_FUNCTION_VERSION),
    upsertFunction: db.prepare<{ tenant: string; name: string; version: string; updated_at: number }>(
      UPSERT_FUNCTION,
    ),
    getLatest: db.prepare<[string, string], FunctionVersionRow>(GET_LATEST_FUNCTION),
    getLatestId: db.prepare<[string, string], { latest_version: string }>(GET_LATEST_VERSION_ID),
    getVersion: db.prepare<[string, string, string], FunctionVersionRow>(GET_FUNCTION_VERSION),
    findVersions: db.prepare<VersionRange, { version: string }>(FIND_VERSIONS_BY_PREFIX),
    listFunctions: db.prepare<[string], FunctionSummaryRow>(LIST_FUNCTIONS),
    listVersions: db.prepare<[string, string], VersionSummaryRow>(LIST_FUNCTION_VERSIONS),
    hasVersion: db.prepare<[string, string, string], { found: number }>(HAS_FUNCTION_VERSION),
    setLatest: db.prepare<{ tenant: string; name: string; version: string; updated_at: number }>(SET_LATEST_VERSION),
    deleteFunction: db.prepare<[string, string]>(DELETE_FUNCTION),
    deleteVersions: db.prepare<[string, string]>(DELETE_FUNCTION_VERSIONS),
    insertExecution: db.prepare<ExecutionValues>(INSERT_EXECUTION),
    getExecution: db.prepare<[string, string], ExecutionRow>(GET_EXECUTION),
    insertKey: db.prepare<[string, string | null, string, number, string | null, string | null]>(INSERT_API_KEY),
    findKey: db.prepare<[string], ApiKeyRow>(FIND_API_KEY_BY_HASH),
    listKeys: db.prepare<[string], ApiKeyRow>(LIST_API_KEYS),
    deleteKey: db.prepare<[string, string]>(DELETE_API_KEY),
    getMeta: db.prepare<[string], { value: string }>(GET_META),
    setMeta: db.prepare<[string, string]>(SET_META),
    nextTenant: db.prepare<[string], { tenant: string }>(NEXT_EXECUTION_TENANT),
    purgeTenant: db.prepare<[PurgeParams]>(PURGE_TENANT_EXECUTIONS),
  };
}

type Prepared = ReturnType<typeof prepareAll> & { secrets: SqliteSecrets; webhooks: SqliteWebhooks };

export class SqliteStore implements Store {
  readonly file: string;
  private readonly conn: PreparedConnection<Prepared>;
  /** Execution list statements by shape (which filters they have), prepared on first use. */
  private readonly lists: ExecutionLists;
  private readonly putVersionTx: (v: FunctionVersion) => { created: boolean; previousLatest?: string };
  private readonly setLatestTx: Transaction<(tenant: string, name: string, version: string, updatedAt: number) => { previousLatest: string } | undefined>;
  private readonly deleteFunctionTx: (tenant: string, name: string) => boolean;
  private readonly insertExecutionsTx: (rows: ExecutionValues[]) => void;
  /** Tenants in key order; retention resumes where its previous batch stopped. */
  private readonly purgeWalk = new GroupWalk<string>('', (after) => this.stmts().nextTenant.get(after)?.tenant);
  private readonly purgeTx: Transaction<(finishedBefore: number, max: number) => PurgeBatch>;

  /** Opens (creating if needed) the database file. Call migrate() before anything else. */
  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.file = file;
    this.conn = new PreparedConnection(
      file,
      options.busyTimeoutMs,
      (db): Prepared => ({ ...prepareAll(db), secrets: new SqliteSecrets(db), webhooks: new SqliteWebhooks(db) }),
      'SqliteStore used before migrate(); call await store.migrate() first',
    );
    this.lists = new ExecutionLists(this.conn.db);

    this.putVersionTx = this.db.transaction((v: FunctionVersion): { created: boolean; previousLatest?: string } => {
      const s = this.stmts();
      const previous = s.getLatestId.get(v.tenant, v.name)?.latest_version;
      const created = s.insertVersion.run(versionToRow(v)).changes > 0;
      s.upsertFunction.run({ tenant: v.tenant, name: v.name, version: v.version, updated_at: v.createdAt });
      return previous === undefined ? { created } : { created, previousLatest: previous };
    });
    this.setLatestTx = this.db.transaction((tenant: string, name: string, version: string, updatedAt: number) => {
      const s = this.stmts();
      const previous = s.getLatestId.get(tenant, name)?.latest_version;
      if (previous === undefined || s.hasVersion.get(tenant, name, version) === undefined) return undefined;
      // Already the latest: nothing to write (its update time stays that of the deploy or rollback that made it so).
      if (previous !== version) s.setLatest.run({ tenant, name, version, updated_at: updatedAt });
      return { previousLatest: previous };
    });
    this.deleteFunctionTx = this.db.transaction((tenant: string, name: string): boolean => {
      const s = this.stmts();
      s.deleteVersions.run(tenant, name);
      s.webhooks.remove.run(tenant, name);
      s.webhooks.removeVerify.run(tenant, name);
      return s.deleteFunction.run(tenant, name).changes > 0;
    });
    this.insertExecutionsTx = this.db.transaction((rows: ExecutionValues[]): void => {
      const insert = this.stmts().insertExecution;
      for (const row of rows) insert.run(...row);
    });
    this.purgeTx = this.db.transaction((finishedBefore: number, max: number): PurgeBatch => {
      const purge = this.stmts().purgeTenant;
      // Records made before the cutoff are an id range; their finish time is checked too.
      const idFloor = idTimeFloor('ex', finishedBefore);
      return this.purgeWalk.step(max, (tenant, n) => purge.run({ tenant, idFloor, cutoff: finishedBefore, max: n }).changes);
    });
  }

  private get db(): Db {
    return this.conn.db;
  }

  private stmts(): Prepared {
    return this.conn.stmts();
  }

  async migrate(): Promise<void> {
    this.conn.migrate();
  }

  appliedMigrations(): readonly AppliedMigration[] {
    return this.conn.applied;
  }

  async close(): Promise<void> {
    await this.conn.close(() => this.lists.clear());
  }

  async putFunctionVersion(v: FunctionVersion): Promise<{ created: boolean; previousLatest?: string }> {
    return this.putVersionTx(v);
  }

  async getFunction(tenant: string, name: string, version?: string): Promise<FunctionVersion | undefined> {
    const s = this.stmts();
    const row = version === undefined ? s.getLatest.get(tenant, name) : s.getVersion.get(tenant, name, version);
    return row === undefined ? undefined : rowToVersion(row);
  }

  async findVersions(tenant: string, name: string, prefix: string, max: number): Promise<string[]> {
    if (prefix === '' || max <= 0) return [];
    // Every string that starts with the prefix sorts from it up to (not including) the prefix with its last character raised by one.
    const to = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    return this.stmts().findVersions.all({ tenant, name, from: prefix, to, max: Math.floor(max) }).map((r) => r.version);
  }

  async listFunctions(tenant: string): Promise<FunctionSummary[]> {
    return this.stmts().listFunctions.all(tenant).map(rowToSummary);
  }

  async listVersions(tenant: string, name: string): Promise<VersionSummary[]> {
    return this.stmts().listVersions.all(tenant, name).map(rowToVersionSummary);
  }

  async setLatestVersion(tenant: string, name: string, version: string, updatedAt: number): Promise<{ previousLatest: string } | undefined> {
    // IMMEDIATE: it reads the pointer, then writes it; another server's write in between cannot turn it into SQLITE_BUSY.
    return this.setLatestTx.immediate(tenant, name, version, updatedAt);
  }

  async deleteFunction(tenant: string, name: string): Promise<boolean> {
    return this.deleteFunctionTx(tenant, name);
  }

  async insertExecutions(records: ExecutionRecord[]): Promise<void> {
    if (records.length === 0) return;
    // Serialize everything first: a record that cannot be stored fails the call before any write.
    const rows = records.map(executionToValues);
    this.insertExecutionsTx(rows);
  }

  async getExecution(tenant: string, id: string): Promise<ExecutionRecord | undefined> {
    const row = this.stmts().getExecution.get(id, tenant);
    return row === undefined ? undefined : rowToExecution(row);
  }

  async listExecutions(tenant: string, filter: ExecutionFilter): Promise<ExecutionRecord[]> {
    this.stmts();
    return this.lists.list(tenant, filter);
  }

  async listAllExecutions(filter: AllExecutionsFilter): Promise<ExecutionRecord[]> {
    this.stmts();
    return this.lists.listAll(filter);
  }

  async purgeExecutions(finishedBefore: number, max: number): Promise<PurgeBatch> {
    return this.purgeTx.immediate(finishedBefore, max);
  }

  async putApiKey(key: ApiKeyRecord): Promise<void> {
    try {
      this.stmts().insertKey.run(key.id, key.tenant, key.hash, key.createdAt, key.name ?? null, key.prefix ?? null);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' ||
          (err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new AirlockError('INTERNAL', `an API key with id ${key.id} or the same hash already exists; generate a new key`);
      }
      throw err;
    }
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const row = this.stmts().findKey.get(hash);
    return row === undefined ? undefined : rowToApiKey(row);
  }

  async listApiKeys(tenant: string): Promise<ApiKeyRecord[]> {
    return this.stmts().listKeys.all(tenant).map(rowToApiKey);
  }

  async deleteApiKey(tenant: string, id: string): Promise<boolean> {
    return this.stmts().deleteKey.run(tenant, id).changes > 0;
  }

  async putSecret(secret: SecretRecord): Promise<{ created: boolean; meta: SecretMeta }> {
    return this.stmts().secrets.put(secret);
  }

  async getSecret(tenant: string, name: string): Promise<SecretRecord | undefined> {
    return this.stmts().secrets.get(tenant, name);
  }

  async listSecrets(tenant: string): Promise<SecretMeta[]> {
    return this.stmts().secrets.listFor(tenant);
  }

  async countSecrets(tenant: string): Promise<number> {
    return this.stmts().secrets.countFor(tenant);
  }

  async allSecrets(): Promise<SecretRecord[]> {
    return this.stmts().secrets.everything();
  }

  async resealSecret(tenant: string, name: string, from: Buffer, to: Buffer): Promise<boolean> {
    return this.stmts().secrets.reseal(tenant, name, from, to);
  }

  async deleteSecret(tenant: string, name: string): Promise<boolean> {
    return this.stmts().secrets.delete(tenant, name);
  }

  async getWebhook(tenant: string, fn: string): Promise<WebhookRecord | undefined> {
    return this.stmts().webhooks.get(tenant, fn);
  }

  async createWebhook(record: WebhookRecord): Promise<{ created: boolean; record: WebhookRecord }> {
    return this.stmts().webhooks.create(record);
  }

  async replaceWebhook(record: WebhookRecord): Promise<boolean> {
    return this.stmts().webhooks.replaceToken(record);
  }

  async allWebhooks(): Promise<WebhookRecord[]> {
    return this.stmts().webhooks.everything();
  }

  async resealWebhook(tenant: string, fn: string, from: Buffer, to: Buffer): Promise<boolean> {
    return this.stmts().webhooks.reseal(tenant, fn, from, to);
  }

  async getWebhookVerify(tenant: string, fn: string): Promise<WebhookVerifyRecord | undefined> {
    return this.stmts().webhooks.verify(tenant, fn);
  }

  async putWebhookVerify(record: WebhookVerifyRecord): Promise<{ created: boolean; record: WebhookVerifyRecord }> {
    return this.stmts().webhooks.putVerify(record);
  }

  async deleteWebhook(tenant: string, fn: string): Promise<boolean> {
    return this.stmts().webhooks.remove.run(tenant, fn).changes > 0;
  }

  async deleteWebhookVerify(tenant: string, fn: string): Promise<boolean> {
    return this.stmts().webhooks.removeVerify.run(tenant, fn).changes > 0;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.stmts().getMeta.get(key)?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.stmts().setMeta.run(key, value);
  }

  /** The query plan of a listing across tenants (tests check it uses the partial index). */
  explainAllList(shape: AllListShape): string[] {
    return this.lists.explainAllList(shape);
  }

  /** The query plan SQLite picks for finding versions by prefix (tests check it reads a key range). */
  explainFindVersions(): string[] {
    const rows = this.db
      .prepare<VersionRange, { detail: string }>(`EXPLAIN QUERY PLAN ${FIND_VERSIONS_BY_PREFIX}`)
      .all({ tenant: 't', name: 'n', from: 'ab', to: 'ac', max: 2 });
    return rows.map((r) => r.detail);
  }

  /** The query plan SQLite picks for a listing shape (tests check it uses an index). */
  explainList(shape: ListShape): string[] {
    return this.lists.explainList(shape);
  }
}
