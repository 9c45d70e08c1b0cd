// The sandbox pool's blank sandboxes: keeps blankSize of them ready, one background spawn at a
// time and never ahead of waiting callers or over the budget, backs off after failed spawns,
// waits for a quiet moment before replacing ones just taken (unless few are left), and resolves
// the pool's warm-up once the blank pool first reaches its size. The sandboxes themselves stay
// in the pool's entries.
import type { PoolLogger } from './pool-logger.js';

const REFILL_BACKOFF_MS = [100, 1_000, 5_000, 30_000];
/** A refill waits until no blank sandbox has been taken for this long, ms (see soon()). */
export const REFILL_QUIET_MS = 50;

/** What the refill reads from and asks of the pool. */
export interface RefillHost {
  /** close() was called. */
  closed(): boolean;
  /** Blank sandboxes the pool holds now. */
  blankCount(): number;
  /** No caller is waiting and the budget has room for one more process. */
  roomForBlank(): boolean;
  /** Spawns a blank sandbox in the background; resolves undefined if the pool closed meanwhile. */
  spawnBlank(): Promise<object | undefined>;
  /** Serves queued callers (after each spawn, whatever its result). */
  pump(): void;
}

export class BlankRefill {
  private readonly host: RefillHost;
  private readonly blankSize: number;
  private readonly logger: PoolLogger | undefined;
  private started = false;
  private refilling = false;
  private failures = 0;
  private backoffTimer: NodeJS.Timeout | undefined;
  private deferred: NodeJS.Timeout | undefined;
  /** When a blank sandbox was last handed out (Date.now()); 0: never. */
  private lastTaken = 0;
  private warmWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private warmedUp = false;

  constructor(host: RefillHost, blankSize: number, logger: PoolLogger | undefined) {
    this.host = host;
    this.blankSize = blankSize;
    this.logger = logger;
  }

  /** Starts refilling (once); the pool calls it only while open. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.refill();
  }

  /** Resolves once the blank pool has first reached its size; rejects if a spawn fails first. */
  warmUp(): Promise<void> {
    if (this.warmedUp || this.blankSize === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.warmWaiters.push({ resolve, reject });
      this.checkWarm();
    });
  }

  /** A blank sandbox was handed out: refill once the pool is quiet (see soon()). */
  taken(): void {
    this.lastTaken = Date.now();
    this.soon();
  }

  /**
   * Refills when it will not slow calls: a spawn (fork, bwrap, Node boot) takes a core for tens
   * of ms, so while new tenants' first calls keep taking blank sandboxes, the refill waits until
   * none was taken for REFILL_QUIET_MS, and the burst is served first. Once fewer than a quarter
   * of blankSize are left (at least one), it refills at once, so a long burst does not run the
   * pool dry.
   */
  soon(): void {
    if (this.host.closed()) return;
    const wait = this.lastTaken + REFILL_QUIET_MS - Date.now();
    if (wait <= 0 || this.host.blankCount() < this.lowWater()) {
      this.refill();
      return;
    }
    if (this.deferred !== undefined) return; // its turn re-checks the quiet time
    this.deferred = setTimeout(() => {
      this.deferred = undefined;
      this.soon();
    }, wait);
    this.deferred.unref();
  }

  /** Stops every timer and rejects warm-up waiters with `error()` (the pool is closing). */
  close(error: () => Error): void {
    clearTimeout(this.backoffTimer);
    clearTimeout(this.deferred);
    for (const w of this.warmWaiters.splice(0)) w.reject(error());
  }

  /** Keeps blankSize blank sandboxes, one spawn at a time, never ahead of waiting callers. */
  private refill(): void {
    if (!this.started || this.host.closed() || this.refilling || this.backoffTimer !== undefined) return;
    if (this.host.blankCount() >= this.blankSize || !this.host.roomForBlank()) return;
    this.refilling = true;
    this.host.spawnBlank().then(
      (entry) => {
        this.refilling = false;
        this.failures = 0;
        if (entry !== undefined) this.checkWarm();
        this.host.pump();
      },
      (err: unknown) => {
        this.refilling = false;
        const delay = REFILL_BACKOFF_MS[Math.min(this.failures++, REFILL_BACKOFF_MS.length - 1)]!;
        this.logger?.warn({ err, retryInMs: delay }, 'could not spawn a blank sandbox');
        for (const w of this.warmWaiters.splice(0)) w.reject(err instanceof Error ? err : new Error(String(err)));
        this.backoffTimer = setTimeout(() => {
          this.backoffTimer = undefined;
          this.refill();
        }, delay);
        this.backoffTimer.unref();
        this.host.pump();
      },
    );
  }

  /** Fewer blank sandboxes than this: refill without waiting for a quiet moment. */
  private lowWater(): number {
    return Math.max(1, Math.floor(this.blankSize / 4));
  }

  private checkWarm(): void {
    if (this.host.blankCount() < this.blankSize) return;
    this.warmedUp = true;
    for (const w of this.warmWaiters.splice(0)) w.resolve();
  }
}
