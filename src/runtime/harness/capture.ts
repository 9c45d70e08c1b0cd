// Log capture of the run in progress: what its code writes (console, stdout/stderr, ctx.log;
// see console.ts) becomes [level, text] entries kept under the run's logBytes (its first lines and
// its newest: log-budget.ts), sent on a `logs` frame at most LOG_FLUSH_MS after they were written
// (TAIL_FLUSH_MS once over half the budget; a run that blocks its event loop sends them as it
// writes its next line once that time is past) and otherwise with the run's answer. Work a finished run
// left behind (timers, intervals, pending promises) still carries that run's capture in its async
// context: its output and errors are dropped, never charged to the run in progress.
import type { HarnessLogLevel } from '../protocol.js';
import { channelBusy, send, sendSync } from './channel.js';
import { keep, maySend, takeLogsJson, unsent } from './log-budget.js';
import type { KeptLogs } from './log-budget.js';
import { AsyncLocalStorage, clearTimer, jsonStringify, now, setTimer } from './primordials.js';
import { tidyLogText } from './stack-text.js';

/**
 * Log lines of a run still in progress go to the host at most this long after they were written
 * (a `logs` frame), so a run the host then stops (its deadline, a crash) keeps them, and their
 * times are close to when they were written. Quick runs send theirs with the answer alone.
 */
const LOG_FLUSH_MS = 50;
/**
 * The newest lines of a run over half its logBytes go at most this often: the host bounds the
 * frames of a run (log-budget.ts maySend), and a job logging for minutes should not spend them
 * all in its first ones.
 */
const TAIL_FLUSH_MS = 1000;

export interface Capture {
  id: string;
  /** The warm-up run's answer is built like any other, then dropped instead of sent. */
  discard: boolean;
  /** What is kept of the run's logs, and not sent yet (log-budget.ts). */
  logs: KeptLogs;
  /** The run was granted egress (fetch is withdrawn when it answers). */
  egress: boolean;
  /** A job run (ctx.checkpoint is withdrawn when it answers). */
  job: boolean;
  /** Armed by the first entry not yet sent (see LOG_FLUSH_MS). */
  flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** When flushTimer is due, epoch ms: a line written after that, with the timer still armed, flushes. */
  flushDueAt: number;
  /** console.group levels open in this run (console.ts). */
  groupDepth: number;
}

let current: Capture | null = null;

// The run whose code is executing (see the header). Code with no run context (none should exist)
// counts as current.
const runContext = new AsyncLocalStorage<Capture>();

/** The capture of the run in progress (null between runs). */
export function currentCapture(): Capture | null {
  return current;
}

/** Makes `capture` the run in progress: from now on the harness records into it. */
export function beginCapture(capture: Capture): void {
  current = capture;
}

/** Ends the run in progress if it is `capture`; false if it had ended already. */
export function endCapture(capture: Capture): boolean {
  if (current !== capture) return false;
  current = null;
  if (capture.flushTimer !== undefined) clearTimer(capture.flushTimer);
  return true;
}

/** Runs `fn` (a run's whole code path) in the async context of `capture`. */
export function runWithCapture<T>(capture: Capture, fn: () => T): T {
  return runContext.run(capture, fn);
}

/** True when the code running now belongs to the run of `cap` (or to no run at all). */
export function ownedBy(cap: Capture): boolean {
  const owner = runContext.getStore();
  return owner === undefined || owner === cap;
}

export function record(level: HarnessLogLevel, msg: string): void {
  const cap = current;
  if (cap === null || !ownedBy(cap)) return; // outside a run, or stale: dropped
  keep(cap.logs, level, tidyLogText(msg), () => {
    if (!cap.discard) sendLogs(cap);
  });
  if (cap.flushTimer !== undefined && now() >= cap.flushDueAt) {
    // The timer is overdue: the run's code holds the event loop (a busy loop), and the host may
    // stop it at its deadline at any moment. Its lines go now (a socket write needs no loop turn).
    clearTimer(cap.flushTimer);
    flushLogs(cap);
  }
  if (cap.flushTimer === undefined && !cap.discard && unsent(cap.logs) > 0 && maySend(cap.logs, false)) {
    const after = cap.logs.tailing ? TAIL_FLUSH_MS : LOG_FLUSH_MS;
    cap.flushDueAt = now() + after;
    cap.flushTimer = setTimer(flushLogs, after, cap);
  }
}

/** Sends the entries a run in progress has written so far (they leave its done frame). */
function flushLogs(cap: Capture): void {
  cap.flushTimer = undefined;
  if (current !== cap || unsent(cap.logs) === 0 || !maySend(cap.logs, false)) return;
  sendLogs(cap);
}

function sendLogs(cap: Capture): void {
  cap.logs.frames += 1;
  send(logsFrame(cap));
}

function logsFrame(cap: Capture): string {
  return `{"t":"logs","id":${jsonStringify(cap.id)},${takeLogsJson(cap.logs)}}`;
}

/**
 * For process 'exit': a run that ends the process (process.exit) still hands over what it
 * logged, written at once, unless earlier frames are still queued on the channel (they would be
 * overtaken).
 */
export function sendLogsAtExit(): void {
  const cap = current;
  if (cap === null || cap.discard || unsent(cap.logs) === 0 || channelBusy() || !maySend(cap.logs, true)) return;
  cap.logs.frames += 1;
  sendSync(logsFrame(cap));
}
