// SqliteQueue: the QueueStore port on better-sqlite3. It opens its own connection to the same
// database file as SqliteStore (WAL lets them share it; busy_timeout waits out the other's write
// lock), so queue traffic and execution records do not share one statement cache or transaction.
// The clock and the random source are injectable for tests.
import type { Database as Db } from 'better-sqlite3';
import { AirlockError } from '../../../core/errors.js';
import { idTimeFloor, sortableId } from '../../../core/ids.js';
import { takePage } from '../../../core/page-budget.js';
import type {
  ClaimRequest,
  Claimed,
  DeadItemListener,
  ContinueOptions,
  EnqueueOutcome,
  EnqueueRequest,
  FailOptions,
  Lease,
  ListRequest,
  QueueError,
  QueueItem,
  QueuePolicy,
  QueueStore,
  RequeueRequest,
  RunRecord,
} from '../../../queue/port.js';
import type { PurgeBatch } from '../../port.js';
import { LANES } from '../../../scheduler/stride.js';
import { BacklogTally } from './backlog-tally.js';
import { PreparedConnection } from '../prepared-connection.js';
import { claimInTransaction, endLeaseWithoutHolder, failAttempt, serverGoneError } from './claim.js';
import { prepareAll } from './prepared.js';
import type { Guard, InsertParams, Prepared } from './prepared.js';
import type { ClaimContext } from './claim.js';
import { encodeJson, rowToItem } from './rows.js';
import { openLogFile, WalSyncer } from '../wal-sync.js';
import type { LogFile } from '../wal-sync.js';
import type { QueueItemRow } from './rows.js';
import { RECOUNT_QUEUE } from '../statements/queue/recount.js';
import { isDatabaseDamaged } from '../../storage-errors.js';

export interface SqliteQueueOptions {
  policy: QueuePolicy;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
  /** In [0, 1), for backoff jitter. Default Math.random. */
  random?: () => number;
  /** How long a write waits for another connection's lock, ms. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * Durability of enqueueMany() (group commits): `full` fsyncs the write-ahead log before the
   * call resolves (survives power loss), off the event loop (wal-sync.ts); `normal` survives a
   * crash of the process only, like the connection's other writes. Default `full`.
   */
  batchSync?: 'full' | 'normal';
  /** The log file `full` flushes. Default: the database's -wal file (fdatasync in libuv's thread pool). */
  logFile?: LogFile;
  /** Told of each item that became dead, once its transaction committed (QueueStore port: DeadItemListener). */
  onDead?: DeadItemListener;
}

const MAX_ERROR_MESSAGE = 4096;


export class SqliteQueue implements QueueStore {
  readonly file: string;
  private readonly conn: PreparedConnection<Prepared>;
  private readonly ctx: ClaimContext;
  private readonly batchSync: 'full' | 'normal';
  private readonly wal: WalSyncer;
  private readonly onDead: DeadItemListener | undefined;
  /** Retention goes on after this id (the end of its last window); '' begins a new pass. */
  private purgeAfter = '';

  /** Opens (creating if needed, owner-only) the database file. Call migrate() before anything else. */
  constructor(file: string, options: SqliteQueueOptions) {
    this.file = file;
    this.conn = new PreparedConnection(
      file,
      options.busyTimeoutMs,
      prepareAll,
      'SqliteQueue used before migrate() or after close(); call await queue.migrate() first',
    );
    this.ctx = { policy: options.policy, now: options.now ?? Date.now, random: options.random ?? Math.random };
    this.batchSync = options.batchSync ?? 'full';
    this.wal = new WalSyncer(options.logFile ?? openLogFile(file));
    this.onDead = options.onDead;
  }

  /** Tells the listener of the rows that became dead (after their transaction committed). */
  private told(dead: readonly QueueItemRow[]): void {
    if (this.onDead === undefined) return;
    for (const row of dead) {
      try {
        this.onDead(rowToItem(row));
      } catch {
        // the listener's failure is not the queue's: the item is dead and stored either way
      }
    }
  }

  private get db(): Db {
    return this.conn.db;
  }

  private stmts(): Prepared {
    return this.conn.stmts();
  }

  async migrate(): Promise<void> {
    this.conn.migrate();
    // The tallies counted again from the items (statements/queue/recount.ts). Damage where the
    // count reads (an index of the queue) leaves them as the triggers kept them: the start goes
    // on, and the claims that read there report it (claim-failure-log.ts), as before.
    try {
      this.db.transaction(() => this.db.exec(RECOUNT_QUEUE)).immediate();
    } catch (err) {
      if (!isDatabaseDamaged(err)) throw err;
    }
  }

  async close(): Promise<void> {
    await this.conn.close(() => this.wal.close());
  }

  /** Checks and encodes one request (nothing written): the insert's parameters. */
  private insertParams(req: EnqueueRequest, now: number): InsertParams {
    const policy = this.ctx.policy;
    const payload = encodeJson(req.payload, 'the queue payload', policy.payloadBytes, 'INPUT_TOO_LARGE');
    const maxAttempts = checkMaxAttempts(req.maxAttempts ?? policy.maxAttempts);
    if (!LANES.includes(req.lane)) {
      throw new AirlockError('VALIDATION_FAILED', `lane must be one of ${LANES.join(', ')}, got ${JSON.stringify(req.lane)}`);
    }
    if (req.runAfter !== undefined && !Number.isSafeInteger(req.runAfter)) {
      throw new AirlockError('VALIDATION_FAILED', `runAfter must be epoch milliseconds (an integer), got ${req.runAfter}`);
    }
    const id = sortableId('qi', now);
    return [id, req.tenant, req.function, req.lane, payload, req.idempotencyKey ?? null, maxAttempts, req.runAfter ?? now, now, now];
  }

  async enqueue(req: EnqueueRequest): Promise<{ item: QueueItem; created: boolean }> {
    const s = this.stmts();
    const params = this.insertParams(req, this.ctx.now());
    const [id, tenant, , , , key] = params;
    // One write transaction: the backlog read and the insert see the same state on every server.
    const tx = this.db.transaction((): { row: QueueItemRow | undefined; created: boolean } => {
      const tally = new BacklogTally(s, this.ctx.policy.tenantBacklog);
      const refusal = tally.refusal(tenant);
      if (refusal !== undefined) {
        const known = key === null ? undefined : s.byKey.get(tenant, key);
        if (known === undefined) throw refusal;
        return { row: known, created: false };
      }
      const created = s.insert.run(...params).changes > 0;
      if (created) tally.stored(tenant);
      tally.write();
      return { row: created ? s.get.get(tenant, id) : key === null ? undefined : s.byKey.get(tenant, key), created };
    });
    const { row, created } = tx.immediate();
    if (row === undefined) throw new AirlockError('INTERNAL', `queue item ${id} vanished right after enqueue`);
    return { item: rowToItem(row), created };
  }

  async enqueueMany(reqs: readonly EnqueueRequest[]): Promise<EnqueueOutcome[]> {
    const s = this.stmts();
    const now = this.ctx.now();
    const all = reqs.map((req) => this.insertParams(req, now));
    const tx = this.db.transaction((): EnqueueOutcome[] => {
      const tally = new BacklogTally(s, this.ctx.policy.tenantBacklog);
      const outcomes = all.map((params): EnqueueOutcome => {
        const [id, tenant, , , , key] = params;
        const refusal = tally.refusal(tenant);
        if (refusal !== undefined) return (key === null ? undefined : s.byKey.get(tenant, key))?.id ?? refusal;
        if (s.insert.run(...params).changes > 0) {
          tally.stored(tenant);
          return id;
        }
        if (key === null) return id;
        const existing = s.byKey.get(tenant, key);
        if (existing === undefined) throw new AirlockError('INTERNAL', `queue item ${id} could not be stored nor found by its key`);
        return existing.id;
      });
      tally.write();
      return outcomes;
    });
    const outcomes = tx.immediate();
    // Only refusals: nothing this call answers needs to be on disk.
    const answersIds = outcomes.some((outcome) => typeof outcome === 'string');
    if (this.batchSync === 'full' && answersIds && this.file !== ':memory:') await this.makeDurable();
    return outcomes;
  }

  /**
   * Committed with synchronous=NORMAL (no fsync on the event loop): durable once the log is
   * synced. Should that fail, a FULL checkpoint (log and database file synced, on the event loop)
   * still makes the commit durable before anyone is told it is.
   */
  private async makeDurable(): Promise<void> {
    try {
      await this.wal.sync();
    } catch (err) {
      const [result] = this.db.pragma('wal_checkpoint(FULL)') as { busy: number }[];
      if (result === undefined || result.busy !== 0) {
        throw new AirlockError(
          'INTERNAL',
          `could not make the commit durable (syncing ${this.file}-wal failed: ${err instanceof Error ? err.message : String(err)}, ` +
            'and a full checkpoint was blocked); check the disk holding AIRLOCK_DATA_DIR',
        );
      }
    }
  }

  async get(tenant: string, id: string): Promise<QueueItem | undefined> {
    const row = this.stmts().get.get(tenant, id);
    return row === undefined ? undefined : rowToItem(row);
  }

  async list(req: ListRequest): Promise<QueueItem[]> {
    const limit = Math.max(0, Math.floor(req.limit));
    const params = { tenant: req.tenant, function: req.function ?? null, status: req.status ?? null, before: req.before ?? null, limit };
    const s = this.stmts();
    const rows = req.idempotencyKey === undefined ? s.list.iterate(params) : s.listByKey.iterate({ ...params, key: req.idempotencyKey });
    // Row by row: a page cut by its budget never reads (or parses) the rows after it.
    return takePage(rows, rowToItem, limit, req.budget);
  }

  async claim(req: ClaimRequest): Promise<Claimed[]> {
    const s = this.stmts();
    const leaseMs = req.leaseMs ?? this.ctx.policy.leaseMs;
    const dead: QueueItemRow[] = [];
    const tx = this.db.transaction(() => claimInTransaction(s.claim, this.ctx, req.owner, req.max, leaseMs, dead, req.laneMax));
    const claimed = tx.immediate();
    this.told(dead);
    return claimed;
  }

  private guard(lease: Lease): Guard {
    return [lease.tenant, lease.id, lease.fence, this.ctx.now()];
  }

  /** The LEASE_LOST error for `lease`, saying what became of the item. */
  private leaseLost(lease: Lease): AirlockError {
    const row = this.stmts().get.get(lease.tenant, lease.id);
    const now = row === undefined ? 'no longer exists' : `is ${row.status} with fence ${row.fence}`;
    return new AirlockError(
      'LEASE_LOST',
      `the lease on queue item ${lease.id} (fence ${lease.fence}) is no longer held: the item ${now}. ` +
        'Its lease expired or it was cancelled or claimed again; stop this run, another one owns the item',
      { id: lease.id, fence: lease.fence, status: row?.status, currentFence: row?.fence },
    );
  }

  async heartbeat(lease: Lease, leaseMs?: number): Promise<number> {
    const now = this.ctx.now();
    const row = this.stmts().heartbeat.get(now + (leaseMs ?? this.ctx.policy.leaseMs), now, ...this.guard(lease));
    if (row === undefined) throw this.leaseLost(lease);
    return row.lease_expires_at;
  }

  async markRun(lease: Lease, run: RunRecord): Promise<void> {
    const row = this.stmts().markRun.get(JSON.stringify(run), this.ctx.now(), ...this.guard(lease));
    if (row === undefined) throw this.leaseLost(lease);
  }

  private encodeCheckpoint(state: unknown): string {
    return encodeJson(state, 'the checkpoint', this.ctx.policy.checkpointBytes, 'CHECKPOINT_TOO_LARGE');
  }

  async saveCheckpoint(lease: Lease, state: unknown): Promise<number> {
    const json = this.encodeCheckpoint(state);
    const now = this.ctx.now();
    const row = this.stmts().checkpoint.get(json, now, now, ...this.guard(lease));
    if (row === undefined) throw this.leaseLost(lease);
    return row.checkpoint_at;
  }

  async complete(lease: Lease, result: unknown, resultJson?: string): Promise<QueueItem> {
    const json = resultJson ?? encodeJson(result, 'the result', Number.MAX_SAFE_INTEGER, 'VALIDATION_FAILED');
    const now = this.ctx.now();
    const row = this.stmts().complete.get(json, now, now, ...this.guard(lease));
    if (row === undefined) throw this.leaseLost(lease);
    return rowToItem(row);
  }

  async fail(lease: Lease, error: QueueError, options: FailOptions = {}): Promise<QueueItem> {
    const s = this.stmts();
    const stored = JSON.stringify({ code: String(error.code), message: String(error.message).slice(0, MAX_ERROR_MESSAGE) });
    const tx = this.db.transaction((): QueueItemRow | undefined => {
      const row = s.leased.get(...this.guard(lease));
      if (row === undefined) return undefined;
      return failAttempt(s.claim.finishAttempt, row, stored, options.retryable ?? true, this.ctx, options.attempt ?? true);
    });
    const row = tx.immediate();
    if (row === undefined) throw this.leaseLost(lease);
    if (row.status === 'dead') this.told([row]);
    return rowToItem(row);
  }

  async continueLater(lease: Lease, options: ContinueOptions = {}): Promise<QueueItem> {
    const s = this.stmts();
    const now = this.ctx.now();
    const runAfter = now + Math.max(0, Math.floor(options.delayMs ?? 0));
    const row =
      options.checkpoint === undefined
        ? s.continue.get(runAfter, now, options.stalled === true ? 1 : 0, ...this.guard(lease))
        : s.continueWith.get(runAfter, now, this.encodeCheckpoint(options.checkpoint), now, ...this.guard(lease));
    if (row === undefined) throw this.leaseLost(lease);
    return rowToItem(row);
  }

  async cancel(tenant: string, id: string): Promise<QueueItem | undefined> {
    const s = this.stmts();
    const now = this.ctx.now();
    const row = s.cancel.get(now, now, tenant, id) ?? s.get.get(tenant, id);
    return row === undefined ? undefined : rowToItem(row);
  }

  async requeue(tenant: string, id: string, req: RequeueRequest = {}): Promise<{ item: QueueItem; requeued: boolean } | undefined> {
    const s = this.stmts();
    const payload = req.payload === undefined ? null : encodeJson(req.payload, 'the queue payload', this.ctx.policy.payloadBytes, 'INPUT_TOO_LARGE');
    const maxAttempts = req.maxAttempts === undefined ? null : checkMaxAttempts(req.maxAttempts);
    const row = s.requeue.get({ tenant, id, now: this.ctx.now(), payload, maxAttempts });
    if (row !== undefined) return { item: rowToItem(row), requeued: true };
    const unchanged = s.get.get(tenant, id);
    return unchanged === undefined ? undefined : { item: rowToItem(unchanged), requeued: false };
  }

  async runningOwners(): Promise<string[]> {
    return this.stmts().runningOwners.all().map((r) => r.owner);
  }

  async expireLeases(owners: readonly string[]): Promise<number> {
    const s = this.stmts();
    const dead: QueueItemRow[] = [];
    const tx = this.db.transaction((): number => {
      dead.length = 0;
      let ended = 0;
      for (const owner of owners) {
        for (const row of s.runningOf.all(owner)) {
          const after = endLeaseWithoutHolder(s.claim, row, serverGoneError(row), this.ctx);
          if (after === undefined) continue;
          ended++;
          if (after.status === 'dead') dead.push(after);
        }
      }
      return ended;
    });
    const ended = tx.immediate();
    this.told(dead);
    return ended;
  }

  async backlog(tenant: string): Promise<number> {
    return this.stmts().backlog.get(tenant)?.n ?? 0;
  }

  async counts(): Promise<{ queued: number; running: number }> {
    return this.stmts().counts.get() ?? { queued: 0, running: 0 };
  }

  async purgeFinished(finishedBefore: number, max: number): Promise<PurgeBatch> {
    const s = this.stmts();
    // Items enqueued before the cutoff are an id range; a window of `max` of them per call.
    const idFloor = idTimeFloor('qi', finishedBefore);
    const tx = this.db.transaction((): PurgeBatch => {
      const after = this.purgeAfter;
      const end = s.purgeWindowEnd.get({ after, idFloor, offset: Math.max(0, Math.floor(max) - 1) })?.id;
      const deleted = s.purgeFinished.run({ after, end: end ?? idFloor, idFloor, cutoff: finishedBefore }).changes;
      this.purgeAfter = end ?? '';
      return { deleted, more: end !== undefined };
    });
    return tx.immediate();
  }
}

function checkMaxAttempts(maxAttempts: number): number {
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new AirlockError('VALIDATION_FAILED', `maxAttempts must be an integer >= 1, got ${maxAttempts}`);
  }
  return maxAttempts;
}
