// The queue port: durable, fair work queue that jobs, webhook deliveries and schedules run on.
// SQLite implements it in src/store/sqlite/queue/; a Postgres implementation must pass the same
// conformance suite (test/queue/conformance.ts) without any caller changing.
//
// Postgres shape: claim() is one transaction that locks the single queue_clock row (FOR UPDATE;
// the fair choice is global, so claims serialize on it), reads demand, calls planClaims(), then
// takes each pick with `SELECT … FOR UPDATE SKIP LOCKED LIMIT k`. Lease operations are single
// guarded UPDATEs (`WHERE id = $1 AND status = 'running' AND fence = $2 AND lease_expires_at > now`).
import type { QueueConfig } from '../core/config.js';
import type { Lane } from '../scheduler/stride.js';
import type { ExecutionRecord, PurgeBatch } from '../core/types.js';
import type { PageBudget } from '../core/page-budget.js';
import type { AirlockError } from '../core/errors.js';

export type { Lane } from '../scheduler/stride.js';

export type QueueStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'dead';
export const QUEUE_STATUSES: readonly QueueStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'dead',
];
/** Statuses an item never leaves. */
export const TERMINAL_STATUSES: readonly QueueStatus[] = ['succeeded', 'failed', 'cancelled', 'dead'];

/** Scheduling, lease, retry and size policy of a queue (the server takes it from config). */
export type QueuePolicy = QueueConfig;

export interface QueueError {
  code: string;
  message: string;
}

export interface QueueItem {
  id: string;
  tenant: string;
  function: string;
  lane: Lane;
  payload: unknown;
  /**
   * The payload as the store keeps it, JSON text, when it does (SQLite): code that reads a large
   * payload elsewhere than on the event loop (a job slice, on the JSON thread) starts from it.
   */
  payloadJson?: string;
  idempotencyKey?: string;
  status: QueueStatus;
  /** Failed attempts so far: failures and expired leases (crashes); continuations do not count. */
  attempts: number;
  maxAttempts: number;
  /** Times the item was claimed (every slice, continuation or retry). */
  runs: number;
  /**
   * Runs in a row that ended at their slice cap without saving a checkpoint (continueLater with
   * `stalled`); 0 again once a checkpoint is saved.
   */
  stalledRuns: number;
  /** Fencing token: incremented on every claim; the holder of an older one may not act. */
  fence: number;
  /** Not claimable before this time, epoch ms. */
  runAfter: number;
  createdAt: number;
  updatedAt: number;
  /** First claim, epoch ms. */
  startedAt?: number;
  /** Reaching a terminal status, epoch ms. */
  finishedAt?: number;
  lastError?: QueueError;
  result?: unknown;
  checkpoint?: unknown;
  checkpointAt?: number;
  leaseOwner?: string;
  leaseExpiresAt?: number;
}

export interface EnqueueRequest {
  tenant: string;
  function: string;
  lane: Lane;
  /** JSON-serializable; capped at policy.payloadBytes. */
  payload: unknown;
  /** Enqueueing again with the same key (per tenant) returns the first item; nothing is added. */
  idempotencyKey?: string;
  /** Default policy.maxAttempts. */
  maxAttempts?: number;
  /** Not claimable before this time, epoch ms. Default now. */
  runAfter?: number;
}

/** One item of enqueueMany(): its id, or the refusal (TENANT_BACKLOG_FULL) that kept it out. */
export type EnqueueOutcome = string | AirlockError;

/** Proof of a claim: the item and the fencing token it was claimed with. */
export interface Lease {
  tenant: string;
  id: string;
  fence: number;
}

export interface ClaimRequest {
  /** Who claims (a worker id); stored as the lease owner, for operators. */
  owner: string;
  /** Most items to claim in this call. */
  max: number;
  /** Most items of a lane among them (a claimer whose room for one lane is smaller); default: max. */
  laneMax?: Partial<Record<Lane, number>>;
  /** Lease length, ms. Default policy.leaseMs. */
  leaseMs?: number;
}

export interface Claimed {
  item: QueueItem;
  lease: Lease;
}

export interface FailOptions {
  /** false: the failure is permanent; the item ends `failed` without retries. Default true. */
  retryable?: boolean;
  /**
   * false: this ending is not a failed attempt of the work (its deadline passed, its function was
   * deleted), so `attempts` stays as it is. Default true.
   */
  attempt?: boolean;
}

export interface ContinueOptions {
  /** Saved with the continuation, atomically (same cap as saveCheckpoint); resets stalledRuns. */
  checkpoint?: unknown;
  /** The run saved no checkpoint: stalledRuns goes up by one (ignored with `checkpoint`). */
  stalled?: boolean;
  /** Not claimable again before now + delayMs. Default 0. */
  delayMs?: number;
}

/** What changes when a finished item is queued again (requeue); everything else is kept. */
export interface RequeueRequest {
  /** Replaces the stored payload (same cap as enqueue). Default: kept. */
  payload?: unknown;
  /** Failed attempts allowed from now on (attempts start over at 0). Default: kept. */
  maxAttempts?: number;
}

/** Statuses requeue() takes an item out of: endings that a new attempt may change. */
export const REQUEUEABLE_STATUSES: readonly QueueStatus[] = ['failed', 'dead', 'cancelled'];

export interface ListRequest {
  tenant: string;
  function?: string;
  status?: QueueStatus;
  /** Most items returned. */
  limit: number;
  /** Page: only items enqueued before this one (an id from the previous page); an unknown id lists nothing. */
  before?: string;
  /** Only the item submitted with this idempotency key (at most one per tenant). */
  idempotencyKey?: string;
  /**
   * Also stop once the items listed reach this many bytes (the first is listed however large);
   * rows are read one at a time. `budget.spent` tells after the call whether the page was cut by size.
   */
  budget?: PageBudget<QueueItem>;
}

/**
 * A run in progress of a queue item: its execution record without the outcome (status, finish
 * time, duration, result, error, logs), as far as the run's holder knows it when the run starts.
 */
export type RunRecord = Pick<
  ExecutionRecord,
  'id' | 'tenant' | 'function' | 'version' | 'start' | 'isolation' | 'layers' | 'queuedAt' | 'startedAt'
> & {
  jobId: string;
  /** Its log lines so far (noted again as it runs): a lost run's record keeps them. */
  logs?: ExecutionRecord['logs'];
  /** Its brokered egress requests so far (noted with its logs): a lost run's record keeps them too. */
  egress?: ExecutionRecord['egress'];
};

/**
 * Told of each item that became `dead` (its last attempt failed, or its last run's lease ended
 * without its holder), once the transaction that made it so has committed; every implementation
 * takes one when it is opened. Must not throw (a throw is ignored) and should not wait.
 */
export type DeadItemListener = (item: QueueItem) => void;

export interface QueueStore {
  /** Applies forward-only migrations (shared with the rest of the store). */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Adds an item, or returns the existing one when (tenant, idempotencyKey) is already known
   * (created: false; the stored item wins even if the request differs). INPUT_TOO_LARGE above
   * policy.payloadBytes, VALIDATION_FAILED when the payload is not JSON, TENANT_BACKLOG_FULL
   * (nothing stored) when the tenant already holds policy.tenantBacklog unfinished items (a known
   * idempotency key still answers its item). The check and the insert are one transaction.
   */
  enqueue(req: EnqueueRequest): Promise<{ item: QueueItem; created: boolean }>;
  /**
   * Adds many items in ONE transaction (group commit). Answers, in request order, each item's id
   * (an idempotency key already known answers the existing item's id) or the TENANT_BACKLOG_FULL
   * error of an item refused by its tenant's backlog cap, counted as the batch goes (the others
   * are stored). Payloads are checked like enqueue()'s before anything is written: a bad one
   * stores none of the batch and the call rejects.
   */
  enqueueMany(reqs: readonly EnqueueRequest[]): Promise<EnqueueOutcome[]>;
  /** The tenant's unfinished items (queued, waiting to retry or continue, running): what the backlog cap counts. */
  backlog(tenant: string): Promise<number>;
  get(tenant: string, id: string): Promise<QueueItem | undefined>;
  /**
   * A tenant's items, newest first (enqueue order), optionally of one function and/or status.
   * Listed items carry `payload: null` and no `checkpoint` (each can be megabytes; `checkpointAt`
   * stays); get() reads one whole. At most `limit` items and `budget` bytes.
   */
  list(req: ListRequest): Promise<QueueItem[]>;

  /**
   * Atomically claims up to `max` ready items, chosen fairly across tenants (planClaims), within
   * the global slots, lane reservation and per-tenant caps. First turns every expired lease into a
   * failed attempt (a crash). Each claimed item is `running` with a fresh lease and fence + 1.
   * Two claimers never get the same item.
   */
  claim(req: ClaimRequest): Promise<Claimed[]>;

  /** Extends a live lease to now + leaseMs; returns the new expiry. LEASE_LOST if stale. */
  heartbeat(lease: Lease, leaseMs?: number): Promise<number>;
  /**
   * Notes the run the lease holder has just started, as the execution record it will become
   * (RunRecord); noted again, it replaces the note (e.g. with the run's logs so far). Should the
   * lease end without the holder (its server gone, SERVER_GONE, or its lease run out,
   * LEASE_EXPIRED), that ending also writes the record, `killed`, with the reason as its error, in
   * the same transaction: a run lost with its server still has a record. Should the holder have
   * been only slow, its own record of the run, written later under the same id, replaces it.
   * Cleared when the item is settled or claimed again. LEASE_LOST if stale.
   */
  markRun(lease: Lease, run: RunRecord): Promise<void>;
  /** Durably saves a checkpoint; returns its time. LEASE_LOST if stale, CHECKPOINT_TOO_LARGE. */
  saveCheckpoint(lease: Lease, state: unknown): Promise<number>;
  /**
   * Ends the item `succeeded` with its result. LEASE_LOST if stale. `resultJson`, when given, is
   * that result as compact JSON text already checked (a sandbox's answer read on the parser
   * thread): it is stored as it is and `result` is not read.
   */
  complete(lease: Lease, result: unknown, resultJson?: string): Promise<QueueItem>;
  /** Counts a failed attempt: queued again after backoff, dead after the last, failed if permanent. */
  fail(lease: Lease, error: QueueError, options?: FailOptions): Promise<QueueItem>;
  /** The run hit its slice cap: queued again at once, attempts unchanged. LEASE_LOST if stale. */
  continueLater(lease: Lease, options?: ContinueOptions): Promise<QueueItem>;

  /**
   * Cancels a queued or running item (a running holder's lease operations then fail with
   * LEASE_LOST). An item already terminal is returned unchanged; undefined when unknown.
   */
  cancel(tenant: string, id: string): Promise<QueueItem | undefined>;

  /**
   * Queues a `failed`, `dead` or `cancelled` item again in place: claimable at once, attempts and
   * stalled runs back to 0, result and finish time cleared; its id, idempotency key, checkpoint,
   * runs and last error are kept (so its next run resumes from the checkpoint). An item in any
   * other status is returned unchanged with `requeued: false`; undefined when unknown.
   */
  requeue(tenant: string, id: string, req?: RequeueRequest): Promise<{ item: QueueItem; requeued: boolean } | undefined>;

  /** The lease owners of running items (a worker may judge which of them are dead). */
  runningOwners(): Promise<string[]>;
  /**
   * Ends now the leases held by `owners` (workers known to be dead): each such item counts a
   * crashed attempt at once, with lastError SERVER_GONE naming the owner (not LEASE_EXPIRED, which
   * is for leases that ran out), and is queued again after backoff, or dead after its last
   * attempt. Returns how many.
   */
  expireLeases(owners: readonly string[]): Promise<number>;

  /** Items queued and running now, over every tenant (metrics). */
  counts(): Promise<{ queued: number; running: number }>;

  /**
   * Deletes up to `max` items in a terminal status that finished before `finishedBefore` (epoch
   * ms), in one transaction, looking at a bounded window of the oldest items per call (from where
   * the previous call stopped); queued and running items are never touched. A deleted item's
   * idempotency key is free again.
   */
  purgeFinished(finishedBefore: number, max: number): Promise<PurgeBatch>;
}
