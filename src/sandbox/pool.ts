// The sandbox pool: hands out one sandbox per execution. Order of preference: an idle warm
// sandbox already bound to the caller's key ('warm'), a pre-spawned blank one that gets bound to
// the key for life ('pool'), a fresh spawn ('spawn'). A queueable call takes a place in the queue
// of a busy warm sandbox of its key whose runs are short ('warm'; pool-queue.ts) first
// when every core already has a busy sandbox (PoolConfig.parallelism), and rather than a spawn.
// A sandbox that ran tenant A never runs tenant B: keys are the tenant (scope 'tenant'),
// tenant+function ('function'), or nothing (scope 'execution': never reused), plus the heap
// size. One global budget counts every process (blank, idle, busy, spawning, exiting); when
// full, the least recently used idle sandboxes (else blank ones) are evicted, one per caller
// waiting to spawn, and when everything is busy callers wait in FIFO order. The blank sandboxes
// come first: a refill evicts an idle sandbox when the budget is full of them, so a new tenant's
// first call still finds one (warm sandboxes get the budget minus the pool's size). At most
// spawnConcurrency sandboxes boot at once. Keeping the blank sandboxes topped up is
// pool-refill.ts; binding a sandbox to its tenant, pool-binding.ts.
import type { PoolConfig } from '../core/config.js';
import { QUEUE_WAIT_FACTOR } from '../core/config/pool.js';
import type { StartKind } from '../core/types.js';
import { TenantBinder } from './pool-binding.js';
import { keyOf, shuttingDown } from './pool-entry.js';
import type { Entry, EntryState, Waiter } from './pool-entry.js';
import type { PoolLogger } from './pool-logger.js';
import { busyToQueueBehind } from './pool-queue.js';
import { BackgroundWatch } from './background-watch.js';
import type { WatchedSandbox } from './background-watch.js';
import { BlankRefill } from './pool-refill.js';
import type { AcquireRequest, Lease, PoolStats } from './pool-types.js';
import type { Isolator, Sandbox, SpawnOptions } from './port.js';

export type { AcquireRequest, Lease, PoolStats } from './pool-types.js';

export class SandboxPool {
  private readonly isolator: Isolator;
  private readonly config: PoolConfig;
  private readonly blankMemoryMiB: number;
  private readonly logger: PoolLogger | undefined;
  private readonly entries = new Set<Entry>();
  private readonly waiters: Waiter[] = [];
  private spawning = 0;
  private evicted = 0;
  private expired = 0;
  private overworked = 0;
  /** Finds warm sandboxes working outside their calls (background-watch.ts), at each sweep. */
  private readonly watch: BackgroundWatch;
  private useClock = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly inflightSpawns = new Set<Promise<unknown>>();
  /** Keeps the blank sandboxes topped up (see pool-refill.ts). */
  private readonly blank: BlankRefill;
  /** Moves sandboxes taken from the blank pool under their tenant's cgroup (pool-binding.ts). */
  private readonly binder: TenantBinder;
  /** Entries per state, kept in step by setState(): stats() and the refill's blankCount() are O(1). */
  private readonly counts: Record<EntryState, number> = { blank: 0, idle: 0, busy: 0, closing: 0 };
  /** Retires idle sandboxes past their TTL; one timer for the pool instead of one per call. */
  private sweeper: NodeJS.Timeout | undefined;

  /** `sandboxCpus`: each sandbox's CPU quota, cores (what a busy one may use; see background-watch.ts). */
  constructor(isolator: Isolator, config: PoolConfig, defaultMemoryMiB: number, logger?: PoolLogger, sandboxCpus = 1) {
    this.isolator = isolator;
    this.watch = new BackgroundWatch({ percent: config.backgroundCpuPercent ?? 0, cpus: sandboxCpus });
    this.config = config;
    this.blankMemoryMiB = defaultMemoryMiB;
    this.logger = logger;
    const host = {
      closed: () => this.closed,
      blankCount: () => this.counts.blank,
      roomForBlank: () => this.waiters.length === 0 && this.spawning < this.config.spawnConcurrency && this.makeRoomForBlank(),
      spawnBlank: () => this.spawnEntry({ memoryMiB: this.blankMemoryMiB, warmup: 'full', background: true }),
      pump: () => this.pump(),
    };
    this.blank = new BlankRefill(host, config.blankSize, logger);
    this.binder = new TenantBinder(logger);
  }

  /** Starts keeping `blankSize` blank sandboxes ready in the background. */
  start(): void {
    if (!this.closed) this.blank.start();
  }

  /** Starts the pool and resolves once the blank pool has first reached its size. */
  warmUp(): Promise<void> {
    this.start();
    return this.blank.warmUp();
  }

  stats(): PoolStats {
    const { blank, idle, busy } = this.counts;
    let queued = 0;
    for (const entry of this.entries) if (entry.leases > 1) queued += entry.leases - 1;
    return {
      blank, idle, busy, spawning: this.spawning, waiting: this.waiters.length, queued, total: this.entries.size + this.spawning,
      evicted: this.evicted, expired: this.expired, overworked: this.overworked,
    };
  }

  acquire(req: AcquireRequest): Promise<Lease> {
    if (this.closed) return Promise.reject(shuttingDown());
    const key = keyOf(req);
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = { req, key, resolve, reject };
      // Warm and blank sandboxes need no budget: serve them at once, ahead of waiters for slots.
      if (this.serveExisting(waiter)) return;
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** Destroys every sandbox, stops refilling, fails waiters; resolves when all have exited. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearInterval(this.sweeper);
      for (const waiter of this.waiters.splice(0)) waiter.reject(shuttingDown());
      this.blank.close(shuttingDown);
      this.binder.close();
      while (this.inflightSpawns.size > 0) await Promise.allSettled([...this.inflightSpawns]);
      await Promise.all([...this.entries].map((entry) => this.retire(entry)));
    })();
    return this.closing;
  }

  /**
   * Destroys every sandbox that ran for `tenant` (a deleted tenant), busy ones too: their runs end
   * `killed`. Answers how many, and a promise that resolves once their processes have exited.
   */
  retireTenant(tenant: string): { retired: number; exited: Promise<void> } {
    const gone = [...this.entries].filter((e) => e.tenant === tenant && e.state !== 'closing');
    return { retired: gone.length, exited: Promise.all(gone.map((entry) => this.retire(entry))).then(() => {}) };
  }

  // ------------------------------------------------------------------ serving

  private serveExisting(waiter: Waiter): boolean {
    const { key, req } = waiter;
    const mayQueue = key !== null && req.queueable === true;
    // Every core already has a busy sandbox: another one would only take turns with them, so a
    // short call waits in a busy sandbox's queue instead (see PoolConfig.parallelism).
    if (mayQueue && this.counts.busy >= this.config.parallelism && this.queueBehindBusy(waiter, key)) return true;
    if (key !== null) {
      let best: Entry | undefined;
      for (const entry of this.entries) {
        // An idle sandbox may still be running a run taken back from it (see Sandbox.run).
        if (entry.state !== 'idle' || entry.key !== key || !entry.sandbox.alive || entry.sandbox.pending > 0) continue;
        if (!best || entry.lastUsed > best.lastUsed) best = entry;
      }
      if (best) {
        waiter.resolve(this.lease(best, key, 'warm', req));
        return true;
      }
    }
    for (const entry of this.entries) {
      if (entry.state === 'blank' && entry.sandbox.alive && entry.sandbox.memoryMiB === req.memoryMiB) {
        this.binder.taken(entry, req.tenant);
        waiter.resolve(this.lease(entry, key, 'pool', req));
        this.blank.taken();
        return true;
      }
    }
    // A free core but no sandbox ready for it: a place in a queue beats waiting for a spawn.
    return mayQueue && this.queueBehindBusy(waiter, key);
  }

  private queueBehindBusy(waiter: Waiter, key: string): boolean {
    const behind = busyToQueueBehind(this.entries, key, this.config);
    if (!behind) return false;
    waiter.resolve(this.lease(behind, key, 'warm', waiter.req, QUEUE_WAIT_FACTOR * this.config.queueBehindMs));
    return true;
  }

  /**
   * Serves queued callers in FIFO order while the budget and the boots in progress allow; a
   * caller behind the first whose warm sandbox is free is served at once.
   */
  private pump(): void {
    while (!this.closed && this.waiters.length > 0) {
      const head = this.waiters[0]!;
      if (this.serveExisting(head)) {
        this.waiters.shift();
        continue;
      }
      // Before anything is booted or evicted for the first caller: callers behind it whose own
      // idle sandbox (or a queue place) is free now take it, rather than see it evicted.
      this.serveBehindHead();
      if (this.spawning >= this.config.spawnConcurrency) break; // a boot's end pumps again
      if (this.budgetLeft() > 0) {
        this.waiters.shift();
        this.spawnFor(head);
        continue;
      }
      // Full: make room for every caller that could boot now, counting sandboxes already on
      // their way out (each frees its place when its process has exited).
      const room = Math.min(this.waiters.length, this.config.spawnConcurrency - this.spawning) - this.counts.closing;
      for (let i = 0; i < room && this.evictOne(); i++);
      break;
    }
    this.blank.soon();
  }

  /** Callers after the first that an idle sandbox of theirs (or a queue place) can serve now. */
  private serveBehindHead(): void {
    for (let i = 1; i < this.waiters.length; i++) {
      if (this.serveExisting(this.waiters[i]!)) this.waiters.splice(i--, 1);
    }
  }

  /**
   * True when a blank sandbox may be spawned now. When the budget is full of idle sandboxes, the
   * least recently used one is evicted (false then: its exit pumps, and the refill tries again).
   */
  private makeRoomForBlank(): boolean {
    if (this.budgetLeft() > 0) return true;
    if (this.counts.closing === 0) this.evictOne(false);
    return false;
  }

  /** `maxQueueWaitMs`: set when the lease is a place in the queue behind the run in progress. */
  private lease(entry: Entry, key: string | null, start: StartKind, req: AcquireRequest, maxQueueWaitMs?: number): Lease {
    entry.shared = (entry.state === 'busy' ? entry.shared : true) && req.queueable === true;
    if (entry.state !== 'busy') this.setState(entry, 'busy');
    entry.key = key;
    entry.tenant = req.tenant;
    entry.executions++;
    entry.leases++;
    entry.lastUsed = ++this.useClock;
    let released = false;
    return {
      sandbox: entry.sandbox,
      start,
      ...(maxQueueWaitMs === undefined ? {} : { maxQueueWaitMs }),
      release: (reusable: boolean) => {
        if (released) return;
        released = true;
        this.release(entry, reusable);
      },
    };
  }

  private release(entry: Entry, reusable: boolean): void {
    if (!this.entries.has(entry) || entry.state !== 'busy') return;
    entry.leases--;
    // Calls still running in it keep the first-call rule (bound 50 ms in) until the last one ends.
    if (reusable && entry.leases === 0) this.binder.released(entry);
    entry.lastUsed = ++this.useClock;
    if (!reusable || !entry.sandbox.alive) {
      void this.retire(entry);
      return;
    }
    if (entry.leases > 0) return; // runs queued on it are still to answer
    const keep = !this.closed && entry.key !== null && entry.executions < this.config.maxExecutionsPerSandbox && !entry.overworked;
    if (!keep) {
      void this.retire(entry);
      return;
    }
    this.setState(entry, 'idle');
    entry.idleSince = Date.now();
    if (this.sweeper === undefined) {
      // Idle sandboxes are retired within idleTtlMs plus a quarter of it (at most 1 s later).
      const every = Math.max(10, Math.min(1_000, Math.floor(this.config.idleTtlMs / 4)));
      this.sweeper = setInterval(() => this.sweepIdle(), every);
      this.sweeper.unref();
    }
    this.pump();
  }

  // ------------------------------------------------------------------ spawning

  private spawnFor(waiter: Waiter): void {
    // Spawned for the caller's tenant, the sandbox starts in that tenant's cgroup: nothing to bind later.
    // Its module loader is warmed before the handover too, so its first run's time limit counts
    // the function; the rest of the full warm-up (console formatting, the error path) would only
    // make the waiting call wait longer.
    void this.spawnEntry({ memoryMiB: waiter.req.memoryMiB, warmup: 'loader', tenant: waiter.req.tenant }).then(
      (entry) => {
        if (entry === undefined) return waiter.reject(shuttingDown());
        waiter.resolve(this.lease(entry, waiter.key, 'spawn', waiter.req));
        this.pump(); // its boot slot is free
      },
      (err: unknown) => {
        waiter.reject(err instanceof Error ? err : new Error(String(err)));
        this.pump();
      },
    );
  }

  /** Spawns a sandbox counted against the budget; undefined if the pool closed meanwhile. */
  private spawnEntry(opts: SpawnOptions): Promise<Entry | undefined> {
    this.spawning++;
    const task = (async () => {
      let sandbox: Sandbox;
      try {
        sandbox = await this.isolator.spawn(opts);
      } finally {
        this.spawning--;
      }
      // A background boot is over: the sandbox sleeps until it serves a caller, at normal
      // priority then, and raising it now keeps that work off the caller's path.
      if (opts.background === true) sandbox.promote();
      const entry: Entry = {
        sandbox, state: 'blank', key: null, tenant: null, executions: 0, leases: 0, shared: false, lastUsed: ++this.useClock, idleSince: 0, busyMs: 0, busySince: 0, overworked: false, unboundTenant: null, bindTimer: undefined, takenAt: 0,
      };
      this.entries.add(entry);
      this.counts.blank++;
      sandbox.onExit(() => this.onExit(entry));
      if (this.closed) {
        await this.retire(entry);
        return undefined;
      }
      return entry;
    })();
    this.inflightSpawns.add(task);
    void task.finally(() => this.inflightSpawns.delete(task)).catch(() => {});
    return task;
  }

  // ------------------------------------------------------------------ retiring

  private budgetLeft(): number {
    return this.config.maxSandboxes - (this.entries.size + this.spawning);
  }

  private setState(entry: Entry, state: EntryState): void {
    if (entry.state === 'busy') entry.busyMs += performance.now() - entry.busySince;
    else if (state === 'busy') entry.busySince = performance.now();
    this.counts[entry.state]--;
    this.counts[state]++;
    entry.state = state;
  }

  private sweepIdle(): void {
    const cutoff = Date.now() - this.config.idleTtlMs;
    for (const entry of this.entries) {
      if (entry.state === 'idle' && entry.idleSince <= cutoff) {
        this.expired++;
        void this.retire(entry);
      }
    }
    if (this.watch.enabled) this.sweepBackgroundWork();
  }

  /** Retires warm sandboxes found working outside their calls (busy ones once their calls are done). */
  private sweepBackgroundWork(): void {
    const now = performance.now();
    const watched = new Map<Sandbox, Entry>();
    const seen: WatchedSandbox[] = [];
    for (const entry of this.entries) {
      if (entry.tenant === null || (entry.state !== 'idle' && entry.state !== 'busy')) continue;
      watched.set(entry.sandbox, entry);
      seen.push({ sandbox: entry.sandbox, busyMs: entry.busyMs + (entry.state === 'busy' ? now - entry.busySince : 0) });
    }
    for (const work of this.watch.sweep(seen, now)) {
      const entry = watched.get(work.sandbox)!;
      entry.overworked = true;
      this.overworked++;
      this.logger?.warn(
        { tenant: entry.tenant, sandbox: entry.sandbox.id, excessCpuMs: work.excessCpuMs, overMs: work.overMs },
        'warm sandbox retired: it kept using CPU after its calls returned (a timer, worker thread or child process the ' +
          "function left running); the tenant's next call starts a fresh sandbox. Clear timers and stop workers before returning",
      );
      if (entry.state === 'idle') void this.retire(entry);
    }
  }

  /** Evicts the least recently used idle sandbox, else (unless `blankToo` is false) a blank one. */
  private evictOne(blankToo = true): boolean {
    let victim: Entry | undefined;
    for (const entry of this.entries) {
      if (entry.state === 'idle' && (!victim || entry.lastUsed < victim.lastUsed)) victim = entry;
    }
    if (!victim && blankToo) for (const entry of this.entries) if (entry.state === 'blank') victim = entry;
    if (!victim) return false;
    this.evicted++;
    void this.retire(victim);
    return true;
  }

  /** Destroys a sandbox; it keeps counting against the budget until its process has exited. */
  private retire(entry: Entry): Promise<void> {
    clearTimeout(entry.bindTimer);
    if (entry.state !== 'closing') this.setState(entry, 'closing');
    return entry.sandbox.destroy();
  }

  private onExit(entry: Entry): void {
    // A bind still pending (timer or TenantBinder's quiet wait) would target a removed group.
    clearTimeout(entry.bindTimer);
    entry.bindTimer = undefined;
    entry.unboundTenant = null;
    if (!this.entries.delete(entry)) return;
    this.counts[entry.state]--;
    this.pump();
  }
}
