// What the server says when a queue item becomes dead (its last attempt failed, or its last run's
// lease ended without its server): a warn line naming the tenant, function, job id, where it came
// from (api, webhook, schedule), its attempts and its last error's code, and a count by source
// (airlock_jobs_dead_total). Retries show in airlock_job_runs_total{outcome="failed"}; this is the
// final death. The queue tells it (DeadItemListener) after the item's transaction committed.
//
// Bounded like the outcome log: per (tenant, function), the first death in a window of `windowMs`
// is logged whole, the rest counted in one line when the window ends; at most `maxKeys` pairs are
// followed per window, deaths of further ones are counted together.
import { isRecord } from '../../core/json.js';
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

export interface DeadLogOptions {
  /** Window length, ms. Default 10 000. */
  windowMs?: number;
  /** (tenant, function) pairs followed in one window. Default 1 000. */
  maxKeys?: number;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
}

interface Followed {
  tenant: string;
  function: string;
  firstAt: number;
  more: number;
  lastId: string;
}

/** Where the item came from, read from its payload (source.ts). */
function sourceOf(item: QueueItem): DeadSource {
  const payload = isRecord(item.payload) ? item.payload : {};
  return (readJobSource(payload.source) ?? legacyJobSource(item.idempotencyKey, payload.input)).kind;
}

export class DeadLog {
  private readonly logger: DeadLogger;
  private readonly metrics: DeadMetrics | undefined;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly followed = new Map<string, Followed>();
  private overflow = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(logger: DeadLogger, metrics?: DeadMetrics, options: DeadLogOptions = {}) {
    this.logger = logger;
    this.metrics = metrics;
    this.windowMs = Math.max(1, options.windowMs ?? 10_000);
    this.maxKeys = Math.max(1, options.maxKeys ?? 1_000);
    this.now = options.now ?? Date.now;
  }

  /** A DeadItemListener: counts the item, and logs it or counts it for its window's summary. */
  readonly note = (item: QueueItem): void => {
    const source = sourceOf(item);
    this.metrics?.recordDead(source);
    const key = `${item.tenant}\0${item.function}`;
    const seen = this.followed.get(key);
    if (seen !== undefined) {
      seen.more++;
      seen.lastId = item.id;
      return;
    }
    if (this.followed.size >= this.maxKeys) {
      this.overflow++;
      return;
    }
    this.followed.set(key, { tenant: item.tenant, function: item.function, firstAt: this.now(), more: 0, lastId: item.id });
    const code = item.lastError?.code ?? null;
    this.logger.warn(
      { dead: true, tenant: item.tenant, function: item.function, job: item.id, source, attempts: item.attempts, maxAttempts: item.maxAttempts, lastErrorCode: code },
      `job ${item.id} of ${item.tenant}/${item.function} (${source}) is dead after ${item.attempts} failed attempts` +
        `${code === null ? '' : `, last ${code}`}; see GET /v1/tenants/${item.tenant}/jobs/${item.id}, and retry it with POST …/jobs/${item.id}/retry`,
    );
    this.arm();
  };

  /** Ends the window: one line per pair with deaths left unlogged. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    for (const f of this.followed.values()) {
      if (f.more === 0) continue;
      const seconds = Math.max(0, Math.round((now - f.firstAt) / 100) / 10);
      this.logger.warn(
        { dead: true, tenant: f.tenant, function: f.function, suppressed: f.more, seconds, lastJob: f.lastId },
        `${f.more} more jobs of ${f.tenant}/${f.function} died in the last ${seconds} s (last: ${f.lastId})`,
      );
    }
    this.followed.clear();
    if (this.overflow > 0) {
      this.logger.warn(
        { dead: true, suppressed: this.overflow, maxKeys: this.maxKeys },
        `${this.overflow} more jobs of over ${this.maxKeys} tenant/function pairs died and were not logged; see airlock_jobs_dead_total`,
      );
      this.overflow = 0;
    }
  }

  close(): void {
    this.flush();
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.windowMs);
    this.timer.unref();
  }
}
