// Frame types exchanged between the host and the runtime harness over fd 3. Each frame on the
// wire is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON. Types only: the
// harness (bundled into one file) is copied alone into the sandbox, so its modules may
// `import type` from here and nothing else.

/** Log levels the harness reports. Raw fd 1/2 output is added by the host as stdout/stderr. */
export type HarnessLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'stdout' | 'stderr';

/** One captured log line: [level, message]. The host stamps the time when it receives it. */
export type HarnessLogEntry = [HarnessLogLevel, string];

/** Error as reported by the harness: the stack keeps only frames of the tenant module. */
export interface HarnessError {
  type: string;
  message: string;
  stack?: string;
}

// ---- sandbox → host ----

/** Sent once when the harness has booted and listens for run frames. */
export interface ReadyFrame {
  t: 'ready';
}

interface DoneBase {
  t: 'done';
  /** The execution id of the run frame this answers. */
  id: string;
  logs: HarnessLogEntry[];
  /** True when the harness cut or left out log output above the run's logBytes. */
  logsTruncated: boolean;
  /** See LogsFrame.skipped (lines left out since the last `logs` frame, before these). */
  skipped?: LogsSkipped;
}

/**
 * Lines the harness left out (and the bytes of their text) between the lines it sent before and
 * the ones in this frame: a run over its logBytes keeps its first lines and its newest ones.
 */
export type LogsSkipped = [lines: number, bytes: number];

export interface DoneOkFrame extends DoneBase {
  ok: true;
  /** Absent when the function returned undefined. */
  result?: unknown;
}

export interface DoneErrorFrame extends DoneBase {
  ok: false;
  error: HarnessError;
}

export type DoneFrame = DoneOkFrame | DoneErrorFrame;

/**
 * Log lines of the run in flight, sent before its done frame: at most LOG_FLUSH_MS (harness)
 * after they were written, and when the run ends the process. The done frame has the rest.
 */
export interface LogsFrame {
  t: 'logs';
  /** The execution id of the run in flight. */
  id: string;
  logs: HarnessLogEntry[];
  /** Absent when no line was left out before these. */
  skipped?: LogsSkipped;
}

/**
 * ctx.fetch: one request for the host's egress broker (only while a run granted egress is in
 * flight). Answered by exactly one `fetched` frame with the same `rid`.
 */
export interface FetchFrame {
  t: 'fetch';
  /** The execution id of the run in flight. */
  id: string;
  /** Request id, unique among this sandbox's requests in flight. */
  rid: number;
  method: string;
  url: string;
  headers: [string, string][];
  /** Request body, base64; absent for requests without one. */
  body?: string;
  /** The request's redirect mode (Request.redirect); absent means 'follow'. */
  redirect?: 'follow' | 'error' | 'manual';
}

/**
 * ctx.fetch: the function aborted request `rid` (its signal fired) before its answer arrived. The
 * host aborts the upstream request, frees its place among the requests in flight, and sends no
 * `fetched` frame for it. Not answered. Sent only during the run that made the request, before
 * its done frame.
 */
export interface FetchAbortFrame {
  t: 'fetch-abort';
  /** The execution id of the run in flight. */
  id: string;
  /** The request id of the aborted `fetch` frame. */
  rid: number;
}

/**
 * ctx.checkpoint.save: one state for the host to store durably (only during a job run, one at a
 * time). Answered by exactly one `checkpointed` frame with the same `rid`.
 */
export interface CheckpointFrame {
  t: 'checkpoint';
  /** The execution id of the run in flight. */
  id: string;
  /** Request id, increasing within the sandbox. */
  rid: number;
  /** The state, any JSON value (at most the run's checkpointBytes). */
  state: unknown;
}

/** The answer to a `cancel` frame whose run had not started: it was dropped and never will. */
export interface CancelledFrame {
  t: 'cancelled';
  /** The execution id of the dropped run. */
  id: string;
}

export type SandboxToHostFrame = ReadyFrame | DoneFrame | LogsFrame | FetchFrame | FetchAbortFrame | CheckpointFrame | CancelledFrame;

// ---- host → sandbox ----

/**
 * The host's first frame, sent once it holds the channel. The harness says ready only after it,
 * so nothing the sandbox sends can be lost while the channel changes hands (the spawner process
 * hands the sandbox's sockets to the server after starting it).
 */
export interface HelloFrame {
  t: 'hello';
  /** What to warm up before ready (see Warmup on the host's SpawnOptions). */
  warmup: Warmup;
}

/**
 * The throwaway runs a harness makes before it says ready, so that a sandbox's first real run
 * pays for the tenant's module and not for the platform's first-time costs:
 * - `full` (blank pool sandboxes, warmed off any call's path): a run that logs an object and one
 *   that throws, so console formatting and the error path are compiled too;
 * - `loader` (a sandbox spawned while a call waits for it): one run that returns, which starts
 *   the ES module loader and compiles the run path; a first run that logs or throws pays for
 *   that part itself (about 1-2 ms), and the waiting call saves about 4 ms;
 * - `none`: ready at once.
 */
export type Warmup = 'full' | 'loader' | 'none';

/** What started a job (ctx.job.source): times are epoch ms. */
export type JobSourceInfo =
  | { kind: 'api' }
  | { kind: 'webhook'; deliveryId: string }
  | { kind: 'schedule'; schedule: string; occurrenceAt: number };

/**
 * ctx.job of a job run (docs/jobs.md): data the host chose, nothing secret. Bounded: ids and names
 * are the host's own, the idempotency key at most 256 characters (its API schema).
 */
export interface JobInfo {
  id: string;
  /** 1-based: 1 + the job's failed attempts so far (continuations keep it; a retry starts over at 1). */
  attempt: number;
  maxAttempts: number;
  /** Absent when the job has none. */
  idempotencyKey?: string;
  source: JobSourceInfo;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms of the job's last retry in place; absent when never retried. */
  retriedAt?: number;
}

export interface RunFrame {
  t: 'run';
  /** Execution id. */
  id: string;
  tenant: string;
  fn: {
    name: string;
    /** Content hash of the version. */
    version: string;
    /** ESM source; present only the first time this sandbox sees the version. */
    code?: string;
  };
  /** The input value (the caller's serialized JSON, embedded verbatim). */
  input: unknown;
  /**
   * The run's time limit, ms, counted from when the harness starts it: a run frame may arrive
   * while an earlier run is still in progress (runs queued back to back), and then waits for it.
   * The host's own kill timer starts when it receives the earlier run's answer.
   */
  timeoutMs: number;
  /** ctx.signal aborts this many ms before the deadline. */
  signalLeadMs: number;
  /** Largest accepted JSON result, bytes. */
  resultBytes: number;
  /** Largest captured log output, bytes. */
  logBytes: number;
  /**
   * Present when the function is granted egress: ctx.fetch exists for this run. `maxInFlight`
   * requests may wait for their answers at once; the harness queues more and sends each once
   * one of those settles (the host treats a fetch frame beyond them as a protocol violation).
   */
  egress?: { requestBytes: number; maxInFlight: number };
  /** Present only on job runs: ctx.checkpoint exists for this run. */
  job?: {
    /** Largest state ctx.checkpoint.save accepts, bytes of JSON. */
    checkpointBytes: number;
    /** The last saved state; absent when the job has none yet. */
    checkpoint?: unknown;
  };
  /** Present only on job runs: ctx.job exists for this run, with these values. */
  jobInfo?: JobInfo;
}

export interface FetchedOkFrame {
  t: 'fetched';
  rid: number;
  ok: true;
  status: number;
  statusText: string;
  /** Final URL after redirects. */
  url: string;
  /** True when at least one redirect was followed (Response.redirected). */
  redirected: boolean;
  headers: [string, string][];
  /** Response body, base64. */
  body: string;
}

export interface FetchedErrorFrame {
  t: 'fetched';
  rid: number;
  ok: false;
  /** EGRESS_DENIED, EGRESS_LIMIT or EGRESS_FAILED. */
  code: string;
  message: string;
}

export type FetchedFrame = FetchedOkFrame | FetchedErrorFrame;

/** The answer to one `checkpoint` frame: stored durably (ok) or refused. */
export type CheckpointedFrame =
  | { t: 'checkpointed'; rid: number; ok: true; /** Epoch ms the host stored it. */ at: number }
  | { t: 'checkpointed'; rid: number; ok: false; /** LEASE_LOST, CHECKPOINT_TOO_LARGE or CHECKPOINT_FAILED. */ code: string; message: string };

/**
 * The host takes back a run it queued: if it has not started, the harness drops it and answers
 * `cancelled`; if it has, the frame is ignored and the run answers `done` as usual.
 */
export interface CancelFrame {
  t: 'cancel';
  /** The execution id of the queued run. */
  id: string;
}

export type HostToSandboxFrame = HelloFrame | RunFrame | FetchedFrame | CheckpointedFrame | CancelFrame;
