// Warn lines for executions that did not succeed (failed, timeout, oom, killed, and calls refused
// before they ran: rejected), invocations and job slices alike, so an on-call engineer can tell
// from the server log which tenant and function is failing and how. The recorder calls note() for
// every record whose status is not `succeeded`; a succeeded call never reaches this file.
//
// Bounded (core/log-window.ts): per (tenant, function, status), and per tenant for refusals (a 429
// flood names many functions), the first execution in a window is logged whole; the rest are only
// counted, and one line when the window ends says how many more there were and the last one's id.
// So a tenant failing 10,000 times a second writes two lines per window.
import { LogWindow } from '../core/log-window.js';
import type { LogWindowOptions } from '../core/log-window.js';
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

/** Window length (default OUTCOME_WINDOW_MS), combinations followed per window (default MAX_OUTCOME_KEYS), clock. */
export type OutcomeLogOptions = LogWindowOptions;

export const OUTCOME_WINDOW_MS = 10_000;
export const MAX_OUTCOME_KEYS = 1_000;

/** Statuses whose error the host wrote itself (a limit, a crash, a refusal): its message is logged too. */
const HOST_ERRORS: ReadonlySet<ExecutionStatus> = new Set(['timeout', 'oom', 'killed', 'rejected']);

/** A combination followed in a window. */
interface Followed {
  tenant: string;
  /** null: every function of the tenant (refusals). */
  function: string | null;
  status: ExecutionStatus;
}

export class OutcomeLog {
  private readonly logger: OutcomeLogger;
  private readonly window: LogWindow<Followed>;

  constructor(logger: OutcomeLogger, options: OutcomeLogOptions = {}) {
    this.logger = logger;
    this.window = new LogWindow<Followed>(
      {
        summary: ({ subject: f, more, seconds, lastId }) => {
          const what = f.function === null ? `calls of tenant ${f.tenant} refused` : `${f.status} executions of ${f.tenant}/${f.function}`;
          this.logger.warn(
            { outcome: f.status, status: f.status, tenant: f.tenant, function: f.function, suppressed: more, seconds, lastExecutionId: lastId },
            `${more} more ${what} in the last ${seconds} s were not logged (last: ${lastId})`,
          );
        },
        overflow: (count, seconds, maxKeys) =>
          this.logger.warn(
            { suppressed: count, seconds, maxKeys },
            `${count} more executions that did not succeed, of over ${maxKeys} tenant/function/status combinations, in the last ${seconds} s were not logged; see airlock_invocations_total and GET /v1/executions?status=`,
          ),
      },
      { windowMs: OUTCOME_WINDOW_MS, maxKeys: MAX_OUTCOME_KEYS, ...options },
    );
  }

  /** An execution that did not succeed: logged, or counted for its window's summary. */
  note(rec: ExecutionRecord, exit?: ExitStatus): void {
    const refused = rec.status === 'rejected';
    const key = refused ? `${rec.tenant}\0\0rejected` : `${rec.tenant}\0${rec.function}\0${rec.status}`;
    const subject = (): Followed => ({ tenant: rec.tenant, function: refused ? null : rec.function, status: rec.status });
    if (this.window.admit(key, subject, rec.id)) this.logger.warn(this.fields(rec, exit), this.message(rec));
  }

  /** Ends the window: one summary line per combination with executions left unlogged. */
  flush(): void {
    this.window.flush();
  }

  /** Logs what is left (at shutdown) and stops the timer. */
  close(): void {
    this.window.close();
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
