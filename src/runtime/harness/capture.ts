// Log capture of the run in progress: what its code writes (console, stdout/stderr, ctx.log;
// see console.ts) becomes capped [level, text] entries, sent on a `logs` frame at most
// LOG_FLUSH_MS after they were written and otherwise with the run's answer. Work a finished run
// left behind (timers, intervals, pending promises) still carries that run's capture in its async
// context: its output and errors are dropped, never charged to the run in progress.
import type { HarnessLogEntry, HarnessLogLevel } from '../protocol.js';
import { channelBusy, send, sendSync } from './channel.js';
import { AsyncLocalStorage, byteLength, clearTimer, jsonStringify, setTimer } from './primordials.js';
import { tidyLogText } from './stack-text.js';

/** Per-entry framing overhead counted against the log budget (["level",...],). */
const LOG_ENTRY_OVERHEAD = 12;
/**
 * Log lines of a run still in progress go to the host at most this long after they were written
 * (a `logs` frame), so a run the host then stops (its deadline, a crash) keeps them, and their
 * times are close to when they were written. Quick runs send theirs with the answer alone.
 */
const LOG_FLUSH_MS = 50;

export interface Capture {
  id: string;
  /** The warm-up run's answer is built like any other, then dropped instead of sent. */
  discard: boolean;
  entries: HarnessLogEntry[];
  bytes: number;
  cap: number;
  truncated: boolean;
  /** The run was granted egress (fetch is withdrawn when it answers). */
  egress: boolean;
  /** A job run (ctx.checkpoint is withdrawn when it answers). */
  job: boolean;
  /** Armed by the first entry not yet sent (see LOG_FLUSH_MS). */
  flushTimer: ReturnType<typeof setTimeout> | undefined;
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
  if (cap === null || cap.truncated || !ownedBy(cap)) return; // outside a run, full, or stale: dropped
  let text = tidyLogText(msg);
  let cost = byteLength(jsonStringify(text), 'utf8') + LOG_ENTRY_OVERHEAD;
  if (cap.bytes + cost > cap.cap) {
    // Keep the prefix that still fits, marked as cut, then stop capturing for this run.
    cap.truncated = true;
    text = cutToFit(text, cap.cap - cap.bytes - LOG_ENTRY_OVERHEAD);
    if (text === '') return;
    cost = byteLength(jsonStringify(text), 'utf8') + LOG_ENTRY_OVERHEAD;
  }
  cap.entries[cap.entries.length] = [level, text];
  cap.bytes += cost;
  if (cap.flushTimer === undefined && !cap.discard) cap.flushTimer = setTimer(flushLogs, LOG_FLUSH_MS, cap);
}

/** Ends a line cut at the log budget, so a reader sees it was cut (the host cuts the same way). */
const CUT_MARK = '…';

/**
 * The longest prefix of `text` that, with CUT_MARK after it, is at most `room` bytes of JSON
 * text; '' when not even one character fits. Never splits a surrogate pair.
 */
function cutToFit(text: string, room: number): string {
  const fits = (n: number) => byteLength(jsonStringify(text.slice(0, n) + CUT_MARK), 'utf8') <= room;
  // Integer arithmetic only: Math is tenant code's to replace, and this loop must end.
  let low = 0; // fits (or is the empty prefix)
  let high = text.length < room ? text.length : room; // each character is at least one byte of JSON
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  let n = low;
  const last = text.charCodeAt(n - 1);
  if (n > 0 && last >= 0xd800 && last <= 0xdbff) n--; // a high surrogate without its pair
  return n === 0 ? '' : text.slice(0, n) + CUT_MARK;
}

/** Sends the entries a run in progress has written so far (they leave its done frame). */
function flushLogs(cap: Capture): void {
  cap.flushTimer = undefined;
  if (current !== cap || cap.entries.length === 0) return;
  send(logsFrame(cap));
  cap.entries = [];
}

function logsFrame(cap: Capture): string {
  return `{"t":"logs","id":${jsonStringify(cap.id)},"logs":${jsonStringify(cap.entries)}}`;
}

/**
 * For process 'exit': a run that ends the process (process.exit) still hands over what it
 * logged, written at once, unless earlier frames are still queued on the channel (they would be
 * overtaken).
 */
export function sendLogsAtExit(): void {
  const cap = current;
  if (cap === null || cap.discard || cap.entries.length === 0 || channelBusy()) return;
  sendSync(logsFrame(cap));
}
