// The tenant store port: which tenants have anything stored, and the removal of everything one
// tenant has (offboarding). Tenants are implicit (a tenant exists once something is stored under
// its name), so both read every table that holds tenant data. SQLite implements it in
// src/store/sqlite/tenants/; a Postgres implementation keeps the same contract (a page of tenants
// found by index seeks, never a scan of the executions; a deletion in bounded transactions).

/** One tenant in a listing: counts read from small per-tenant key ranges, presence of the rest. */
export interface TenantSummary {
  tenant: string;
  functions: number;
  keys: number;
  secrets: number;
  schedules: number;
  /** The tenant has queue items (jobs, webhook deliveries, in any status). Not counted: it can be millions. */
  jobs: boolean;
  /** The tenant has execution records. Not counted: it can be millions. */
  executions: boolean;
  /**
   * Its unfinished queue items (queued, waiting to retry or continue, running): what
   * AIRLOCK_QUEUE_TENANT_BACKLOG caps. Kept as a number by the queue, so reading it costs one seek.
   */
  backlog: number;
}

/** Rows deleted, per kind of tenant data. */
export interface TenantDeletedCounts {
  functions: number;
  /** Function versions (code, limits, isolation, egress policy). */
  versions: number;
  /** Webhook tokens (one per function that has one). */
  webhooks: number;
  /** Webhook signature-verification settings. */
  webhookVerifications: number;
  keys: number;
  secrets: number;
  schedules: number;
  /** Schedule occurrence rows (run history). */
  scheduleRuns: number;
  /** Queue items: jobs and webhook deliveries in any status, with their checkpoints. */
  jobs: number;
  executions: number;
  /** The tenant's fairness state in the queue (0 or 1). */
  queueState: number;
}

export const NO_DELETIONS: Readonly<TenantDeletedCounts> = Object.freeze({
  functions: 0, versions: 0, webhooks: 0, webhookVerifications: 0, keys: 0, secrets: 0,
  schedules: 0, scheduleRuns: 0, jobs: 0, executions: 0, queueState: 0,
});

/** What one deletion step did. */
export interface TenantDeleteStep {
  deleted: TenantDeletedCounts;
  /** Jobs that were running when the step began: cancelled (their holders lose their leases), then deleted or left for a later step. */
  stopped: string[];
  /** More rows of the tenant remain (a large table hit the step's row cap): call again. */
  more: boolean;
}

export interface TenantStore {
  /** Applies forward-only migrations (shared with the rest of the store). */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Tenants with anything stored, by name, after `after` (exclusive; undefined: from the start), at most `limit`. */
  list(after: string | undefined, limit: number): Promise<TenantSummary[]>;
  /** One tenant's summary; undefined when nothing is stored under its name. */
  get(tenant: string): Promise<TenantSummary | undefined>;
  /** True when any row of any table belongs to the tenant. */
  exists(tenant: string): Promise<boolean>;
  /**
   * One transaction: cancels the tenant's running queue items (answered in `stopped`); deletes
   * its keys, functions with their versions, webhook tokens and verification, secrets and
   * schedules; and up to `maxRows` rows each of its queue items, execution records and schedule
   * occurrences (and its queue fairness state once its queue items are all gone). Repeat while
   * `more`; a step after a crash simply goes on with what is left.
   */
  deleteStep(tenant: string, maxRows: number): Promise<TenantDeleteStep>;
}
