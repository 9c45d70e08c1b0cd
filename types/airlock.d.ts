// Types for Airlock function modules: the `ctx` a run receives (Context, JobContext,
// WithEgress) and the function's own shape (Handler). Print them with `airlock types >
// airlock.d.ts` (or import 'airlock/types' from the installed package) and use them with
// `import type`, which the deploy strips, so the function still imports nothing:
//
//   import type { Context } from './airlock.js';
//   export default async function (input: { name: string }, ctx: Context) { … }
//
// The declarations use the standard `AbortSignal`, `RequestInfo`, `RequestInit` and `Response`
// types: have `@types/node` (Node 20 or later) or the "DOM" lib in your tsconfig.

/**
 * `ctx.log`: one line in the execution's `logs` per call, at this level. The arguments are
 * formatted as `console.log` formats them (`util.format`); the lines of one execution share its
 * `logBytes` limit (64 KiB by default). `console.*` is captured too.
 */
export interface Log {
  /** A `debug` line. */
  debug(...args: unknown[]): void;
  /** An `info` line (as `console.log` and `console.info` write). */
  info(...args: unknown[]): void;
  /** A `warn` line. */
  warn(...args: unknown[]): void;
  /** An `error` line; an Error argument is written with its stack, the function's own frames only. */
  error(...args: unknown[]): void;
}

/**
 * `ctx.fetch`: the standard `fetch`, brokered by the host under the function's egress policy.
 * A refused or failed request rejects with a `TypeError` whose `code` is an `EGRESS_*` code.
 * At most 16 requests of a run are in flight at once; more wait their turn, in call order.
 */
export type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/**
 * `ctx.checkpoint` of a job run: the job's saved progress. `State` is what this function saves;
 * it is stored as JSON, so keep it JSON-shaped (a `Date` comes back as a string, an `undefined`
 * member not at all), and small: a cursor, not the data.
 */
export interface Checkpoint<State = unknown> {
  /**
   * A copy of the last state the job saved (by this run or an earlier one of the same job),
   * `undefined` before the first save.
   */
  get(): State | undefined;
  /**
   * Saves `state` as the job's checkpoint; resolves once the host stored it durably (saves are
   * stored one at a time, in call order). Rejects with an Error whose `code` is
   * `CHECKPOINT_INVALID` (not a JSON value, or nested too deep), `CHECKPOINT_TOO_LARGE` (above the
   * server's limit, 256 KiB of JSON by default; the previous checkpoint is kept), `LEASE_LOST`
   * (this run lost the job: another run took it over, or it was cancelled) or `CHECKPOINT_FAILED`
   * (the run ended first, or the host could not store it).
   */
  save(state: State): Promise<void>;
}

/**
 * What started a job, `ctx.job.source`: `api` (`POST …/functions/{function}/jobs`, `airlock jobs
 * submit`), `webhook` (a delivery; `deliveryId` is also in its input) or `schedule` (a schedule's
 * occurrence: the schedule's name, and the time the occurrence stands for, epoch ms, not when
 * the job was created or ran).
 */
export type JobSource =
  | { readonly kind: 'api' }
  | { readonly kind: 'webhook'; readonly deliveryId: string }
  | { readonly kind: 'schedule'; readonly schedule: string; readonly occurrenceAt: number };

/** `ctx.job` of a job run: which job it runs for and how it got there (frozen). */
export interface JobInfo {
  /** The job id (`qi_…`), the same in every run of the job: its slices, retries and a retry in place. */
  readonly id: string;
  /**
   * Which attempt this run belongs to, from 1: 1 + the job's failed attempts so far. A
   * continuation after a slice cap keeps it; a retry in place starts over at 1.
   */
  readonly attempt: number;
  /** The job's `maxAttempts`: when `attempt === maxAttempts`, a failure of this run makes the job `dead`. */
  readonly maxAttempts: number;
  /**
   * The job's idempotency key; absent when it has none. A webhook delivery's is its delivery id, a
   * schedule occurrence's `schedule:<name>:<ISO time>`.
   */
  readonly idempotencyKey?: string;
  /** What started the job. */
  readonly source: JobSource;
  /** When the job was created (submitted, delivered, fired), epoch ms; unchanged by retries. */
  readonly createdAt: number;
  /** When the job was last retried in place, epoch ms; absent when it never was. */
  readonly retriedAt?: number;
}

/**
 * The `ctx` every run receives (frozen: its members cannot be assigned, added or deleted).
 * `fetch` is there only for a function deployed with an egress policy, `checkpoint` and `job`
 * only in job runs: declare `ctx` as `JobContext`, `WithEgress<Context>` or
 * `WithEgress<JobContext>` when the function is only ever run that way.
 */
export interface Context {
  /** This execution's id (`ex_…`), as in `GET /v1/tenants/{tenant}/executions/{id}`. */
  readonly executionId: string;
  /** The tenant the function belongs to. */
  readonly tenant: string;
  /** The function's name (not its version). */
  readonly function: string;
  /**
   * When the execution's time limit ends, epoch ms (compare with `Date.now()`): the function's
   * timeout for an invocation; for a job run, the end of its slice (`maxRunMs`, or the job's
   * deadline if that comes first). A run still going then is stopped: an invocation ends as
   * `timeout`; a job slice stopped at its cap is continued from the job's last checkpoint.
   */
  readonly deadline: number;
  /**
   * Aborts shortly before `deadline` (a tenth of the time limit before it, at most 250 ms), with
   * a `TimeoutError` DOMException as its reason: pass it to `fetch` and other waits to answer on
   * your own terms before the deadline.
   */
  readonly signal: AbortSignal;
  /** Log lines for the execution's `logs`. */
  readonly log: Log;
  /**
   * The brokered `fetch`, present only when the function was deployed with an egress policy
   * (then it is also `globalThis.fetch` during the run); `undefined` otherwise, and the global
   * `fetch` fails: the sandbox has no network.
   */
  readonly fetch?: Fetch;
  /** The job's checkpoint: present in job runs only, `undefined` in invocations. */
  readonly checkpoint?: Checkpoint;
  /** Which job this run is for: present in job runs only, `undefined` in invocations. */
  readonly job?: JobInfo;
}

/**
 * `ctx` of a job run (a job submitted through the API, a webhook delivery, a schedule's
 * occurrence): `checkpoint` and `job` are always there. `State` is the type of the checkpoint
 * this function saves.
 */
export interface JobContext<State = unknown> extends Context {
  /** The job's checkpoint: its saved progress, which the next run resumes from. */
  readonly checkpoint: Checkpoint<State>;
  /** Which job this run is for. */
  readonly job: JobInfo;
}

/**
 * `ctx` of a function deployed with an egress policy: `fetch` is always there, e.g.
 * `WithEgress<Context>`, or `WithEgress<JobContext<State>>` for a job.
 */
export type WithEgress<C extends Context = Context> = C & {
  /** The brokered `fetch` (also `globalThis.fetch` during the run). */
  readonly fetch: Fetch;
};

/**
 * A function module's `default` (or `handler`) export. `input` is the JSON the caller sent; the
 * result must be JSON-serializable (no functions, symbols, bigints or cycles), within the
 * function's result limit. E.g.
 *
 *   const hello: Handler<{ name: string }, { hello: string }> = async (input, ctx) => ({ hello: input.name });
 *   export default hello;
 */
export type Handler<Input = unknown, Output = unknown, C extends Context = Context> = (input: Input, ctx: C) => Output | Promise<Output>;
