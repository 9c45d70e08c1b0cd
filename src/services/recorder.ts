// ExecutionRecorder: batches execution records so the invoke hot path pays only an array push.
// Records are written in one transaction per batch, every `flushMs` or as soon as `batchSize`
// wait. A failed write keeps its records and retries with backoff (logged); a record the store
// says it can never hold (VALIDATION_FAILED naming it) is dropped alone, with a log line; so are
// the records still unwritten when the store fails the last write at close.
// Reads see records that are not written yet. Records of executions that did not succeed also
// go to the outcome log (outcome-log.ts: rate-limited warn lines), the one place every
// invocation's and job slice's outcome passes.
import type { Config } from '../core/config.js';
import { isAirlockError } from '../core/errors.js';
import { takePage } from '../core/page-budget.js';
import type { PageBudget } from '../core/page-budget.js';
import type { ExecutionRecord } from '../core/types.js';
import type { AllExecutionsFilter, ExecutionFilter, Store } from '../store/port.js';
import type { ExitStatus } from './outcome-log.js';

/** The part of a pino logger the recorder uses. */
export interface RecorderLogger {
  error(obj: object, msg: string): void;
}

export type RecorderConfig = Pick<Config, 'recordFlushMs'>;

export interface RecorderOptions {
  /** A write starts as soon as this many records wait; also the most per transaction. Default 500. */
  batchSize?: number;
  /**
   * Records kept in memory while the store keeps failing. Beyond this the oldest are dropped, with
   * an error logged, so a long outage cannot exhaust memory. Default 100 000.
   */
  maxPending?: number;
  /** Told of every record whose status is not `succeeded` (OutcomeLog); closed with the recorder. */
  outcomes?: { note(rec: ExecutionRecord, exit?: ExitStatus): void; close(): void };
}

/** Longest wait between retries while the store keeps failing, ms. */
const MAX_RETRY_MS = 5_000;

function noop(): void {}

/** The filter parts both listings share: function, the `before` cursor and the id (time) range. */
function matchesCommon(rec: ExecutionRecord, filter: ExecutionFilter | AllExecutionsFilter): boolean {
  return (
    (filter.function === undefined || rec.function === filter.function) &&
    (filter.before === undefined || rec.id < filter.before) &&
    (filter.fromId === undefined || rec.id >= filter.fromId) &&
    (filter.toId === undefined || rec.id < filter.toId)
  );
}

function matchesAll(rec: ExecutionRecord, filter: AllExecutionsFilter): boolean {
  return rec.status === filter.status && matchesCommon(rec, filter);
}

function matches(rec: ExecutionRecord, tenant: string, filter: ExecutionFilter): boolean {
  return (
    rec.tenant === tenant &&
    (filter.status === undefined || rec.status === filter.status) &&
    (filter.job === undefined || rec.jobId === filter.job) &&
    matchesCommon(rec, filter)
  );
}

export class ExecutionRecorder {
  private readonly store: Store;
  private readonly flushMs: number;
  private readonly logger: RecorderLogger;
  private readonly batchSize: number;
  private readonly maxPending: number;
  private readonly outcomes: RecorderOptions['outcomes'];

  private pending: ExecutionRecord[] = [];
  /** The batch being written: not in `pending`, maybe not in the store yet. */
  private inflight: ExecutionRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private current: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private failures = 0;
  private lastFailure = '';
  private droppedCount = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  /** Writes at least every `config.recordFlushMs` ms; failures go to `logger.error`. */
  constructor(store: Store, config: RecorderConfig, logger: RecorderLogger, options: RecorderOptions = {}) {
    this.store = store;
    this.flushMs = Math.max(1, config.recordFlushMs);
    this.logger = logger;
    this.batchSize = Math.max(1, options.batchSize ?? 500);
    this.maxPending = Math.max(this.batchSize, options.maxPending ?? 100_000);
    this.outcomes = options.outcomes;
  }

  /** Records waiting to be written (including the batch being written). */
  get backlog(): number {
    return this.pending.length + this.inflight.length;
  }

  /** Why the store is failing, while its last write of records failed (GET /healthz); undefined when it works. */
  get writeProblem(): string | undefined {
    if (this.failures === 0) return undefined;
    return `writing execution records failed ${this.failures} time${this.failures === 1 ? '' : 's'} in a row (${this.lastFailure}); ` +
      `${this.pending.length} held in memory and retried (the server log says why and what to do)`;
  }

  /** Records dropped since the start (each also logged): unstorable, over the backlog, or after close. */
  get dropped(): number {
    return this.droppedCount;
  }

  /**
   * Queues a record. Never throws, never waits. `exit`: how the sandbox process exited, when it
   * ended during the run (for the outcome log). `continued`: a job slice that ended at its cap
   * after saving progress, or was handed back at a server stop: the job goes on in a new slice, so
   * it is no failure for the outcome log (its record keeps its status, `timeout` or `killed`).
   */
  record(rec: ExecutionRecord, exit?: ExitStatus, continued = false): void {
    if (rec.status !== 'succeeded' && !continued && this.outcomes !== undefined) this.outcomes.note(rec, exit);
    if (this.closed) {
      this.droppedCount++;
      this.logger.error(
        { executionId: rec.id, tenant: rec.tenant },
        'execution record arrived after the recorder was closed and was dropped; drain executions before closing it',
      );
      return;
    }
    this.pending.push(rec);
    if (this.failures > 0) return; // the failed write armed its retry
    if (this.pending.length >= this.batchSize) this.soon();
    else if (this.timer === undefined) this.later(this.flushMs);
  }

  /** The record, written or not; undefined if absent or owned by another tenant. */
  async get(tenant: string, id: string): Promise<ExecutionRecord | undefined> {
    const local = this.findLocal(id);
    if (local) return local.tenant === tenant ? local : undefined;
    return this.store.getExecution(tenant, id);
  }

  /**
   * Newest first, within the filter's limit and byte budget. Writes what is waiting first; if that
   * fails, merges the waiting records in.
   */
  async list(tenant: string, filter: ExecutionFilter): Promise<ExecutionRecord[]> {
    return this.listWith(() => this.store.listExecutions(tenant, filter), (rec) => matches(rec, tenant, filter), filter);
  }

  /** Executions of every tenant with one unsucceeded status, newest first; like list(). */
  async listAll(filter: AllExecutionsFilter): Promise<ExecutionRecord[]> {
    return this.listWith(() => this.store.listAllExecutions(filter), (rec) => matchesAll(rec, filter), filter);
  }

  private async listWith(
    read: () => Promise<ExecutionRecord[]>,
    match: (rec: ExecutionRecord) => boolean,
    page: { limit: number; budget?: PageBudget<ExecutionRecord> },
  ): Promise<ExecutionRecord[]> {
    let flushed = true;
    try {
      await this.flush();
    } catch {
      flushed = false; // logged by the failed pass
    }
    const stored = await read();
    if (flushed) return stored;
    const byId = new Map(stored.map((r) => [r.id, r]));
    for (const rec of [...this.inflight, ...this.pending]) {
      if (match(rec)) byId.set(rec.id, rec);
    }
    const merged = [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    // The page again from the merged records, within the same limit and byte budget.
    page.budget?.reset();
    return takePage(merged, (rec) => rec, page.limit, page.budget);
  }

  /** Resolves once every record queued before the call is written; rejects if a write failed. */
  flush(): Promise<void> {
    if (this.current === undefined) return this.startPass();
    this.queued ??= this.current.then(noop, noop).then(() => {
      this.queued = undefined;
      return this.startPass();
    });
    return this.queued;
  }

  /**
   * Stops the timers and writes everything left. Later records are dropped (and logged). If that
   * last write fails, the records it could not write are dropped too (counted in `dropped`, and
   * logged with their count) and the promise rejects with the store's error.
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closed = true;
      this.closing = this.flush()
        .catch((err: unknown) => {
          this.dropUnwritten(err);
          throw err;
        })
        .finally(() => {
          this.clearTimers();
          this.outcomes?.close();
        });
    }
    return this.closing;
  }

  private findLocal(id: string): ExecutionRecord | undefined {
    for (let i = this.pending.length - 1; i >= 0; i--) if (this.pending[i]!.id === id) return this.pending[i];
    for (const rec of this.inflight) if (rec.id === id) return rec;
    return undefined;
  }

  private soon(): void {
    if (this.immediate !== undefined) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.flush().catch(noop); // failures are logged and retried by the pass itself
    });
    this.immediate.unref();
  }

  private later(delayMs: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(noop);
    }, delayMs);
    this.timer.unref();
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private startPass(): Promise<void> {
    const pass: Promise<void> = this.pass().finally(() => {
      if (this.current === pass) this.current = undefined;
    });
    this.current = pass;
    return pass;
  }

  /** Writes the records pending when it starts (not ones arriving meanwhile: those get a timer). */
  private async pass(): Promise<void> {
    let owed = this.pending.length;
    while (owed > 0 && this.pending.length > 0) {
      const batch = this.pending.splice(0, Math.min(this.batchSize, owed));
      this.inflight = batch;
      try {
        await this.store.insertExecutions(batch);
        owed -= batch.length;
        this.failures = 0;
      } catch (err) {
        const bad = this.unstorable(err, batch);
        if (bad !== undefined) {
          this.droppedCount++;
          this.logger.error({ err, executionId: bad.id, tenant: bad.tenant }, 'execution record cannot be stored; dropped');
          this.pending = batch.filter((r) => r !== bad).concat(this.pending);
          owed -= 1;
          continue;
        }
        this.pending = batch.concat(this.pending);
        this.failures++;
        this.lastFailure = err instanceof Error ? err.message : String(err);
        this.dropOverflow();
        const retryMs = Math.min(this.flushMs * 2 ** (this.failures - 1), MAX_RETRY_MS);
        this.logger.error(
          { err, backlog: this.pending.length, failures: this.failures, retryMs },
          'writing execution records failed; they are kept and retried',
        );
        if (!this.closed) this.later(retryMs);
        throw err;
      } finally {
        this.inflight = [];
      }
      // Let I/O run between batches: a synchronous store blocks the event loop while it writes.
      if (owed > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (this.pending.length > 0 && !this.closed) this.later(this.flushMs);
  }

  /** The record a VALIDATION_FAILED error names, if it is in `batch`. */
  private unstorable(err: unknown, batch: ExecutionRecord[]): ExecutionRecord | undefined {
    if (!isAirlockError(err) || err.code !== 'VALIDATION_FAILED') return undefined;
    const id = err.details?.executionId;
    return typeof id === 'string' ? batch.find((r) => r.id === id) : undefined;
  }

  /** After the last write of close() failed: nothing will write what is left. */
  private dropUnwritten(err: unknown): void {
    const left = this.pending.splice(0);
    if (left.length === 0) return;
    this.droppedCount += left.length;
    this.logger.error(
      { err, dropped: left.length, firstId: left[0]!.id, lastId: left[left.length - 1]!.id },
      'execution records could not be written before shutdown and were dropped',
    );
  }

  private dropOverflow(): void {
    const excess = this.pending.length - this.maxPending;
    if (excess <= 0) return;
    const dropped = this.pending.splice(0, excess);
    this.droppedCount += excess;
    this.logger.error(
      { dropped: excess, firstId: dropped[0]!.id, lastId: dropped[excess - 1]!.id, maxPending: this.maxPending },
      'execution record backlog is full while the store keeps failing; the oldest records were dropped',
    );
  }
}
