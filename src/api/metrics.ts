// Prometheus metrics for the server, on a registry of its own (never prom-client's global one):
// invocation counts and durations, admission wait and rejections, pool and admission gauges read
// from callbacks at scrape time, and Node process metrics, all prefixed `airlock_`.
// Recording is on the invoke hot path: labelled children are created once and reused.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ExecutionStatus, StartKind } from '../core/types.js';

/** What the sandbox pool reports at scrape time. `total` is accepted but not exported (it is the sum). */
export interface PoolSnapshot {
  blank: number;
  idle: number;
  busy: number;
  spawning: number;
  total?: number;
}

/** What admission reports at scrape time (Admission#stats() fits). */
export interface AdmissionSnapshot {
  running: number;
  waiting: number;
}

export interface MetricsOptions {
  /** Collect Node process metrics (CPU, memory, event loop, GC); default true. */
  defaultMetrics?: boolean;
}

type Inc = { inc(value?: number): void };
type Observe = { observe(value: number): void };

const STATUSES: readonly ExecutionStatus[] = ['succeeded', 'failed', 'timeout', 'oom', 'killed', 'rejected'];
/** `start` label values; `none` when no sandbox was obtained (e.g. rejected). */
const STARTS: readonly (StartKind | 'none')[] = ['warm', 'pool', 'spawn', 'none'];
const POOL_STATES = ['blank', 'idle', 'busy', 'spawning'] as const;

/** Seconds, from 0.5 ms to 60 s (the longest invoke timeout). */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Metrics {
  readonly registry = new Registry();
  readonly #invocations = new Map<string, Inc>();
  readonly #durations = new Map<string, Observe>();
  readonly #rejections = new Map<string, Inc>();
  readonly #invocationCounter: Counter<'status' | 'start'>;
  readonly #durationHistogram: Histogram<'status'>;
  readonly #rejectionCounter: Counter<'reason'>;
  readonly #queueWait: Histogram;
  readonly #collectErrors: Counter<'source'>;
  #pool: (() => PoolSnapshot) | undefined;
  #admission: (() => AdmissionSnapshot) | undefined;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.#invocationCounter = new Counter({
      name: 'airlock_invocations_total',
      help: 'Finished invocations by status and how the sandbox was obtained (start=none: no sandbox)',
      labelNames: ['status', 'start'] as const,
      registers,
    });
    this.#durationHistogram = new Histogram({
      name: 'airlock_invocation_duration_seconds',
      help: 'Invocation duration measured by the host, seconds',
      labelNames: ['status'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#queueWait = new Histogram({
      name: 'airlock_queue_wait_seconds',
      help: 'Time spent waiting for an admission slot, seconds',
      buckets: [0, ...DURATION_BUCKETS],
      registers,
    });
    this.#rejectionCounter = new Counter({
      name: 'airlock_rejections_total',
      help: 'Calls refused before running, by reason',
      labelNames: ['reason'] as const,
      registers,
    });
    this.#collectErrors = new Counter({
      name: 'airlock_metrics_collect_errors_total',
      help: 'Scrape-time callbacks that threw (their gauges are left empty for that scrape)',
      labelNames: ['source'] as const,
      registers,
    });
    // Pre-create every (status, start) child: cheap lookups, and series exist at 0 from the start.
    for (const status of STATUSES) {
      for (const start of STARTS) {
        const child = this.#invocationCounter.labels(status, start);
        child.inc(0);
        this.#invocations.set(`${status}|${start}`, child);
      }
      this.#durationHistogram.zero({ status });
      this.#durations.set(status, this.#durationHistogram.labels(status));
    }

    const self = this;
    new Gauge({
      name: 'airlock_sandboxes',
      help: 'Sandbox processes by state (blank: pre-spawned, no tenant yet)',
      labelNames: ['state'] as const,
      registers,
      collect() {
        this.reset();
        const snapshot = self.#read('pool', self.#pool);
        if (snapshot === undefined) return;
        for (const state of POOL_STATES) this.set({ state }, snapshot[state]);
      },
    });
    new Gauge({
      name: 'airlock_admission',
      help: 'Executions admitted and running, and callers waiting for a slot',
      labelNames: ['state'] as const,
      registers,
      collect() {
        this.reset();
        const snapshot = self.#read('admission', self.#admission);
        if (snapshot === undefined) return;
        this.set({ state: 'running' }, snapshot.running);
        this.set({ state: 'waiting' }, snapshot.waiting);
      },
    });
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: 'airlock_' });
    }
  }

  /** Read pool gauges from `source` at every scrape (replaces any earlier source). */
  observePool(source: () => PoolSnapshot): void {
    this.#pool = source;
  }

  /** Read admission gauges from `source` at every scrape, e.g. `() => admission.stats()`. */
  observeAdmission(source: () => AdmissionSnapshot): void {
    this.#admission = source;
  }

  recordInvocation(status: ExecutionStatus, start: StartKind | null, durationMs: number): void {
    const key = `${status}|${start ?? 'none'}`;
    let counter = this.#invocations.get(key);
    if (counter === undefined) {
      // Only reachable with values outside the declared types; keep them rather than throw.
      counter = this.#invocationCounter.labels(status, start ?? 'none');
      this.#invocations.set(key, counter);
    }
    counter.inc();
    let histogram = this.#durations.get(status);
    if (histogram === undefined) {
      histogram = this.#durationHistogram.labels(status);
      this.#durations.set(status, histogram);
    }
    histogram.observe(durationMs / 1000);
  }

  recordQueueWait(ms: number): void {
    this.#queueWait.observe(ms / 1000);
  }

  /** `reason` becomes a label value: use a small fixed set (e.g. 'admission', 'shutting_down'). */
  recordRejection(reason: string): void {
    let counter = this.#rejections.get(reason);
    if (counter === undefined) {
      counter = this.#rejectionCounter.labels(reason);
      this.#rejections.set(reason, counter);
    }
    counter.inc();
  }

  /** The Prometheus text exposition, for GET /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #read<T>(source: string, read: (() => T) | undefined): T | undefined {
    if (read === undefined) return undefined;
    try {
      return read();
    } catch {
      this.#collectErrors.labels(source).inc();
      return undefined;
    }
  }
}
