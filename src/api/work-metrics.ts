// Prometheus metrics of background work, beside the invocation metrics of metrics.ts (attached to
// its registry): job runs by how they were settled, webhook deliveries stored or refused,
// submissions refused by a tenant's backlog cap, egress requests by outcome, how long ready job
// runs waited for a worker, and the jobs queued and running, read from the store at scrape time. The counters are plain numbers bumped where the
// work happens, copied into prom-client per scrape.
import { Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { EgressOutcome, EgressMetrics } from '../egress/types.js';
import type { Lane } from '../queue/port.js';
import type { JobRunMetrics, JobRunOutcome } from '../services/jobs/slice.js';
import { DEAD_SOURCES } from '../services/jobs/dead-log.js';
import type { DeadMetrics, DeadSource } from '../services/jobs/dead-log.js';
import { REFUSED_SOURCES } from '../services/jobs/backlog-refusals.js';
import type { BacklogRefusalMetrics, RefusedSource } from '../services/jobs/backlog-refusals.js';
import { CountSeries, countersFrom } from './metrics.js';

export type DeliveryResult = 'stored' | 'refused';

/** What the queue reports at scrape time. */
export interface QueueCounts {
  queued: number;
  running: number;
}

const JOB_RUN_OUTCOMES: readonly JobRunOutcome[] = ['succeeded', 'continued', 'failed', 'stopped'];
const EGRESS_OUTCOMES: readonly EgressOutcome[] = ['sent', 'denied', 'limit', 'failed'];
const DELIVERY_RESULTS: readonly DeliveryResult[] = ['stored', 'refused'];
/** Job waits run from milliseconds (an idle worker) to hours (a backlog): seconds. */
const JOB_WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

function seriesBy<K extends string>(label: string, values: readonly K[]): Map<K, CountSeries> {
  return new Map(values.map((value) => [value, new CountSeries({ [label]: value })]));
}

export class WorkMetrics implements JobRunMetrics, EgressMetrics, DeadMetrics, BacklogRefusalMetrics {
  readonly #runs = seriesBy('outcome', JOB_RUN_OUTCOMES);
  readonly #dead = seriesBy('source', DEAD_SOURCES);
  readonly #egress = seriesBy('outcome', EGRESS_OUTCOMES);
  readonly #deliveries = seriesBy('result', DELIVERY_RESULTS);
  readonly #backlogRefusals = new Map<RefusedSource, CountSeries>(
    REFUSED_SOURCES.map((source) => [source, new CountSeries({ reason: 'backlog', source })]),
  );
  #queue: (() => Promise<QueueCounts>) | undefined;
  readonly #jobWait = new Histogram({
    name: 'airlock_job_queue_wait_seconds',
    help: 'Time a job run waited for a worker once ready (submitted, continued, or its retry backoff over), by queue lane (jobs, webhook deliveries and schedule occurrences all run in the background lane), seconds',
    labelNames: ['lane'] as const,
    buckets: JOB_WAIT_BUCKETS,
    registers: [],
  });

  recordJobRun(outcome: JobRunOutcome): void {
    this.#runs.get(outcome)!.value++;
  }

  recordDead(source: DeadSource): void {
    this.#dead.get(source)!.value++;
  }

  recordJobStart(lane: Lane, waitMs: number): void {
    this.#jobWait.observe({ lane }, waitMs / 1000);
  }

  recordEgress(outcome: EgressOutcome): void {
    this.#egress.get(outcome)!.value++;
  }

  recordDelivery(result: DeliveryResult): void {
    this.#deliveries.get(result)!.value++;
  }

  recordBacklogRefusal(source: RefusedSource): void {
    this.#backlogRefusals.get(source)!.value++;
  }

  /** Read the queue's counts from `source` at every scrape. */
  observeQueue(source: () => Promise<QueueCounts>): void {
    this.#queue = source;
  }

  register(registry: Registry): void {
    const registers = [registry];
    registry.registerMetric(this.#jobWait);
    countersFrom(
      'airlock_job_runs_total',
      'Job runs (slices) by how they were settled: succeeded (the job is done), continued (cut at a cap, or by a shutdown; the job goes on), failed (a failed attempt, or the job ended failed), stopped (cancelled, or its lease lost)',
      ['outcome'],
      registers,
      () => [...this.#runs.values()],
    );
    countersFrom(
      'airlock_jobs_dead_total',
      'Jobs that became dead (their last attempt failed; each also logged), by where they came from: api (submitted), webhook (a delivery), schedule (an occurrence)',
      ['source'],
      registers,
      () => [...this.#dead.values()],
    );
    countersFrom(
      'airlock_webhook_deliveries_total',
      'Webhook deliveries: stored (answered 2xx) or refused (4xx/5xx: unknown URL, too large, malformed, shutting down)',
      ['result'],
      registers,
      () => [...this.#deliveries.values()],
    );
    countersFrom(
      'airlock_queue_refused_total',
      'Submissions the queue refused before storing anything, by reason (backlog: the tenant already held AIRLOCK_QUEUE_TENANT_BACKLOG unfinished items) and source: api (a job, answered 429), webhook (a delivery, answered 429), schedule (an occurrence, skipped)',
      ['reason', 'source'],
      registers,
      () => [...this.#backlogRefusals.values()],
    );
    countersFrom(
      'airlock_egress_requests_total',
      'Requests functions made through the egress broker: sent (a response came back), denied (refused before any connection: policy, address rule, secret binding), limit (a per-execution cap), failed (DNS, connection, TLS, timeout)',
      ['outcome'],
      registers,
      () => [...this.#egress.values()],
    );
    const self = this;
    new Gauge({
      name: 'airlock_jobs',
      help: 'Jobs in the queue (webhook deliveries and schedule occurrences included) that are queued or running, read from the store',
      labelNames: ['status'] as const,
      registers,
      async collect() {
        this.reset();
        const read = self.#queue;
        if (read === undefined) return;
        try {
          const counts = await read();
          this.set({ status: 'queued' }, counts.queued);
          this.set({ status: 'running' }, counts.running);
        } catch {
          // the store failed: the gauge is empty in this scrape (the server log says why elsewhere)
        }
      },
    });
  }
}
