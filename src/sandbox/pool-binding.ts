// Binding a blank sandbox the pool hands out to its tenant (Sandbox.bindTenant: its move under the
// tenant's cgroup), never awaited by the pool. A first call still running firstCallMs in binds at
// once. One that ended binds once the pool has taken no blank sandbox for quietMs, or maxUnboundMs
// after it was taken, whichever comes first (BIND_TIMING): a burst of new tenants' first calls is
// answered before the binds (about a millisecond of kernel work each) compete with it.
import type { PoolLogger } from './pool-logger.js';
import type { Sandbox } from './port.js';

export interface BindTiming {
  /** A first call running this long binds its sandbox without waiting for it to end, ms. */
  firstCallMs: number;
  /** A sandbox whose first call ended binds once no blank sandbox was taken for this long, ms... */
  quietMs: number;
  /** ...or this long after it was taken, whichever comes first, ms. */
  maxUnboundMs: number;
}

export const BIND_TIMING: BindTiming = { firstCallMs: 50, quietMs: 20, maxUnboundMs: 1_000 };

/** The fields of a pool entry that binding reads and writes. */
export interface Bindable {
  readonly sandbox: Sandbox;
  readonly state: string;
  /** Tenant whose cgroup the sandbox still has to join; null once done. */
  unboundTenant: string | null;
  bindTimer: NodeJS.Timeout | undefined;
  /** When it was taken from the blank pool (performance.now()): it binds by this plus maxUnboundMs. */
  takenAt: number;
}

/** Binds the pool's blank sandboxes to their tenants (one per pool). */
export class TenantBinder {
  private readonly timing: BindTiming;
  private readonly logger: PoolLogger | undefined;
  /** Sandboxes whose first call ended, waiting for a quiet moment (in the order their calls ended). */
  private readonly waiting = new Set<Bindable>();
  private lastTakeAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(logger?: PoolLogger, timing: BindTiming = BIND_TIMING) {
    this.logger = logger;
    this.timing = timing;
  }

  /** A blank sandbox was taken for `tenant`'s call. */
  taken(entry: Bindable, tenant: string): void {
    const now = performance.now();
    this.lastTakeAt = now;
    entry.unboundTenant = tenant;
    entry.takenAt = now;
    entry.bindTimer = setTimeout(() => this.bindNow(entry), this.timing.firstCallMs);
    entry.bindTimer.unref();
  }

  /** A call of the sandbox ended and the sandbox stays: binds it soon if it is still unbound. */
  released(entry: Bindable): void {
    if (entry.unboundTenant === null || this.waiting.has(entry)) return;
    clearTimeout(entry.bindTimer);
    entry.bindTimer = undefined;
    this.waiting.add(entry);
    this.schedule();
  }

  /** Forgets pending binds (the pool is closing; its sandboxes go away unbound). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const entry of this.waiting) entry.unboundTenant = null;
    this.waiting.clear();
  }

  /** (Re)arms the timer for the next sweep: the quiet moment, or the earliest take's deadline if sooner. */
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.size === 0) return;
    let earliestTake = Infinity;
    for (const entry of this.waiting) earliestTake = Math.min(earliestTake, entry.takenAt);
    const at = Math.min(this.lastTakeAt + this.timing.quietMs, earliestTake + this.timing.maxUnboundMs);
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - performance.now()));
    this.timer.unref();
  }

  private sweep(): void {
    this.timer = undefined;
    const now = performance.now();
    const quiet = now - this.lastTakeAt >= this.timing.quietMs;
    for (const entry of this.waiting) {
      if (!quiet && now - entry.takenAt < this.timing.maxUnboundMs) continue;
      this.waiting.delete(entry);
      this.bindNow(entry);
    }
    this.schedule();
  }

  /** Binds now if a bind is still pending; no-op for a bound or closing sandbox. */
  private bindNow(entry: Bindable): void {
    clearTimeout(entry.bindTimer);
    entry.bindTimer = undefined;
    this.waiting.delete(entry);
    const tenant = entry.unboundTenant;
    if (tenant === null || entry.state === 'closing') return;
    entry.unboundTenant = null;
    // After the current turn of the event loop: an answer about to go out goes first.
    setImmediate(() => {
      if (entry.state === 'closing') return; // retired during this turn
      entry.sandbox.bindTenant(tenant).catch((err: unknown) => {
        this.logger?.warn({ err }, 'could not bind a sandbox to its tenant; it was destroyed');
      });
    });
  }
}
