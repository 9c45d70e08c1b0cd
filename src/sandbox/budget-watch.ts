// Warns when the sandbox budget (AIRLOCK_MAX_SANDBOXES) is too small for the tenants being called.
// Below that size tenants take turns evicting each other's warm sandboxes and most calls start a
// sandbox (tens of ms each), a throughput cliff that nothing else reports: every check interval
// the watch reads the pool's budget-eviction counter, and when the evictions since the last check
// reach the threshold it logs a warning with the numbers and the fix, at most once a minute.
import type { Logger } from '../core/logger.js';

export interface BudgetWatchOptions {
  /** AIRLOCK_MAX_SANDBOXES, for the message. */
  maxSandboxes: number;
  /** Evictions per check interval at which the warning is logged. */
  threshold: number;
  /** Length of a check interval, ms (for the message's rate). */
  intervalMs: number;
  /** Shortest time between two warnings, ms. */
  quietMs: number;
}

export const BUDGET_WATCH_DEFAULTS: Omit<BudgetWatchOptions, 'maxSandboxes'> = { threshold: 20, intervalMs: 10_000, quietMs: 60_000 };

export class BudgetWatch {
  readonly #evictions: () => number;
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #options: BudgetWatchOptions;
  readonly #now: () => number;
  #seen: number;
  #warnedAt = -Infinity;
  #timer: NodeJS.Timeout | undefined;

  /** `evictions`: the pool's count of sandboxes evicted to make room under the budget, since its start. */
  constructor(evictions: () => number, logger: Pick<Logger, 'warn'>, options: BudgetWatchOptions, now: () => number = Date.now) {
    this.#evictions = evictions;
    this.#logger = logger;
    this.#options = options;
    this.#now = now;
    this.#seen = evictions();
  }

  start(): void {
    this.#timer ??= setInterval(() => this.check(), this.#options.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One check: compares the counter with the last check's. */
  check(): void {
    const total = this.#evictions();
    const evicted = total - this.#seen;
    this.#seen = total;
    if (evicted < this.#options.threshold || this.#now() - this.#warnedAt < this.#options.quietMs) return;
    this.#warnedAt = this.#now();
    const { maxSandboxes, intervalMs } = this.#options;
    this.#logger.warn(
      { evicted, seconds: intervalMs / 1000, maxSandboxes },
      `${evicted} warm sandboxes were evicted in the last ${intervalMs / 1000} s to stay under AIRLOCK_MAX_SANDBOXES=${maxSandboxes}: ` +
        'more tenants (or functions) are being called than the budget holds, so most of their calls start a sandbox ' +
        '(tens of ms each) instead of finding a warm one. Raise AIRLOCK_MAX_SANDBOXES to at least the number of tenants ' +
        'called within AIRLOCK_SANDBOX_IDLE_MS plus AIRLOCK_POOL_SIZE (an idle sandbox holds about 6-11 MiB)',
    );
  }
}
