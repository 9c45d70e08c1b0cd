// Admission control for executions ("Fair under load"): a global and a per-tenant concurrency
// cap (the default, or the tenant's own override), one FIFO wait queue per tenant, freed slots
// handed out round-robin across the tenants that can take them, and bounded waits that end in a
// 429 the client can retry.
//
// Invariant (kept after every call): no waiter could run right now. Whenever a slot frees it is
// handed to a waiter at once, so a new caller runs immediately exactly when the global count and
// its tenant's count are below their caps and its tenant has nobody queued; any waiter of another
// tenant is then blocked by its own tenant cap and could not have taken that slot anyway.
//
// Round-robin: tenants with waiters sit in a ring in service order. A freed slot goes to the
// first tenant in the ring that is below its cap; that tenant moves to the back of the ring. A
// tenant that starts waiting joins at the back, so it waits at most one slot per other waiting
// tenant, however many calls those tenants have queued.
//
// Retry-After: ceil(maxWaitMs / 1000) seconds, at least 1. A caller that just waited maxWaitMs
// without a slot is unlikely to do better sooner; one more wait period spreads retries out.
//
// Cost: an uncontended acquire is a map lookup, three comparisons and a resolved promise (a
// tenant's cap, override or default, is looked up once, when its entry is created); a timer
// exists only while a caller waits (ref'd, so at most maxWaitMs; close() clears them).
import type { AdmissionConfig } from '../core/config.js';
import { AirlockError } from '../core/errors.js';
import { Fifo } from './fifo.js';

/** The right to run one execution. Release it exactly once when the execution ends (more is a no-op). */
export interface Permit {
  release(): void;
  /** Time spent waiting in the queue, ms (0 when admitted at once). */
  readonly waitedMs: number;
}

/** Which concurrency cap kept the caller waiting. */
export type AdmissionLimit = 'tenant' | 'global';

/** Why a caller got TOO_MANY_REQUESTS: no slot and waiting is off, the tenant queue is full, or the wait ran out. */
export type AdmissionRejection = 'no_wait' | 'queue_full' | 'wait_timeout';

/** `details` of the TOO_MANY_REQUESTS error (also sent to the client). */
export interface TooManyRequestsDetails extends Record<string, unknown> {
  retryAfterSeconds: number;
  tenant: string;
  limit: AdmissionLimit;
  reason: AdmissionRejection;
}

export interface AdmissionStats {
  running: number;
  waiting: number;
  /** Only tenants with something running (only with `{ byTenant: true }`). */
  runningByTenant?: Record<string, number>;
  /** Only tenants with something waiting (only with `{ byTenant: true }`). */
  waitingByTenant?: Record<string, number>;
}

/** Retry-After of a call refused because the server stops: its restart, or another server, answers within seconds. */
const SHUTDOWN_RETRY_AFTER_S = 5;
const MAX_TIMER_MS = 2_147_483_647;
/** Idle tenant entries are kept (a hot tenant's calls then allocate nothing) until the map holds this many. */
const MIN_SWEEP_AT = 1_024;

class TenantState {
  readonly name: string;
  /** This tenant's concurrency cap: its override, else the default. */
  readonly cap: number;
  running = 0;
  readonly queue = new Fifo<Waiter>();
  /** Links in the ring of tenants with waiters. */
  prev: TenantState | null = null;
  next: TenantState | null = null;
  inRing = false;

  constructor(name: string, cap: number) {
    this.name = name;
    this.cap = cap;
  }
}

class Waiter {
  prev: Waiter | null = null;
  next: Waiter | null = null;
  readonly tenant: TenantState;
  readonly resolve: (permit: Permit) => void;
  readonly reject: (err: unknown) => void;
  readonly enqueuedAt: number;
  timer: NodeJS.Timeout | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  settled = false;

  constructor(tenant: TenantState, resolve: (p: Permit) => void, reject: (e: unknown) => void, now: number) {
    this.tenant = tenant;
    this.resolve = resolve;
    this.reject = reject;
    this.enqueuedAt = now;
  }
}

class Grant implements Permit {
  readonly waitedMs: number;
  #tenant: TenantState | null;
  readonly #free: (tenant: TenantState) => void;

  constructor(free: (tenant: TenantState) => void, tenant: TenantState, waitedMs: number) {
    this.#free = free;
    this.#tenant = tenant;
    this.waitedMs = waitedMs;
  }

  release(): void {
    const tenant = this.#tenant;
    if (tenant === null) return;
    this.#tenant = null;
    this.#free(tenant);
  }
}

function checkInt(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `admission.${name} = ${value} must be an integer between ${min} and ${max}`,
    );
  }
}

/** What ends a wait for a slot early: a signal, or a function that makes one when a wait begins. */
export type WaitSignal = AbortSignal | (() => AbortSignal);

export class Admission {
  readonly #globalCap: number;
  readonly #tenantCap: number;
  /** Per-tenant caps that replace #tenantCap, already capped at the global one. */
  readonly #tenantCaps = new Map<string, number>();
  readonly #maxWaitMs: number;
  readonly #maxQueue: number;
  readonly #retryAfterSeconds: number;
  #running = 0;
  #waiting = 0;
  /** Tenant entries; idle ones are swept when the map reaches #sweepAt, so it stays small. */
  readonly #tenants = new Map<string, TenantState>();
  #sweepAt = MIN_SWEEP_AT;
  /** Tenants with waiters, in round-robin service order. */
  readonly #ring = new Fifo<TenantState>();
  #closed: Error | null = null;

  readonly #free = (tenant: TenantState): void => {
    this.#running--;
    tenant.running--;
    this.#pump();
  };

  readonly #expire = (waiter: Waiter): void => {
    waiter.timer = undefined;
    const tenant = waiter.tenant;
    this.#drop(waiter, this.#tooMany(tenant, this.#limitOf(tenant), 'wait_timeout'));
  };

  constructor(config: AdmissionConfig) {
    checkInt('globalConcurrency', config.globalConcurrency, 1);
    checkInt('tenantConcurrency', config.tenantConcurrency, 1);
    checkInt('maxWaitMs', config.maxWaitMs, 0, MAX_TIMER_MS);
    checkInt('maxQueuePerTenant', config.maxQueuePerTenant, 0);
    this.#globalCap = config.globalConcurrency;
    this.#tenantCap = Math.min(config.tenantConcurrency, config.globalConcurrency);
    for (const [tenant, cap] of Object.entries(config.tenantConcurrencyOverrides)) {
      checkInt(`tenantConcurrencyOverrides.${tenant}`, cap, 1);
      this.#tenantCaps.set(tenant, Math.min(cap, config.globalConcurrency));
    }
    this.#maxWaitMs = config.maxWaitMs;
    this.#maxQueue = config.maxQueuePerTenant;
    this.#retryAfterSeconds = Math.max(1, Math.ceil(config.maxWaitMs / 1000));
  }

  /**
   * Wait for a slot for `tenant`. Rejects with TOO_MANY_REQUESTS (details: TooManyRequestsDetails)
   * when the wait would exceed maxWaitMs or the tenant's queue is full, with SHUTTING_DOWN after
   * close(), and with `signal.reason` when the signal aborts first. A function as `signal` is
   * called only if the caller has to wait, so an uncontended acquire makes no signal.
   */
  acquire(tenant: string, signal?: WaitSignal): Promise<Permit> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    if (signal instanceof AbortSignal && signal.aborted) return Promise.reject(signal.reason);
    let state = this.#tenants.get(tenant);
    if (state === undefined) {
      if (this.#tenants.size >= this.#sweepAt) this.#sweep();
      state = new TenantState(tenant, this.#tenantCaps.get(tenant) ?? this.#tenantCap);
      this.#tenants.set(tenant, state);
    }
    if (this.#running < this.#globalCap && state.running < state.cap && state.queue.size === 0) {
      this.#running++;
      state.running++;
      return Promise.resolve(new Grant(this.#free, state, 0));
    }
    return this.#enqueue(state, signal);
  }

  /** The most executions of `tenant` that may run at once (its override, else the tenant cap). */
  capOf(tenant: string): number {
    return this.#tenants.get(tenant)?.cap ?? this.#tenantCaps.get(tenant) ?? this.#tenantCap;
  }

  /**
   * Counters for a metrics scrape: O(1). `byTenant` adds per-tenant maps, O(tracked tenants), for
   * debugging; keep it off the scrape path (tenant names make poor metric labels anyway).
   */
  stats(options?: { byTenant?: boolean }): AdmissionStats {
    const out: AdmissionStats = { running: this.#running, waiting: this.#waiting };
    if (options?.byTenant === true) {
      const running: [string, number][] = [];
      const waiting: [string, number][] = [];
      for (const [name, state] of this.#tenants) {
        if (state.running > 0) running.push([name, state.running]);
        if (state.queue.size > 0) waiting.push([name, state.queue.size]);
      }
      // fromEntries: a tenant named "__proto__" stays an ordinary key.
      out.runningByTenant = Object.fromEntries(running);
      out.waitingByTenant = Object.fromEntries(waiting);
    }
    return out;
  }

  /**
   * Refuse new acquires and reject every waiter with `err` (default SHUTTING_DOWN, with a
   * Retry-After of SHUTDOWN_RETRY_AFTER_S: a batch answers its refused inputs with it). Permits
   * already granted stay valid and may still be released.
   */
  close(err?: Error): void {
    if (this.#closed !== null) return;
    const reason =
      err ??
      new AirlockError(
        'SHUTTING_DOWN',
        'the server is shutting down and admits no new executions; retry in a few seconds (another instance or the restarted server will answer)',
        { retryAfterSeconds: SHUTDOWN_RETRY_AFTER_S },
      );
    this.#closed = reason;
    for (let tenant = this.#ring.head; tenant !== null; tenant = this.#ring.head) {
      for (let waiter = tenant.queue.head; waiter !== null; waiter = tenant.queue.head) {
        this.#drop(waiter, reason);
      }
    }
  }

  #enqueue(state: TenantState, waitSignal: WaitSignal | undefined): Promise<Permit> {
    if (this.#maxWaitMs === 0 || state.queue.size >= this.#maxQueue) {
      return Promise.reject(
        this.#tooMany(state, this.#limitOf(state), this.#maxWaitMs === 0 ? 'no_wait' : 'queue_full'),
      );
    }
    const signal = typeof waitSignal === 'function' ? waitSignal() : waitSignal;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<Permit>((resolve, reject) => {
      const waiter = new Waiter(state, resolve, reject, performance.now());
      state.queue.push(waiter);
      this.#waiting++;
      if (!state.inRing) {
        state.inRing = true;
        this.#ring.push(state);
      }
      waiter.timer = setTimeout(this.#expire, this.#maxWaitMs, waiter);
      if (signal !== undefined) {
        const onAbort = (): void => this.#drop(waiter, signal.reason);
        waiter.signal = signal;
        waiter.onAbort = onAbort;
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  /** Hand free slots to waiters, round-robin over tenants below their cap. */
  #pump(): void {
    while (this.#running < this.#globalCap) {
      let tenant = this.#ring.head;
      // Tenants at their cap keep their place; together they hold at most globalCap slots.
      while (tenant !== null && tenant.running >= tenant.cap) tenant = tenant.next;
      if (tenant === null) return;
      const waiter = tenant.queue.head;
      if (waiter === null) return; // unreachable: tenants in the ring have waiters
      this.#unlink(waiter);
      if (tenant.inRing) {
        // Served: to the back of the ring.
        this.#ring.remove(tenant);
        this.#ring.push(tenant);
      }
      this.#running++;
      tenant.running++;
      waiter.resolve(new Grant(this.#free, tenant, performance.now() - waiter.enqueuedAt));
    }
  }

  /** Remove a waiter that has not been settled and reject it. */
  #drop(waiter: Waiter, err: unknown): void {
    if (waiter.settled) return;
    this.#unlink(waiter);
    waiter.reject(err);
  }

  /** Take a waiter out of its queue (and its tenant out of the ring if that was the last one). */
  #unlink(waiter: Waiter): void {
    waiter.settled = true;
    const tenant = waiter.tenant;
    tenant.queue.remove(waiter);
    this.#waiting--;
    if (tenant.queue.size === 0 && tenant.inRing) {
      tenant.inRing = false;
      this.#ring.remove(tenant);
    }
    if (waiter.timer !== undefined) {
      clearTimeout(waiter.timer);
      waiter.timer = undefined;
    }
    if (waiter.onAbort !== undefined) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.onAbort = undefined;
      waiter.signal = undefined;
    }
  }

  /** Drop idle tenant entries; amortized O(1) per new tenant since the threshold doubles with the live count. */
  #sweep(): void {
    for (const [name, state] of this.#tenants) {
      if (state.running === 0 && state.queue.size === 0) this.#tenants.delete(name);
    }
    this.#sweepAt = Math.max(MIN_SWEEP_AT, 2 * this.#tenants.size);
  }

  /** The cap that keeps this tenant's next caller waiting (the global one when its own is not full). */
  #limitOf(tenant: TenantState): AdmissionLimit {
    return tenant.running >= tenant.cap ? 'tenant' : 'global';
  }

  #tooMany(tenant: TenantState, limit: AdmissionLimit, reason: AdmissionRejection): AirlockError {
    const retry = this.#retryAfterSeconds;
    const which =
      limit === 'tenant'
        ? `tenant "${tenant.name}" is at its concurrency limit (${tenant.cap} executions running)`
        : 'the server is at its global concurrency limit';
    const why =
      reason === 'no_wait'
        ? 'and queueing is disabled'
        : reason === 'queue_full'
          ? `and ${tenant.queue.size} calls of this tenant are already queued (the queue limit)`
          : `and no slot freed within ${this.#maxWaitMs} ms`;
    const details: TooManyRequestsDetails = { retryAfterSeconds: retry, tenant: tenant.name, limit, reason };
    return new AirlockError(
      'TOO_MANY_REQUESTS',
      `too many concurrent executions: ${which} ${why}; retry after ${retry} s (the Retry-After header), or send fewer calls at once`,
      details,
    );
  }
}
