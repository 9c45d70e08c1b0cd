// The store port: everything Airlock persists. The SQLite implementation lives in sqlite/;
// a Postgres one will follow. Both pass the conformance suite in test/store/.
import type { PageBudget } from '../core/page-budget.js';
import type { ExecutionRecord, ExecutionStatus, FunctionVersion, PurgeBatch } from '../core/types.js';
import type { AppliedMigration } from './schema-change.js';

export interface FunctionSummary {
  tenant: string;
  name: string;
  latestVersion: string;
  runtime: FunctionVersion['runtime'];
  versions: number;
  updatedAt: number;
}

/** One version of a function, without its source: what its content hash covers besides the source. */
export interface VersionSummary {
  version: string;
  runtime: FunctionVersion['runtime'];
  limits: FunctionVersion['limits'];
  isolation: FunctionVersion['isolation'];
  /** Absent when the version has no network. */
  egress?: FunctionVersion['egress'];
  /** When this content was first deployed, epoch ms. */
  createdAt: number;
}

export interface ExecutionFilter {
  function?: string;
  status?: ExecutionStatus;
  /** Only the runs of this job (a queue item id). */
  job?: string;
  /** Only executions with an id lower than this (ids sort by time): for paging. */
  before?: string;
  /** Only executions whose id is at least this (idTimeFloor of a time: queued at or after it). */
  fromId?: string;
  /** Only executions whose id is below this (idTimeFloor of a time: queued before it). */
  toId?: string;
  limit: number;
  /**
   * Also stop once the records listed reach this many bytes (the first is listed however large);
   * rows are read one at a time, so no more than the page is loaded. `budget.spent` tells after
   * the call whether the page was cut by size (more may follow).
   */
  budget?: PageBudget<ExecutionRecord>;
}

/** Executions of every tenant with one status other than `succeeded` (an operator's view). */
export interface AllExecutionsFilter {
  status: Exclude<ExecutionStatus, 'succeeded'>;
  function?: string;
  /** Only executions with an id lower than this one, which must have `status` (paging). */
  before?: string;
  /** As in ExecutionFilter: a time range as a range of ids. */
  fromId?: string;
  toId?: string;
  limit: number;
  /** As in ExecutionFilter: the page also stops once its records reach the budget. */
  budget?: PageBudget<ExecutionRecord>;
}

export interface ApiKeyRecord {
  /** Public id of the key (shown in listings, used to revoke). */
  id: string;
  /** null for admin keys. */
  tenant: string | null;
  /** sha256 hex of the secret key; the key itself is never stored. */
  hash: string;
  createdAt: number;
  /** What the key is for, as its creator named it; absent when unnamed. */
  name?: string;
  /** The key's first characters (`ak_` and 8 more; not enough to use it); absent for keys made before prefixes were kept. */
  prefix?: string;
}

/** A tenant's secret as stored: the value only in sealed (encrypted) form. */
export interface SecretRecord {
  tenant: string;
  name: string;
  /** Hosts the value may be sent to. */
  hosts: string[];
  /** key id byte + 12-byte IV + 16-byte GCM tag + ciphertext (see services/secrets/crypto.ts). */
  sealed: Buffer;
  createdAt: number;
  updatedAt: number;
}

/** A secret without its sealed value (listings). */
export type SecretMeta = Omit<SecretRecord, 'sealed'>;

/** A function's webhook token as stored: its sha256 (checked on delivery) and the token sealed. */
export interface WebhookRecord {
  tenant: string;
  function: string;
  /** sha256 of the token (32 bytes). */
  tokenHash: Buffer;
  /** The token sealed with the secrets master key (services/secrets/crypto.ts layout, AAD tenant + "webhook/<function>"). */
  sealed: Buffer;
  /** When this token was issued (deploy or rotation), epoch ms. */
  createdAt: number;
}

/** A function's webhook signature verification as stored (services/hooks/verify-config.ts). */
export interface WebhookVerifyRecord {
  tenant: string;
  function: string;
  /** The configuration as JSON: scheme, options and the name of the secret holding the key (never the key). */
  config: string;
  createdAt: number;
  updatedAt: number;
}

export type { PurgeBatch } from '../core/types.js';

export interface Store {
  /** Applies forward-only migrations. */
  migrate(): Promise<void>;
  /** The migrations this store applied when it was opened, oldest first (empty: the schema was current). */
  appliedMigrations?(): readonly AppliedMigration[];
  close(): Promise<void>;

  /**
   * Stores a version (idempotent on tenant+name+version) and makes it the latest; also answers
   * the version that was the latest before (undefined on a first deploy).
   */
  putFunctionVersion(v: FunctionVersion): Promise<{ created: boolean; previousLatest?: string }>;
  /** The named version, or the latest when `version` is undefined; undefined if deleted/absent. */
  getFunction(tenant: string, name: string, version?: string): Promise<FunctionVersion | undefined>;
  /**
   * The function's versions whose hash starts with `prefix`, in order, at most `max` (a user may
   * name a version by a prefix of its hash); empty when none does or there is no such function.
   */
  findVersions(tenant: string, name: string, prefix: string, max: number): Promise<string[]>;
  listFunctions(tenant: string): Promise<FunctionSummary[]>;
  /** The function's versions, newest first deployed first; empty when there is no such function. */
  listVersions(tenant: string, name: string): Promise<VersionSummary[]>;
  /**
   * Makes an existing version the latest again (a rollback, or a roll forward after one), with
   * `updatedAt` (epoch ms) as the function's update time, and answers the version that was the
   * latest before. When `version` already is the latest nothing changes (updatedAt included).
   * Undefined when the function or that version of it does not exist: then nothing changes.
   */
  setLatestVersion(tenant: string, name: string, version: string, updatedAt: number): Promise<{ previousLatest: string } | undefined>;
  /** Removes the function, all its versions, its webhook token and verification; true if it existed. Executions stay. */
  deleteFunction(tenant: string, name: string): Promise<boolean>;

  /**
   * Inserts many records in one transaction: all or nothing. Idempotent on id (a record whose id
   * is already stored is skipped), so a retried batch is safe. A record that can never be stored
   * (e.g. a result that is not JSON-serializable) rejects the whole call with an AirlockError
   * VALIDATION_FAILED whose details.executionId names it; nothing is written then.
   */
  insertExecutions(records: ExecutionRecord[]): Promise<void>;
  getExecution(tenant: string, id: string): Promise<ExecutionRecord | undefined>;
  /** Newest first, up to `filter.limit` records and `filter.budget` bytes. */
  listExecutions(tenant: string, filter: ExecutionFilter): Promise<ExecutionRecord[]>;
  /** Newest first, across tenants, served by an index on (status, id) of the unsucceeded ones. */
  listAllExecutions(filter: AllExecutionsFilter): Promise<ExecutionRecord[]>;
  /**
   * Deletes up to `max` execution records that finished before `finishedBefore` (epoch ms), in
   * one transaction, walking tenants from where the previous call stopped. Records already gone
   * (deleted by another server) are simply not counted.
   */
  purgeExecutions(finishedBefore: number, max: number): Promise<PurgeBatch>;

  putApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(tenant: string): Promise<ApiKeyRecord[]>;
  deleteApiKey(tenant: string, id: string): Promise<boolean>;

  /**
   * Creates or replaces a secret. A replaced secret keeps its stored createdAt; the answer
   * carries the metadata as stored and whether the row is new.
   */
  putSecret(secret: SecretRecord): Promise<{ created: boolean; meta: SecretMeta }>;
  getSecret(tenant: string, name: string): Promise<SecretRecord | undefined>;
  /** Metadata only, ordered by name. */
  listSecrets(tenant: string): Promise<SecretMeta[]>;
  countSecrets(tenant: string): Promise<number>;
  /** Every tenant's secrets, sealed values included (key rotation at start), by tenant and name. */
  allSecrets(): Promise<SecretRecord[]>;
  /** Seals a secret's value again (key rotation): only if its sealed value is still `from`. */
  resealSecret(tenant: string, name: string, from: Buffer, to: Buffer): Promise<boolean>;
  /** True if it existed. */
  deleteSecret(tenant: string, name: string): Promise<boolean>;

  /** The function's webhook token, if it has one. */
  getWebhook(tenant: string, fn: string): Promise<WebhookRecord | undefined>;
  /** Stores a token unless the function already has one; answers the stored record either way. */
  createWebhook(record: WebhookRecord): Promise<{ created: boolean; record: WebhookRecord }>;
  /** Replaces the function's token (rotation); false when it has none. */
  replaceWebhook(record: WebhookRecord): Promise<boolean>;
  /** Deletes the function's token (its webhook is off until a rotation issues a new one); true if it had one. */
  deleteWebhook(tenant: string, fn: string): Promise<boolean>;
  /** Every function's webhook token record (master key rotation at start). */
  allWebhooks(): Promise<WebhookRecord[]>;
  /** Seals a token again (key rotation): only if its sealed value is still `from` (not rotated meanwhile). */
  resealWebhook(tenant: string, fn: string, from: Buffer, to: Buffer): Promise<boolean>;

  /** The function's webhook signature verification, if it has one. */
  getWebhookVerify(tenant: string, fn: string): Promise<WebhookVerifyRecord | undefined>;
  /** Creates or replaces it (a replaced one keeps its createdAt); answers it as stored and whether it is new. */
  putWebhookVerify(record: WebhookVerifyRecord): Promise<{ created: boolean; record: WebhookVerifyRecord }>;
  /** True if it existed. */
  deleteWebhookVerify(tenant: string, fn: string): Promise<boolean>;

  /** Server-owned settings (small strings), e.g. an instance id. */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
}
