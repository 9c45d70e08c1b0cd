// Prometheus metrics of background work, beside the invocation metrics of metrics.ts (attached to
// its registry): job runs by how they were settled, webhook deliveries stored or refused, egress
// requests by outcome, and the jobs queued and running, read from the store at scrape time. The
// counters are plain numbers bumped where the work happens, copied into prom-client per scrape.
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { EgressOutcome, EgressMetrics } from '../egress/types.js';
import type { JobRunMetrics, JobRunOutcome } from '../services/jobs/slice.js';
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

function seriesBy<K extends string>(label: string, values: readonly K[]): Map<K, CountSeries> {
  return new Map(values.map((value) => [value, new CountSeries({ [label]: value })]));
}

export class WorkMetrics implements JobRunMetrics, EgressMetrics {
  readonly #runs = seriesBy('outcome', JOB_RUN_OUTCOMES);
  readonly #egress = seriesBy('outcome', EGRESS_OUTCOMES);
  readonly #deliveries = seriesBy('result', DELIVERY_RESULTS);
  #queue: (() => Promise<QueueCounts>) | undefined;

  recordJobRun(outcome: JobRunOutcome): void {
    this.#runs.get(outcome)!.value++;
  }

  recordEgress(outcome: EgressOutcome): void {
    this.#egress.get(outcome)!.value++;
  }

  recordDelivery(result: DeliveryResult): void {
    this.#deliveries.get(result)!.value++;
  }

  /** Read the queue's counts from `source` at every scrape. */
  observeQueue(source: () => Promise<QueueCounts>): void {
    this.#queue = source;
  }

  register(registry: Registry): void {
    const registers = [registry];
    countersFrom(
      'airlock_job_runs_total',
      'Job runs (slices) by how they were settled: succeeded (the job is done), continued (cut at a cap, or by a shutdown; the job goes on), failed (a failed attempt, or the job ended failed), stopped (cancelled, or its lease lost)',
      ['outcome'],
      registers,
      () => [...this.#runs.values()],
    );
    countersFrom(
      'airlock_webhook_deliveries_total',
      'Webhook deliveries: stored (answered 2xx) or refused (4xx/5xx: unknown URL, too large, malformed, shutting down)',
      ['result'],
      registers,
      () => [...this.#deliveries.values()],
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
