// The ctx handed to the function: executionId, tenant, function, deadline, log, signal, and
// fetch, or checkpoint and job, on runs granted them. Its members are the documented ones alone:
// own fields (frozen, like the objects they hold), and the `signal` getter on a frozen prototype
// that leads nowhere else (no constructor, no internal methods). Freezing uses the built-ins
// captured at boot: code of an earlier run in a warm sandbox cannot switch it off.
import type { CheckpointApi } from '../checkpoint-client.mjs';
import type { FetchClient } from '../fetch-client.mjs';
import type { JobInfo, RunFrame } from '../protocol.js';
import { ctxLog } from './console.js';
import { clearTimer, defineProperty, freeze, now, setTimer } from './primordials.js';

let stopSignalTimer: (ctx: RunContext) => void;

/** Stops a ctx's signal timer once its run has answered (not a method: ctx shows only its contract). */
export function endContext(ctx: RunContext): void {
  stopSignalTimer(ctx);
}

/**
 * `signal` is created on first use: most functions never read it, and an AbortController plus a
 * timer per run is a measurable share of a warm round trip.
 */
export class RunContext {
  readonly executionId: string;
  readonly tenant: string;
  readonly function: string;
  readonly deadline: number;
  readonly log = ctxLog;
  /** Only on runs granted egress. */
  declare readonly fetch?: FetchClient['fetch'];
  /** Only on job runs. */
  declare readonly checkpoint?: CheckpointApi;
  /** Only on job runs: which job, which attempt, what started it (job-info.ts). */
  declare readonly job?: Readonly<JobInfo>;
  #signalAt: number;
  #controller: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    frame: RunFrame,
    deadline: number,
    fetcher: FetchClient['fetch'] | undefined,
    checkpoint: CheckpointApi | undefined,
    job: Readonly<JobInfo> | undefined,
  ) {
    this.executionId = frame.id;
    this.tenant = frame.tenant;
    this.function = frame.fn.name;
    this.deadline = deadline;
    this.#signalAt = deadline - (Number(frame.signalLeadMs) || 0);
    if (fetcher !== undefined) defineProperty(this, 'fetch', { value: fetcher, enumerable: true });
    if (checkpoint !== undefined) defineProperty(this, 'checkpoint', { value: checkpoint, enumerable: true });
    if (job !== undefined) defineProperty(this, 'job', { value: job, enumerable: true });
    freeze(this);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      this.#timer = setTimer(() => {
        controller.abort(new DOMException('the execution deadline is near', 'TimeoutError'));
      }, Math.max(0, this.#signalAt - now()));
    }
    return this.#controller.signal;
  }

  static {
    stopSignalTimer = (ctx) => {
      if (ctx.#timer !== undefined) clearTimer(ctx.#timer);
    };
  }
}
delete (RunContext.prototype as { constructor?: unknown }).constructor;
freeze(RunContext.prototype);
