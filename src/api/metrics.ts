// Prometheus metrics for the server: invocation counts and durations, admission wait and
// rejections, rows deleted by retention, pool and admission gauges read from callbacks at scrape time, and Node process
// metrics, all prefixed `airlock_`, on a prom-client Registry of our own (never the global one).
//
// Recording is on the invoke hot path, so it only bumps numbers in preallocated series (no
// allocation, no label hashing). Counters are copied into prom-client counters at scrape time;
// histograms are rendered here in the Prometheus text format (prom-client's own histogram
// costs ~0.5 µs and an allocation per observation, and has no public way to load totals).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { CountSeries, countersFrom, HistogramSeries, LeanHistogram } from './metric-series.js';
import { ApiErrorCounts } from './error-counts.js';
import type { ExecutionStatus, StartKind } from '../core/types.js';
import type { InvokeMetrics } from '../services/invoke.js';
import { PURGE_KINDS } from '../services/retention.js';
import type { PurgeKind, RetentionMetrics } from '../services/retention.js';
import { HEALTH_CHECKS } from '../services/health.js';
import { PAUSABLE_WORK } from '../services/paused-work.js';
import type { PausableWork } from '../services/paused-work.js';
import type { HealthProblem } from '../services/health.js';

export { CountSeries, countersFrom } from './metric-series.js';

/** What the sandbox pool reports at scrape time. `total` is accepted but not exported (it is the sum). */
export interface PoolSnapshot {
  blank: number;
  idle: number;
  busy: number;
  spawning: number;
  /** Calls waiting inside busy sandboxes behind the run in progress. */
  queued?: number;
  total?: number;
  /** Calls admitted and waiting for a sandbox (every one busy, or theirs still booting). */
  waiting?: number;
  /** Sandboxes destroyed since the start to make room under the budget (a counter). */
  evicted?: number;
  /** Idle sandboxes retired since the start after AIRLOCK_SANDBOX_IDLE_MS (a counter). */
  expired?: number;
  /** Warm sandboxes retired since the start for using CPU outside their calls (a counter). */
  overworked?: number;
}

/** What admission reports at scrape time (Admission#stats() fits). */
export interface AdmissionSnapshot {
  running: number;
  waiting: number;
}

export interface RecordsSnapshot {
  /** Execution records not yet written to the store. */
  pending: number;
  /** Records dropped since the start (each logged). */
  dropped: number;
}

export interface MetricsOptions {
  /** Collect Node process metrics (CPU, memory, event loop, GC); default true. */
  defaultMetrics?: boolean;
  /** Airlock's version, the `version` label of airlock_build_info. Default 'unknown'. */
  version?: string;
}

/**
 * Reasons a call is refused before it runs (recordRejection): each has a series from the start,
 * at 0, so an alert on its rate() sees 0 rather than no data.
 */
export const REJECTION_REASONS: readonly string[] = ['admission', 'shutting_down', 'client_gone', 'batch_results'];

const STATUSES: readonly ExecutionStatus[] = ['succeeded', 'failed', 'timeout', 'oom', 'killed', 'rejected'];
/** `start` label values; `none` when no sandbox was obtained (e.g. rejected). */
const STARTS: readonly (StartKind | 'none')[] = ['warm', 'pool', 'spawn', 'none'];
const POOL_STATES = ['blank', 'idle', 'busy', 'spawning'] as const;

/** Seconds, from 0.5 ms to 60 s (the longest invoke timeout). */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Admission wait, seconds; 0 separates callers admitted at once. */
const WAIT_BUCKETS = [0, ...DURATION_BUCKETS];

export class Metrics implements InvokeMetrics, RetentionMetrics {
  readonly #registry = new Registry();
  /** Error answers by status and code (airlock_api_errors_total), bumped by whoever writes one. */
  readonly apiErrors = new ApiErrorCounts();
  /** status → start → series. */
  readonly #invocations = new Map<string, Map<string, CountSeries>>();
  readonly #rejections = new Map<string, CountSeries>();
  readonly #reruns = new CountSeries({});
  readonly #offThreadBodies = new CountSeries({});
  readonly #previousAdminKey = new CountSeries({});
  readonly #durations = new Map<string, HistogramSeries>();
  readonly #durationHistogram = new LeanHistogram(
    'airlock_invocation_duration_seconds',
    'Invocation duration measured by the host, seconds',
    DURATION_BUCKETS,
  );
  readonly #queueWaitHistogram = new LeanHistogram(
    'airlock_queue_wait_seconds',
    'Time spent waiting for an admission slot, seconds',
    WAIT_BUCKETS,
  );
  readonly #queueWait = this.#queueWaitHistogram.series({});
  readonly #sandboxWaitHistogram = new LeanHistogram(
    'airlock_sandbox_wait_seconds',
    'Time an admitted call waited for its sandbox, by how it was obtained (warm: about 0; pool: binding a blank one; spawn: a boot, and any wait for a place under AIRLOCK_MAX_SANDBOXES), seconds',
    WAIT_BUCKETS,
  );
  readonly #sandboxWaits = new Map<StartKind, HistogramSeries>(
    (['warm', 'pool', 'spawn'] as const).map((start) => [start, this.#sandboxWaitHistogram.series({ start })]),
  );
  readonly #collectErrors = new Map<string, CountSeries>();
  readonly #purged = new Map<PurgeKind, CountSeries>(PURGE_KINDS.map((kind) => [kind, new CountSeries({ kind })]));
  #pool: (() => PoolSnapshot) | undefined;
  #admission: (() => AdmissionSnapshot) | undefined;
  #records: (() => RecordsSnapshot) | undefined;

  constructor(options: MetricsOptions = {}) {
    // Every (status, start) series exists from the start, at 0.
    for (const status of STATUSES) {
      for (const start of STARTS) this.#invocationSeries(status, start);
      this.#durationSeries(status);
    }
    for (const reason of REJECTION_REASONS) this.#rejections.set(reason, new CountSeries({ reason }));
    const registers = [this.#registry];
    this.apiErrors.register(this.#registry);
    const self = this;
    countersFrom('airlock_invocations_total', 'Finished invocations by status and how the sandbox was obtained (start=none: no sandbox)', ['status', 'start'], registers, () =>
      [...this.#invocations.values()].flatMap((byStart) => [...byStart.values()]),
    );
    countersFrom('airlock_rejections_total', 'Calls refused before running, by reason', ['reason'], registers, () => [
      ...this.#rejections.values(),
    ]);
    countersFrom(
      'airlock_invoke_reruns_total',
      'Calls queued in a busy sandbox and run again in a sandbox of their own (that sandbox ended, or the run ahead went on too long)',
      [],
      registers,
      () => [this.#reruns],
    );
    countersFrom(
      'airlock_request_bodies_parsed_off_thread_total',
      'Large request bodies of routes that carry an input (invoke, job submission) read on the parser thread instead of the event loop',
      [],
      registers,
      () => [this.#offThreadBodies],
    );
    countersFrom(
      'airlock_admin_previous_key_requests_total',
      'Requests made with a former admin key (AIRLOCK_ADMIN_KEY_PREVIOUS): once it stays at its value, no client uses the old key and the variable can go',
      [],
      registers,
      () => [this.#previousAdminKey],
    );
    countersFrom(
      'airlock_purged_rows_total',
      'Rows deleted past the retention period (AIRLOCK_RETENTION_HOURS), by kind: executions, jobs (webhook deliveries included), schedule_runs',
      ['kind'],
      registers,
      () => [...this.#purged.values()],
    );
    // Set by the pool gauge's collect, from the same snapshot (scraped right after it).
    // These three are set from the same pool snapshot as airlock_sandboxes (one read per scrape),
    // and registered after it, so its collect() has run when they are read.
    const queuedCalls = new Gauge({
      name: 'airlock_sandbox_queued_calls',
      help: 'Calls waiting inside busy warm sandboxes behind the run in progress (AIRLOCK_SANDBOX_QUEUE)',
      registers: [],
    });
    const waitingCalls = new Gauge({
      name: 'airlock_sandbox_waiting_calls',
      help: 'Calls admitted and waiting for a sandbox: every one is busy and the budget (AIRLOCK_MAX_SANDBOXES) is full, or theirs is still booting',
      registers: [],
    });
    const evictions = new Counter({
      name: 'airlock_sandbox_evictions_total',
      help: 'Warm (or blank) sandboxes destroyed: budget, to make room under AIRLOCK_MAX_SANDBOXES (a steady rate means the budget is smaller than the tenants in use; see README, Pools); idle, unused for AIRLOCK_SANDBOX_IDLE_MS; background, using CPU outside their calls (AIRLOCK_SANDBOX_BACKGROUND_CPU_PERCENT)',
      labelNames: ['reason'] as const,
      registers: [],
    });
    new Gauge({
      name: 'airlock_sandboxes',
      help: 'Sandbox processes by state (blank: pre-spawned, no tenant yet)',
      labelNames: ['state'] as const,
      registers,
      collect() {
        this.reset();
        queuedCalls.reset();
        waitingCalls.reset();
        evictions.reset();
        const snapshot = self.#read('pool', self.#pool);
        if (snapshot === undefined) return;
        for (const state of POOL_STATES) this.set({ state }, snapshot[state]);
        if (snapshot.queued !== undefined) queuedCalls.set(snapshot.queued);
        if (snapshot.waiting !== undefined) waitingCalls.set(snapshot.waiting);
        if (snapshot.evicted !== undefined) evictions.inc({ reason: 'budget' }, snapshot.evicted);
        if (snapshot.expired !== undefined) evictions.inc({ reason: 'idle' }, snapshot.expired);
        if (snapshot.overworked !== undefined) evictions.inc({ reason: 'background' }, snapshot.overworked);
      },
    });
    this.#registry.registerMetric(queuedCalls);
    this.#registry.registerMetric(waitingCalls);
    this.#registry.registerMetric(evictions);
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
    // Set by the pending gauge's collect, from the same snapshot (scraped right after it).
    const droppedRecords = new Counter({
      name: 'airlock_records_dropped_total',
      help: 'Execution records dropped (the server log says which and why): unstorable, over the backlog while the store failed, arriving after shutdown, or unwritten when the last write at shutdown failed',
      registers: [],
    });
    new Gauge({
      name: 'airlock_records_pending',
      help: 'Execution records not yet written to the store; a value that keeps growing means the store is failing (see the server log)',
      registers,
      collect() {
        this.reset();
        droppedRecords.reset();
        const snapshot = self.#read('records', self.#records);
        if (snapshot === undefined) return;
        this.set(snapshot.pending);
        droppedRecords.inc(snapshot.dropped);
      },
    });
    this.#registry.registerMetric(droppedRecords);
    // Registered after the gauges so a scrape shows the failures of its own callbacks.
    countersFrom('airlock_metrics_collect_errors_total', 'Scrape-time callbacks that threw (their gauge is empty in that scrape)', ['source'], registers, () => [
      ...this.#collectErrors.values(),
    ]);
    new Gauge({
      name: 'airlock_build_info',
      help: 'Always 1; its labels say which Airlock version and which Node.js version the server runs',
      labelNames: ['version', 'node'] as const,
      registers,
    }).set({ version: options.version ?? 'unknown', node: process.versions.node }, 1);
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.#registry, prefix: 'airlock_' });
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

  /** Read the execution records' counts from `source` at every scrape (see ExecutionRecorder). */
  observeRecords(source: () => RecordsSnapshot): void {
    this.#records = source;
  }

  /** airlock_health_problems{check}: 1 while that part fails (GET /healthz says what), else 0. */
  observeHealth(source: () => readonly HealthProblem[]): void {
    const self = this;
    new Gauge({
      name: 'airlock_health_problems',
      help: 'Parts of the server failing now, 1 each (GET /healthz says what): records (the store refuses execution records), jobs (claiming background work fails), secrets (sealed values no configured master key opens), sandboxes (sandboxes cannot be started)',
      labelNames: ['check'] as const,
      registers: [this.#registry],
      collect() {
        const failing = new Set((self.#read('health', source) ?? []).map((p) => p.check));
        for (const check of HEALTH_CHECKS) this.set({ check }, failing.has(check) ? 1 : 0);
      },
    });
  }

  /** airlock_paused{work}: 1 for the background work this server holds back (AIRLOCK_JOBS, AIRLOCK_SCHEDULES=paused). */
  setPaused(paused: readonly PausableWork[]): void {
    const gauge = new Gauge({
      name: 'airlock_paused',
      help: 'Background work this server holds back, 1 each: jobs (AIRLOCK_JOBS=paused: no job, webhook delivery or scheduled run starts), schedules (AIRLOCK_SCHEDULES=paused: no occurrence fires)',
      labelNames: ['work'] as const,
      registers: [this.#registry],
    });
    for (const work of PAUSABLE_WORK) gauge.set({ work }, paused.includes(work) ? 1 : 0);
  }

  recordInvocation(status: ExecutionStatus, start: StartKind | null, durationMs: number): void {
    const startLabel = start ?? 'none';
    const series = this.#invocations.get(status)?.get(startLabel) ?? this.#invocationSeries(status, startLabel);
    series.value++;
    (this.#durations.get(status) ?? this.#durationSeries(status)).observe(durationMs / 1000);
  }

  recordQueueWait(ms: number): void {
    this.#queueWait.observe(ms / 1000);
  }

  recordSandboxWait(start: StartKind, ms: number): void {
    this.#sandboxWaits.get(start)?.observe(ms / 1000);
  }

  /** `reason` becomes a label value: use a small fixed set (e.g. 'admission', 'shutting_down'). */
  recordRejection(reason: string): void {
    bump(this.#rejections, 'reason', reason);
  }

  recordRerun(): void {
    this.#reruns.value++;
  }

  recordOffThreadBody(): void {
    this.#offThreadBodies.value++;
  }

  /** A request was made with a former admin key (AIRLOCK_ADMIN_KEY_PREVIOUS). */
  recordPreviousAdminKey(): void {
    this.#previousAdminKey.value++;
  }

  recordPurged(kind: PurgeKind, rows: number): void {
    const series = this.#purged.get(kind);
    if (series !== undefined) series.value += rows;
  }

  /** Adds another module's metrics (e.g. work-metrics.ts) to this registry, so /metrics shows them. */
  attach(part: { register(registry: Registry): void }): void {
    part.register(this.#registry);
  }

  /** The Prometheus text exposition, for GET /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    const fromRegistry = await this.#registry.metrics();
    const lean = [this.#durationHistogram.render(), this.#queueWaitHistogram.render(), this.#sandboxWaitHistogram.render()].join('\n\n');
    return { contentType: this.#registry.contentType, body: `${fromRegistry}\n${lean}\n` };
  }

  #invocationSeries(status: string, start: string): CountSeries {
    let byStart = this.#invocations.get(status);
    if (byStart === undefined) {
      byStart = new Map();
      this.#invocations.set(status, byStart);
    }
    let series = byStart.get(start);
    if (series === undefined) {
      series = new CountSeries({ status, start });
      byStart.set(start, series);
    }
    return series;
  }

  #durationSeries(status: string): HistogramSeries {
    let series = this.#durations.get(status);
    if (series === undefined) {
      series = this.#durationHistogram.series({ status });
      this.#durations.set(status, series);
    }
    return series;
  }

  #read<T>(source: string, read: (() => T) | undefined): T | undefined {
    if (read === undefined) return undefined;
    try {
      return read();
    } catch {
      bump(this.#collectErrors, 'source', source);
      return undefined;
    }
  }
}

function bump(map: Map<string, CountSeries>, label: string, value: string): void {
  let series = map.get(value);
  if (series === undefined) {
    series = new CountSeries({ [label]: value });
    map.set(value, series);
  }
  series.value++;
}
