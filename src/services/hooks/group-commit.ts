// Group commit of webhook deliveries: requests that arrive within a short window (or within one
// turn of the event loop) are stored in ONE queue transaction, and each caller is answered only
// after that transaction committed. One commit per delivery, fsynced, would cap ingest at the
// disk's sync rate; one per batch spreads it over every delivery in the batch. While a batch
// commits, the next one collects; batches never overlap, so commits stay in arrival order. A
// delivery its tenant's backlog cap refuses (TENANT_BACKLOG_FULL) is rejected alone; the rest of
// its batch is stored.
import type { EnqueueRequest, QueueStore } from '../../queue/port.js';

export interface GroupCommitOptions {
  /** Collect for this long after the first request of a batch, ms; 0: until the next event-loop turn. */
  windowMs: number;
  /** A batch this large is committed at once. */
  maxBatch: number;
  /** Called after each successful commit (e.g. to wake the job worker once per batch, not per item). */
  onCommit?: () => void;
}

interface Pending {
  req: EnqueueRequest;
  resolve(id: string): void;
  reject(err: unknown): void;
}

export interface GroupCommitStats {
  /** Transactions committed (successful or not). */
  commits: number;
  /** Items stored through them. */
  items: number;
}

export class GroupCommitter {
  private readonly queue: QueueStore;
  private readonly options: GroupCommitOptions;
  private batch: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** A commit is in progress: arrivals collect meanwhile and commit together right after it. */
  private busy = false;
  /** Resolved whenever nothing is committing or collected (close() waits for it). */
  private idle: Promise<void> = Promise.resolve();
  private settleIdle: (() => void) | undefined;
  private closed = false;
  readonly stats: GroupCommitStats = { commits: 0, items: 0 };

  constructor(queue: QueueStore, options: GroupCommitOptions) {
    this.queue = queue;
    this.options = { ...options, windowMs: Math.max(0, options.windowMs), maxBatch: Math.max(1, options.maxBatch) };
  }

  /** Stores `req` durably; resolves with its item id once its batch committed. */
  enqueue(req: EnqueueRequest): Promise<string> {
    if (this.closed) return Promise.reject(new Error('the group committer is closed'));
    return new Promise<string>((resolve, reject) => {
      if (this.settleIdle === undefined) this.idle = new Promise((done) => (this.settleIdle = done));
      this.batch.push({ req, resolve, reject });
      if (this.busy) return; // the commit in progress flushes this batch when it ends
      if (this.batch.length >= this.options.maxBatch) this.flush();
      else this.arm();
    });
  }

  private arm(): void {
    if (this.timer !== undefined || this.immediate !== undefined) return;
    if (this.options.windowMs === 0) this.immediate = setImmediate(() => this.flush());
    else this.timer = setTimeout(() => this.flush(), this.options.windowMs);
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.busy) return;
    if (this.batch.length === 0) {
      this.settleIdle?.();
      this.settleIdle = undefined;
      return;
    }
    const batch = this.batch.splice(0, this.options.maxBatch);
    this.busy = true;
    void this.commit(batch).finally(() => {
      this.busy = false;
      // Whatever arrived meanwhile has already waited one whole commit: no window for it.
      this.flush();
    });
  }

  private async commit(batch: Pending[]): Promise<void> {
    this.stats.commits++;
    try {
      const outcomes = await this.queue.enqueueMany(batch.map((p) => p.req));
      batch.forEach((p, i) => {
        const outcome = outcomes[i]!;
        if (typeof outcome !== 'string') return p.reject(outcome); // refused by its tenant's backlog cap
        this.stats.items++;
        p.resolve(outcome);
      });
      this.options.onCommit?.();
    } catch (err) {
      // One bad request must not fail the others: a batch that fails is retried one by one.
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      for (const p of batch) await this.commit([p]);
    }
  }

  /** Commits what is collected and waits for every commit; later enqueues are refused. */
  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    await this.idle;
  }
}
