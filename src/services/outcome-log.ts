// Warn lines for executions that did not succeed (failed, timeout, oom, killed, and calls refused
// before they ran: rejected), invocations and job slices alike, so an on-call engineer can tell
// from the server log which tenant and function is failing and how. The recorder calls note() for
// every record whose status is not `succeeded`; a succeeded call never reaches this file.
//
// Bounded: per (tenant, function, status), and per tenant for refusals (a 429 flood names many
// functions), the first execution in a window of `windowMs` is logged whole; the rest are only
// counted, and one line when the window ends says how many more there were and the last one's id.
// At most `maxKeys` combinations are followed in one window; executions of further ones are
// counted together and summed up in one line. So a tenant failing 10,000 times a second writes
// two lines per window, and the whole log at most 2 × maxKeys + 1.
import type { ExecutionRecord, ExecutionStatus } from '../core/types.js';

/** The part of a pino logger the outcome log uses. */
export interface OutcomeLogger {
  warn(obj: object, msg: string): void;
}

/** How a sandbox process that ended during the run exited, when the host saw it exit. */
export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface OutcomeLogOptions {
  /** Length of a window, ms. Default OUTCOME_WINDOW_MS. */
  windowMs?: number;
  /** Combinations followed in one window. Default MAX_OUTCOME_KEYS. */
  maxKeys?: number;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
}

export const OUTCOME_WINDOW_MS = 10_000;
export const MAX_OUTCOME_KEYS = 1_000;

/** Statuses whose error the host wrote itself (a limit, a crash, a refusal): its message is logged too. */
const HOST_ERRORS: ReadonlySet<ExecutionStatus> = new Set(['timeout', 'oom', 'killed', 'rejected']);

interface Followed {
  tenant: string;
  /** null: every function of the tenant (refusals). */
  function: string | null;
  status: ExecutionStatus;
  firstAt: number;
  more: number;
  lastId: string;
}

export class OutcomeLog {
  private readonly logger: OutcomeLogger;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly followed = new Map<string, Followed>();
  private overflow = 0;
  private overflowSince = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(logger: OutcomeLogger, options: OutcomeLogOptions = {}) {
    this.logger = logger;
    this.windowMs = Math.max(1, options.windowMs ?? OUTCOME_WINDOW_MS);
    this.maxKeys = Math.max(1, options.maxKeys ?? MAX_OUTCOME_KEYS);
    this.now = options.now ?? Date.now;
  }

  /** An execution that did not succeed: logged, or counted for its window's summary. */
  note(rec: ExecutionRecord, exit?: ExitStatus): void {
    const refused = rec.status === 'rejected';
    const key = refused ? `${rec.tenant}\0\0rejected` : `${rec.tenant}\0${rec.function}\0${rec.status}`;
    const seen = this.followed.get(key);
    if (seen !== undefined) {
      seen.more++;
      seen.lastId = rec.id;
      return;
    }
    const now = this.now();
    if (this.followed.size >= this.maxKeys) {
      if (this.overflow === 0) this.overflowSince = now;
      this.overflow++;
      return;
    }
    this.followed.set(key, { tenant: rec.tenant, function: refused ? null : rec.function, status: rec.status, firstAt: now, more: 0, lastId: rec.id });
    this.logger.warn(this.fields(rec, exit), this.message(rec));
    this.arm();
  }

  /** Ends the window: one summary line per combination with executions left unlogged. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    for (const f of this.followed.values()) {
      if (f.more === 0) continue;
      const seconds = Math.max(0, Math.round((now - f.firstAt) / 100) / 10);
      const what = f.function === null ? `calls of tenant ${f.tenant} refused` : `${f.status} executions of ${f.tenant}/${f.function}`;
      this.logger.warn(
        { outcome: f.status, status: f.status, tenant: f.tenant, function: f.function, suppressed: f.more, seconds, lastExecutionId: f.lastId },
        `${f.more} more ${what} in the last ${seconds} s were not logged (last: ${f.lastId})`,
      );
    }
    this.followed.clear();
    if (this.overflow > 0) {
      const seconds = Math.max(0, Math.round((now - this.overflowSince) / 100) / 10);
      this.logger.warn(
        { suppressed: this.overflow, seconds, maxKeys: this.maxKeys },
        `${this.overflow} more executions that did not succeed, of over ${this.maxKeys} tenant/function/status combinations, in the last ${seconds} s were not logged; see airlock_invocations_total and GET /v1/executions?status=`,
      );
      this.overflow = 0;
    }
  }

  /** Logs what is left (at shutdown) and stops the timer. */
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

  private fields(rec: ExecutionRecord, exit: ExitStatus | undefined): Record<string, unknown> {
    const fields: Record<string, unknown> = {
      outcome: rec.status,
      tenant: rec.tenant,
      function: rec.function,
      version: rec.version,
      executionId: rec.id,
      kind: rec.jobId === undefined ? 'invoke' : 'job',
      status: rec.status,
      errorType: rec.error?.type ?? null,
      durationMs: rec.durationMs,
      start: rec.start,
    };
    if (rec.jobId !== undefined) fields.jobId = rec.jobId;
    // A failed run's message is the tenant's own text (it may hold its data); the host's are safe.
    if (rec.error !== undefined && HOST_ERRORS.has(rec.status)) fields.errorMessage = rec.error.message;
    if (exit !== undefined) {
      fields.exitCode = exit.code;
      fields.signal = exit.signal;
    }
    return fields;
  }

  private message(rec: ExecutionRecord): string {
    const error = rec.error === undefined ? '' : ` (${rec.error.type})`;
    if (rec.status === 'rejected') return `call of ${rec.tenant}/${rec.function} refused${error}`;
    const kind = rec.jobId === undefined ? 'execution' : `job ${rec.jobId} run`;
    return `${kind} of ${rec.tenant}/${rec.function} ended ${rec.status}${error}`;
  }
}
