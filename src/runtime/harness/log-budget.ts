// What the harness keeps of one run's logs under its logBytes (the host keeps them the same way
// and is the one that enforces it: src/sandbox/logs.ts). Every entry costs its JSON text plus
// LOG_ENTRY_OVERHEAD. The first entries are kept while they fit in half the budget and go to the
// host as they are written; from the first that does not, the rest of the budget is a rolling
// window of the newest entries: entries not sent yet that no longer fit in it are left out whole
// (oldest first) and counted, and the next frame sent says how many (`skipped`). An entry longer
// than the whole window is cut to it and ends with "…". Harness code: no method a tenant could
// replace (Array.prototype, Math) is called here.
import type { HarnessLogEntry, HarnessLogLevel } from '../protocol.js';
import { frameJson } from './frame-json.js';
import { byteLength, jsonStringify } from './primordials.js';

/** Per-entry framing overhead counted against the log budget (["level",...],). */
const LOG_ENTRY_OVERHEAD = 12;

/** Ends a line cut at the log budget, so a reader sees it was cut (the host cuts the same way). */
const CUT_MARK = '…';

export interface KeptLogs {
  /** The run's logBytes. */
  cap: number;
  /** Entries not sent yet, from index `first` (slots before it were left out). */
  entries: (HarnessLogEntry | undefined)[];
  costs: number[];
  first: number;
  /** Bytes of the first entries, then (once `tailing`) of the entries not sent yet. */
  bytes: number;
  /** An entry did not fit in the first half: later ones go to the rolling window. */
  tailing: boolean;
  /** The rolling window's budget: logBytes less what the first entries took. */
  window: number;
  /** Entries left out since the last frame, and the bytes of their text. */
  skippedLines: number;
  skippedBytes: number;
  /** Anything was cut or left out. */
  truncated: boolean;
  /** `logs` frames sent for the run. */
  frames: number;
}

export function newKeptLogs(cap: number): KeptLogs {
  return { cap, entries: [], costs: [], first: 0, bytes: 0, tailing: false, window: 0, skippedLines: 0, skippedBytes: 0, truncated: false, frames: 0 };
}

/**
 * Keeps one entry. When it is the first that does not fit in the first half, `sendFirst` is
 * called before it is kept: the first entries not sent yet go then, so the window never leaves
 * them out (any still unsent after it are only counted in the window).
 */
export function keep(logs: KeptLogs, level: HarnessLogLevel, msg: string, sendFirst: () => void): void {
  let text = msg;
  let cost = byteLength(jsonStringify(text), 'utf8') + LOG_ENTRY_OVERHEAD;
  if (!logs.tailing) {
    const half = (logs.cap - (logs.cap % 2)) / 2;
    if (logs.bytes + cost <= half) return append(logs, [level, text], cost);
    logs.tailing = true;
    logs.window = logs.cap - logs.bytes;
    if (unsent(logs) > 0) sendFirst();
    logs.bytes = 0;
    for (let i = logs.first; i < logs.entries.length; i++) logs.bytes += logs.costs[i]!;
  }
  if (cost > logs.window) {
    const whole = byteLength(text, 'utf8');
    text = cutToFit(text, logs.window - LOG_ENTRY_OVERHEAD);
    while (logs.first < logs.entries.length) leaveOutOldest(logs);
    logs.truncated = true;
    if (text === '') {
      logs.skippedLines += 1;
      logs.skippedBytes += whole;
      return;
    }
    cost = byteLength(jsonStringify(text), 'utf8') + LOG_ENTRY_OVERHEAD;
  }
  while (logs.bytes + cost > logs.window && logs.first < logs.entries.length) leaveOutOldest(logs);
  append(logs, [level, text], cost);
}

/** Entries not sent yet. */
export function unsent(logs: KeptLogs): number {
  return logs.entries.length - logs.first;
}

/**
 * Most `logs` frames the host accepts for a run of this logBytes (maxLogsFrames in
 * src/sandbox/execution.ts: keep the two the same).
 */
function maxLogsFrames(cap: number): number {
  const c = cap > 0 ? cap : 0;
  return (c - (c % LOG_ENTRY_OVERHEAD)) / LOG_ENTRY_OVERHEAD + 16;
}

/**
 * Whether a `logs` frame may go now: always for the first entries (each costs at least
 * LOG_ENTRY_OVERHEAD of half the budget), and for the window's while the run has frames left,
 * less one for the frame a process.exit sends; past that, they go with the answer.
 */
export function maySend(logs: KeptLogs, atExit: boolean): boolean {
  return !logs.tailing || logs.frames + (atExit ? 0 : 1) < maxLogsFrames(logs.cap);
}

/**
 * The `"logs":[…]` member of a frame (and `"skipped":[lines,bytes]` when entries were left out
 * before them), taking the entries not sent yet: they are in this frame from now on.
 */
export function takeLogsJson(logs: KeptLogs): string {
  const out: HarnessLogEntry[] = [];
  for (let i = logs.first; i < logs.entries.length; i++) out[out.length] = logs.entries[i]!;
  const skipped = logs.skippedLines > 0 ? `,"skipped":[${logs.skippedLines},${logs.skippedBytes}]` : '';
  logs.entries = [];
  logs.costs = [];
  logs.first = 0;
  if (logs.tailing) logs.bytes = 0;
  logs.skippedLines = 0;
  logs.skippedBytes = 0;
  return `"logs":${frameJson(out)}${skipped}`;
}

function append(logs: KeptLogs, entry: HarnessLogEntry, cost: number): void {
  logs.entries[logs.entries.length] = entry;
  logs.costs[logs.costs.length] = cost;
  logs.bytes += cost;
}

function leaveOutOldest(logs: KeptLogs): void {
  const entry = logs.entries[logs.first]!;
  logs.skippedLines += 1;
  logs.skippedBytes += byteLength(entry[1], 'utf8');
  logs.bytes -= logs.costs[logs.first]!;
  logs.entries[logs.first] = undefined;
  logs.first += 1;
  logs.truncated = true;
  // A run logging in a tight loop between two frames: keep only the slots still in use.
  if (logs.first > 1024 && logs.first * 2 > logs.entries.length) {
    const entries: (HarnessLogEntry | undefined)[] = [];
    const costs: number[] = [];
    for (let i = logs.first; i < logs.entries.length; i++) {
      entries[entries.length] = logs.entries[i];
      costs[costs.length] = logs.costs[i]!;
    }
    logs.entries = entries;
    logs.costs = costs;
    logs.first = 0;
  }
}

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
