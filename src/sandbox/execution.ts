// One execution in flight on a channel sandbox: its record (request, log collector, deadline
// timer, relays, the caller's resolve), the frames of its run (`logs` counted against what its log
// budget allows, `fetch`, `fetch-abort` and `checkpoint` routed to its relays, its `done` answer
// settling it and turning into its outcome), and the scan of its raw stderr for V8's
// out-of-memory message.
import type { CheckedResultText } from '../core/json-thread/parser.js';
import type { CheckpointFrame, DoneFrame, FetchAbortFrame, FetchFrame, HarnessLogEntry, LogsFrame, LogsSkipped } from '../runtime/protocol.js';
import { CheckpointRelay } from './checkpoint-relay.js';
import { EgressRelay } from './egress-relay.js';
import { LOG_LINE_OVERHEAD, LogCollector } from './logs.js';
import type { SandboxRunOutcome, SandboxRunRequest } from './port.js';
import { doneOutcome } from './run-outcome.js';

// V8's fatal message, e.g. "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap
// out of memory". A tenant can print this text itself, so it never decides alone where the kernel
// can tell: with a cgroup it counts only if the kernel also saw the group use the whole heap (see
// ChannelSandbox.onProcessGone). Never the exit code.
const V8_OOM = /JavaScript heap out of memory|Reached heap limit/;

/**
 * Most `logs` frames a run may send. The harness sends one only with at least one entry: while its
 * first lines fit in half of logBytes (every entry charged at least LOG_LINE_OVERHEAD bytes), and
 * after that, for the newest lines, at most one a second and never past this bound less one (the
 * harness computes it too: capture.ts), so an honest run stays under it; the slack covers the
 * frame a process.exit sends. Without a
 * bound, a sandbox writing tiny frames in a loop made the server parse half a million a second,
 * slowing every other tenant's calls (the log cap kept what it stored small, not the work).
 */
export function maxLogsFrames(logBytes: number): number {
  return Math.floor(Math.max(0, logBytes) / LOG_LINE_OVERHEAD) + 16;
}

export interface Execution {
  req: SandboxRunRequest;
  collector: LogCollector;
  startedAt: number;
  timer: NodeJS.Timeout;
  oomSeen: boolean;
  /** V8's out-of-memory message appeared on raw stderr (tenant-forgeable: a claim, not a verdict). */
  v8OomReported: boolean;
  stderrTail: string;
  /** `logs` frames received so far (at most maxLogsFrames(req.logBytes)). */
  logsFrames: number;
  /** An answer was decided (done frame, deadline, crash, protocol error). */
  settled: boolean;
  /** Raw fd 1/2 output still belongs to this execution. */
  collecting: boolean;
  /** ctx.fetch relay, when the run is granted egress. */
  relay: EgressRelay | undefined;
  /** ctx.checkpoint relay, on job runs. */
  checkpoints: CheckpointRelay | undefined;
  resolve: (outcome: SandboxRunOutcome) => void;
}

/**
 * The record of a run starting now: its deadline timer calls `onDeadline` after req.timeoutMs,
 * and its relays answer through `send` (one frame's JSON).
 */
export function startExecution(
  req: SandboxRunRequest,
  send: (json: string, flushed?: () => void) => void,
  onDeadline: () => void,
  resolve: (outcome: SandboxRunOutcome) => void,
): Execution {
  const collector = new LogCollector(req.logBytes);
  req.watch?.(() => collector.soFar());
  return {
    req,
    collector,
    startedAt: performance.now(),
    timer: setTimeout(onDeadline, req.timeoutMs),
    oomSeen: false,
    v8OomReported: false,
    stderrTail: '',
    logsFrames: 0,
    settled: false,
    collecting: true,
    relay: req.egress === undefined ? undefined : new EgressRelay(req.egress, send),
    checkpoints: req.checkpoint === undefined ? undefined : new CheckpointRelay(req.checkpoint, send),
    resolve,
  };
}

/**
 * Adds the lines of a `logs` or `done` frame: first the count of lines the harness left out
 * before them (it keeps a run's first and newest lines too), then the lines.
 */
export function addFrameLogs(exec: Execution, logs: HarnessLogEntry[], skipped: LogsSkipped | undefined, ts?: number): void {
  if (skipped !== undefined && skipped[0] > 0) exec.collector.leaveOut(skipped[0], skipped[1]);
  for (const [level, msg] of logs) exec.collector.add(level, msg, ts);
}

/** How long the run has been going, ms, to the microsecond (no float noise such as 1.4314100000010512). */
export function elapsedMs(exec: Execution, until = performance.now()): number {
  return Math.round(Math.max(0, until - exec.startedAt) * 1000) / 1000;
}

/** Looks for V8's OOM message in stderr, across chunk boundaries (the last 128 chars are kept). */
export function scanStderrForOom(exec: Execution, chunk: Buffer): void {
  if (exec.v8OomReported) return;
  const text = exec.stderrTail + chunk.toString('latin1');
  exec.v8OomReported = V8_OOM.test(text);
  exec.stderrTail = text.slice(-128);
}

/**
 * Takes a frame of the run in progress other than its answer: a `logs` frame's lines, or a relay
 * frame (relayFrame). Returns the protocol violation to report, or undefined.
 */
export function routeRunFrame(exec: Execution | null, frame: LogsFrame | FetchFrame | FetchAbortFrame | CheckpointFrame, frameBytes: number): string | undefined {
  if (frame.t !== 'logs') return relayFrame(exec, frame, frameBytes);
  if (exec === null || exec.settled || frame.id !== exec.req.executionId) return 'logs frame outside its run';
  if (++exec.logsFrames > maxLogsFrames(exec.req.logBytes)) return 'more logs frames than the log budget allows';
  addFrameLogs(exec, frame.logs, frame.skipped);
  return undefined;
}

/** The run's answer arrived at `arrivedAt`: its deadline and relays stop. Returns its duration, ms. */
export function settleAnswered(exec: Execution, arrivedAt: number): number {
  exec.settled = true;
  exec.relay?.close();
  exec.checkpoints?.close();
  clearTimeout(exec.timer);
  return elapsedMs(exec, arrivedAt);
}

/**
 * The outcome of an answered run, once the output it wrote before answering was read: the
 * answer's log lines (stamped `receivedAt`) after those, and no raw output taken after.
 */
export function answeredOutcome(exec: Execution, frame: DoneFrame, receivedAt: number, durationMs: number, frameBytes: number, checked?: CheckedResultText): SandboxRunOutcome {
  exec.collecting = false;
  addFrameLogs(exec, frame.logs, frame.skipped, receivedAt);
  if (frame.logsTruncated) exec.collector.markTruncated();
  const outcome = doneOutcome(exec.req, frame, durationMs, frameBytes, checked);
  outcome.logs = exec.collector.finish();
  return outcome;
}

/**
 * Hands a `fetch`, `fetch-abort` or `checkpoint` frame to the relay of the execution in flight
 * (`exec`, if any); returns the protocol violation to report, or undefined. A `fetch-abort` outside
 * a run granted egress or for another execution is a violation like a `fetch` frame there: the
 * harness withdraws a run's requests before it answers, so its aborts always precede its done
 * frame. (One naming a rid not in flight is not: see EgressRelay.abort.)
 */
export function relayFrame(exec: Execution | null, frame: FetchFrame | FetchAbortFrame | CheckpointFrame, frameBytes: number): string | undefined {
  if (frame.t === 'fetch' || frame.t === 'fetch-abort') {
    if (exec === null || exec.settled || exec.relay === undefined) return `${frame.t} frame outside a run granted egress`;
    if (frame.id !== exec.req.executionId) return `${frame.t} frame for another execution`;
    if (frame.t === 'fetch-abort') return exec.relay.abort(frame.rid);
    return exec.relay.handle(frame);
  }
  if (exec === null || exec.settled || exec.checkpoints === undefined) return 'checkpoint frame outside a job run';
  if (frame.id !== exec.req.executionId) return 'checkpoint frame for another execution';
  return exec.checkpoints.handle(frame, frameBytes);
}
