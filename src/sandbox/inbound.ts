// Validation of frames received from a sandbox. Everything the sandbox sends is hostile: bodies
// are parsed with secure-json-parse (prototype keys dropped), every field is type-checked by
// hand, and anything unexpected becomes a reason string that the channel turns into a
// SandboxProtocolError. (Result depth is measured with core/json.ts exceedsDepth.)
import type { ExecutionError } from '../core/types.js';
import type { DoneFrame, HarnessLogEntry, HarnessLogLevel, LogsSkipped, SandboxToHostFrame } from '../runtime/protocol.js';
import type { Parsed } from './frames.js';
import { parseFetch, parseFetchAbort } from './inbound-fetch.js';
import { parseCheckpoint } from './checkpoint-relay.js';
import { isRecord } from '../core/json.js';
import { parseUntrustedJson } from '../core/json-text.js';

const LEVELS: ReadonlySet<string> = new Set<HarnessLogLevel>(['debug', 'info', 'warn', 'error', 'stdout', 'stderr']);
const MAX_ERROR_TYPE = 200;
const MAX_ERROR_MESSAGE = 8 * 1024;
const MAX_ERROR_STACK = 16 * 1024;

function fail<T>(reason: string): Parsed<T> {
  return { ok: false, reason };
}

function hasOnly(obj: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(obj).every((k) => keys.includes(k));
}

/** Parses one frame body and checks its shape; `id` is the execution in flight, if any. */
export function parseFrame(body: Buffer): Parsed<SandboxToHostFrame> {
  let value: unknown;
  try {
    value = parseUntrustedJson(body.toString('utf8'));
  } catch (err) {
    return fail(`malformed JSON (${err instanceof Error ? err.message : 'parse error'})`);
  }
  return checkFrame(value);
}

/** Checks the shape of a frame already parsed (here, or by the parser thread: core/json-thread/sandbox-frame.ts). */
export function checkFrame(value: unknown): Parsed<SandboxToHostFrame> {
  if (!isRecord(value)) return fail('frame is not a JSON object');
  if (value.t === 'ready') {
    return hasOnly(value, ['t']) ? { ok: true, value: { t: 'ready' } } : fail('ready frame has extra fields');
  }
  if (value.t === 'done') return parseDone(value);
  if (value.t === 'logs') {
    if (typeof value.id !== 'string' || !hasOnly(value, ['t', 'id', 'logs', 'skipped'])) return fail('logs frame needs only a string id, logs and skipped');
    const logs = parseLogEntries(value.logs);
    if (logs === undefined) return fail('logs frame has a malformed log entry');
    if (value.skipped === undefined) return { ok: true, value: { t: 'logs', id: value.id, logs } };
    const skipped = parseSkipped(value.skipped);
    return skipped === undefined ? fail('logs frame has a malformed skipped count') : { ok: true, value: { t: 'logs', id: value.id, logs, skipped } };
  }
  if (value.t === 'cancelled') {
    return typeof value.id === 'string' && hasOnly(value, ['t', 'id'])
      ? { ok: true, value: { t: 'cancelled', id: value.id } }
      : fail('cancelled frame needs only a string id');
  }
  if (value.t === 'fetch') return parseFetch(value);
  if (value.t === 'fetch-abort') return parseFetchAbort(value);
  if (value.t === 'checkpoint') return parseCheckpoint(value);
  return fail(`unknown frame type ${JSON.stringify(String(value.t)).slice(0, 40)}`);
}

/** The entries of a `logs` array, or undefined when it is not one or any entry is malformed. */
function parseLogEntries(value: unknown): HarnessLogEntry[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const logs: HarnessLogEntry[] = [];
  for (const entry of value as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || !LEVELS.has(entry[0]) || typeof entry[1] !== 'string') {
      return undefined;
    }
    logs.push([entry[0] as HarnessLogLevel, entry[1]]);
  }
  return logs;
}

/** A `skipped` pair (lines, bytes): two non-negative safe integers, or undefined. */
function parseSkipped(value: unknown): LogsSkipped | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [lines, bytes] = value as unknown[];
  const count = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  return count(lines) && count(bytes) ? [lines, bytes] : undefined;
}

function parseDone(v: Record<string, unknown>): Parsed<DoneFrame> {
  if (typeof v.id !== 'string') return fail('done frame without a string id');
  if (typeof v.logsTruncated !== 'boolean') return fail('done frame without boolean logsTruncated');
  if (!Array.isArray(v.logs)) return fail('done frame without a logs array');
  const logs = parseLogEntries(v.logs);
  if (logs === undefined) return fail('done frame has a malformed log entry');
  const skipped = v.skipped === undefined ? undefined : parseSkipped(v.skipped);
  if (v.skipped !== undefined && skipped === undefined) return fail('done frame has a malformed skipped count');
  const more = skipped === undefined ? {} : { skipped };
  if (v.ok === true) {
    if (!hasOnly(v, ['t', 'id', 'ok', 'result', 'logs', 'logsTruncated', 'skipped'])) return fail('done frame has extra fields');
    const frame: DoneFrame = { t: 'done', id: v.id, ok: true, logs, logsTruncated: v.logsTruncated, ...more };
    if (Object.hasOwn(v, 'result')) frame.result = v.result;
    return { ok: true, value: frame };
  }
  if (v.ok === false) {
    if (!hasOnly(v, ['t', 'id', 'ok', 'error', 'logs', 'logsTruncated', 'skipped'])) return fail('done frame has extra fields');
    const e = v.error;
    if (!isRecord(e) || typeof e.type !== 'string' || typeof e.message !== 'string') {
      return fail('done frame has a malformed error');
    }
    if (e.stack !== undefined && typeof e.stack !== 'string') return fail('done frame has a malformed error stack');
    const error = { type: e.type, message: e.message, ...(typeof e.stack === 'string' ? { stack: e.stack } : {}) };
    return { ok: true, value: { t: 'done', id: v.id, ok: false, error, logs, logsTruncated: v.logsTruncated, ...more } };
  }
  return fail('done frame without boolean ok');
}

/** Clips a tenant-reported error to bounded sizes; `escape` neutralizes control characters. */
export function boundedError(error: ExecutionError, escape: (s: string) => string): ExecutionError {
  const clip = (s: string, max: number) => escape(s.length > max ? s.slice(0, max) + '…' : s);
  const out: ExecutionError = { type: clip(error.type, MAX_ERROR_TYPE), message: clip(error.message, MAX_ERROR_MESSAGE) };
  if (error.stack !== undefined) out.stack = clip(error.stack, MAX_ERROR_STACK);
  return out;
}

