// What the server says when a queue item becomes dead (its last attempt failed, or its last run's
// lease ended without its server): a warn line naming the tenant, function, job id, where it came
// from (api, webhook, schedule), its attempts and its last error's code, and a count by source
// (airlock_jobs_dead_total). Retries show in airlock_job_runs_total{outcome="failed"}; this is the
// final death. The queue tells it (DeadItemListener) after the item's transaction committed.
//
// Bounded like the outcome log (core/log-window.ts): per (tenant, function), the first death in a
// window is logged whole, the rest counted in one line when the window ends.
import { isRecord } from '../../core/json.js';
import { LogWindow } from '../../core/log-window.js';
import type { LogWindowOptions } from '../../core/log-window.js';
import type { QueueItem } from '../../queue/port.js';
import { legacyJobSource, readJobSource } from './source.js';
import type { JobSource } from './source.js';

export type DeadSource = JobSource['kind'];
export const DEAD_SOURCES: readonly DeadSource[] = ['api', 'webhook', 'schedule'];

export interface DeadLogger {
  warn(obj: object, msg: string): void;
}

export interface DeadMetrics {
  recordDead(source: DeadSource): void;
}

/** Window length (default 10 s), (tenant, function) pairs followed per window (default 1 000), clock. */
export type DeadLogOptions = LogWindowOptions;

/** A (tenant, function) pair followed in a window. */
interface Pair {
  tenant: string;
  function: string;
}

/** Where the item came from, read from its payload (source.ts). */
function sourceOf(item: QueueItem): DeadSource {
  const payload = isRecord(item.payload) ? item.payload : {};
  return (readJobSource(payload.source) ?? legacyJobSource(item.idempotencyKey, payload.input)).kind;
}

export class DeadLog {
  private readonly logger: DeadLogger;
  private readonly metrics: DeadMetrics | undefined;
  private readonly window: LogWindow<Pair>;

  constructor(logger: DeadLogger, metrics?: DeadMetrics, options: DeadLogOptions = {}) {
    this.logger = logger;
    this.metrics = metrics;
    this.window = new LogWindow<Pair>(
      {
        summary: ({ subject: f, more, seconds, lastId }) =>
          this.logger.warn(
            { dead: true, tenant: f.tenant, function: f.function, suppressed: more, seconds, lastJob: lastId },
            `${more} more jobs of ${f.tenant}/${f.function} died in the last ${seconds} s (last: ${lastId})`,
          ),
        overflow: (count, _seconds, maxKeys) =>
          this.logger.warn(
            { dead: true, suppressed: count, maxKeys },
            `${count} more jobs of over ${maxKeys} tenant/function pairs died and were not logged; see airlock_jobs_dead_total`,
          ),
      },
      options,
    );
  }

  /** A DeadItemListener: counts the item, and logs it or counts it for its window's summary. */
  readonly note = (item: QueueItem): void => {
    const source = sourceOf(item);
    this.metrics?.recordDead(source);
    if (!this.window.admit(`${item.tenant}\0${item.function}`, () => ({ tenant: item.tenant, function: item.function }), item.id)) return;
    const code = item.lastError?.code ?? null;
    this.logger.warn(
      { dead: true, tenant: item.tenant, function: item.function, job: item.id, source, attempts: item.attempts, maxAttempts: item.maxAttempts, lastErrorCode: code },
      `job ${item.id} of ${item.tenant}/${item.function} (${source}) is dead after ${item.attempts} failed attempt${item.attempts === 1 ? '' : 's'}` +
        `${code === null ? '' : `, last ${code}`}; see GET /v1/tenants/${item.tenant}/jobs/${item.id}, and retry it with POST …/jobs/${item.id}/retry`,
    );
  };

  /** Ends the window: one line per pair with deaths left unlogged. */
  flush(): void {
    this.window.flush();
  }

  close(): void {
    this.window.close();
  }
}
