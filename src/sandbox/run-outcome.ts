// How a channel sandbox reports the end of an execution as a SandboxRunOutcome: a done frame's
// answer with its result checked (depth, then size: a harness that breaks the size limit is not
// trusted any more), and the errors for a missed deadline, an invalid frame and an exit mid-run.
import { exceedsDepth } from '../core/json.js';
import type { CheckedResultText } from '../core/json-thread/sandbox-frame.js';
import type { ExecutionError } from '../core/types.js';
import type { DoneFrame } from '../runtime/protocol.js';
import { boundedError } from './inbound.js';
import { escapeLogText } from './logs.js';
import type { SandboxRunOutcome, SandboxRunRequest } from './port.js';

export const DEFAULT_MAX_RESULT_DEPTH = 256;
/** Upper bound of (canonical JSON length / received JSON length) for any JSON value. */
const MAX_JSON_EXPANSION = 6;

// How to raise each limit, in the words of the API and of the CLI, as the logs truncation line says it.
const RAISE_TIMEOUT = 'raise limits.timeoutMs when deploying the function (airlock deploy --timeout-ms N; up to the operator maximum)';
const RAISE_MEMORY = 'raise limits.memoryMiB when deploying the function (airlock deploy --memory-mib N; up to the operator maximum)';
const RAISE_RESULT_BYTES = 'raise limits.resultBytes when deploying the function (airlock deploy --result-bytes N; up to the operator maximum)';

/** The outcome of a run that never started (sandbox gone or busy): not reusable unless overridden. */
export function outcomeNow(status: SandboxRunOutcome['status'], error: ExecutionError): SandboxRunOutcome {
  return { status, error, logs: [], durationMs: 0, reusable: false };
}

/**
 * The outcome a done frame reports; `logs` is left empty for the caller to fill. `checked` is the
 * result as the parser thread read it (a large frame: sandbox/frame-reads.ts), whose frame then
 * came without its result.
 */
export function doneOutcome(
  req: SandboxRunRequest, frame: DoneFrame, durationMs: number, frameBytes: number, checked?: CheckedResultText,
): SandboxRunOutcome {
  if (!frame.ok) {
    return { status: 'failed', error: boundedError(frame.error, escapeLogText), logs: [], durationMs, reusable: true };
  }
  if (checked !== undefined) return checkResult(req, checked.tooDeep, () => checked.json, undefined, durationMs, frameBytes, checked.bytes);
  if (frame.result === undefined) return { status: 'succeeded', logs: [], durationMs, reusable: true };
  const result = frame.result;
  const maxDepth = req.maxResultDepth ?? DEFAULT_MAX_RESULT_DEPTH;
  return checkResult(req, exceedsDepth(result, maxDepth), () => JSON.stringify(result), result, durationMs, frameBytes);
}

/**
 * The depth verdict, then the size of `json()` (the result serialized; `jsonBytes`, its UTF-8
 * size, when measured already); `value` is the result, if parsed here.
 */
function checkResult(
  req: SandboxRunRequest, tooDeep: boolean, json: () => string, value: unknown, durationMs: number, frameBytes: number, jsonBytes?: number,
): SandboxRunOutcome {
  if (tooDeep) {
    const maxDepth = req.maxResultDepth ?? DEFAULT_MAX_RESULT_DEPTH;
    const error = { type: 'ResultTooDeep', message: `the result nests deeper than ${maxDepth} levels; return a flatter structure` };
    return { status: 'failed', error, logs: [], durationMs, reusable: true };
  }
  // The record and the answer carry this text: the result is serialized once, here (or on the
  // parser thread).
  const resultJson = json();
  // Re-serializing can lengthen JSON only through number tokens ("9e20" is 21 digits: x5.25),
  // so a frame under a sixth of the limit cannot carry an oversized result; measure the rest.
  const size = frameBytes * MAX_JSON_EXPANSION <= req.resultBytes ? frameBytes : (jsonBytes ?? Buffer.byteLength(resultJson, 'utf8'));
  if (size > req.resultBytes) {
    // An honest harness never sends this: the sandbox is not trusted any more.
    const error = {
      type: 'ResultTooLarge',
      message:
        `the result is ${size} bytes of JSON, above the limit of ${req.resultBytes} bytes; return less data ` +
        `or ${RAISE_RESULT_BYTES}`,
    };
    return { status: 'failed', error, logs: [], durationMs, reusable: false };
  }
  const outcome: SandboxRunOutcome = { status: 'succeeded', resultJson, logs: [], durationMs, reusable: true };
  if (value !== undefined) outcome.result = value;
  else withLazyResult(outcome, resultJson);
  return outcome;
}

/**
 * Gives `outcome` a `result` parsed from `json` on first read: the record and the answer need only
 * the text, so a result read on the parser thread is parsed on the event loop only if something
 * needs the value (secret masking, a job's stored result, a small answer's serializer).
 */
function withLazyResult(outcome: SandboxRunOutcome, json: string): void {
  let value: unknown;
  let parsed = false;
  Object.defineProperty(outcome, 'result', {
    enumerable: true,
    configurable: true,
    get: () => {
      if (!parsed) {
        value = JSON.parse(json) as unknown;
        parsed = true;
      }
      return value;
    },
    set: (next: unknown) => {
      value = next;
      parsed = true;
    },
  });
}

/**
 * Copies `result` and `resultJson` from an outcome onto a record or an answer without reading
 * `result`: a result the parser thread read stays unparsed until something reads it (the record's
 * insert and a large answer take the text).
 */
export function carryResult(from: SandboxRunOutcome, to: { result?: unknown; resultJson?: string }): void {
  const result = Object.getOwnPropertyDescriptor(from, 'result');
  if (result !== undefined && (result.get !== undefined || result.value !== undefined)) Object.defineProperty(to, 'result', result);
  if (from.resultJson !== undefined) to.resultJson = from.resultJson;
}

/** Memory use of a sandbox whose run timed out (its cgroup's figures). */
export interface MemoryAtTimeout {
  peakBytes: number;
  ceilingBytes: number;
  /** The function's limit (limits.memoryMiB). */
  memoryMiB: number;
}

/** Share of its memory ceiling above which a timed-out sandbox is said to have been short of memory. */
export const NEAR_CEILING = 0.85;

export function timeoutError(timeoutMs: number, memory?: MemoryAtTimeout, timeoutName = 'limits.timeoutMs'): ExecutionError {
  const base = `the function did not finish within ${timeoutMs} ms (${timeoutName})`;
  if (memory !== undefined && memory.peakBytes >= memory.ceilingBytes * NEAR_CEILING) {
    // Near its limit, V8 collects garbage over and over: the run looks slow, the cause is memory.
    const mib = (bytes: number): number => Math.round(bytes / (1024 * 1024));
    return {
      type: 'Timeout',
      message:
        `${base}, while its sandbox was near its memory ceiling (peak ${mib(memory.peakBytes)} of ${mib(memory.ceilingBytes)} MiB, ` +
        `for limits.memoryMiB ${memory.memoryMiB}): a function short of memory spends its time collecting garbage; ` +
        `use less memory or ${RAISE_MEMORY}, else make it faster, watch ctx.signal, or ${RAISE_TIMEOUT}`,
    };
  }
  return { type: 'Timeout', message: `${base}; make it faster, watch ctx.signal, or ${RAISE_TIMEOUT}` };
}

export function invalidFrameError(reason: string): ExecutionError {
  return { type: 'SandboxProtocolError', message: `the sandbox sent an invalid frame (${reason}) and was destroyed` };
}

/** What tells whether a sandbox process that exited mid-run ran out of memory. */
export interface OomEvidence {
  /** The kernel's OOM kill counter (a cgroup's); undefined without a cgroup probe. */
  kernelOomKill: boolean | undefined;
  /** V8's fatal out-of-memory message appeared on raw stderr (the tenant can print it too). */
  v8Reported: boolean;
  /** The most memory the kernel saw the sandbox's cgroup use, bytes; undefined if not accounted. */
  peakBytes: number | undefined;
  /** The V8 heap limit, MiB. */
  memoryMiB: number;
}

/**
 * With a cgroup probe the kernel decides: its OOM kill counter, or V8's fatal message if the
 * kernel also saw the group use at least the whole heap (V8 can stop at its heap limit before
 * the group reaches its ceiling, e.g. for large arrays; the text alone is the tenant's to forge,
 * memory use is not). Without a probe (the process isolator), V8's message decides.
 */
export function ranOutOfMemory(e: OomEvidence): boolean {
  if (e.kernelOomKill === undefined) return e.v8Reported;
  if (e.kernelOomKill) return true;
  return e.v8Reported && e.peakBytes !== undefined && e.peakBytes >= e.memoryMiB * 1024 * 1024;
}

/** What is known once the sandbox process exited during an execution. */
export interface ExitFacts {
  /** Out of memory: the kernel's OOM counter when the isolator has one, else V8's message. */
  oom: boolean;
  /** The host asked for the sandbox to be destroyed (shutdown). */
  destroyRequested: boolean;
  memoryMiB: number;
  exitCode: number | null;
  signalCode: string | null;
}

/** The exit status of a sandbox whose namespace was SIGKILLed: bwrap exits 128 + 9 for its child. */
const KILLED_STATUS = 128 + 9;

/**
 * Whether the process ended the way the host's kill ends it (a signal, or bwrap's 137). A process
 * that exited with its own status (process.exit(3)) ended by itself, even if a destroy was
 * requested meanwhile (e.g. its cgroup move failed because it had already gone).
 */
function killedByHost(facts: ExitFacts): boolean {
  return facts.signalCode !== null || facts.exitCode === KILLED_STATUS;
}

/**
 * Said after an exit the host did not cause: the usual reason is the function's own
 * process.exit(), which ends the sandbox, not just the call.
 */
const OWN_EXIT_HINT =
  'a function must not end its process (process.exit(), process.abort(), process.kill(process.pid)): ' +
  'return its result, or throw an Error to fail the call; if it does neither, a child process or native code it ran may have crashed it';

/** How an execution ends when its sandbox process exited under it. */
export function exitFailure(facts: ExitFacts): { status: 'oom' | 'killed'; error: ExecutionError } {
  if (facts.oom) {
    return {
      status: 'oom',
      error: {
        type: 'OutOfMemory',
        message: `the function ran out of memory (limit ${facts.memoryMiB} MiB, limits.memoryMiB); use less memory or ${RAISE_MEMORY}`,
      },
    };
  }
  const error = facts.destroyRequested && killedByHost(facts)
    ? {
        type: 'SandboxDestroyed',
        message: 'the host stopped the sandbox during the execution: the server is shutting down (retry the call), or the tenant was deleted',
      }
    : {
        type: 'SandboxExited',
        message: `the sandbox process exited during the execution (${facts.signalCode ? `signal ${facts.signalCode}` : `exit code ${facts.exitCode}`}); ${OWN_EXIT_HINT}`,
      };
  return { status: 'killed', error };
}
