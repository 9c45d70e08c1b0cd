// The ways tenant code writes logs, all recorded into the run in progress (capture.ts): console's
// methods, writes to process.stdout and process.stderr (which never reach fd 1 and 2; a
// zero-length write adds no line), and ctx.log; raw writes to fd 1 and 2 block rather than fail. console behaves as Node's does where a tenant can
// tell: console.trace writes "Trace: …" and the stack of its caller (the function's own frames),
// console.dir takes util.inspect's options, and console.group indents what console writes after
// it by 2 spaces a level until console.groupEnd (per run: a run starts unindented). Nothing a
// tenant logs can break the harness: arguments that cannot be formatted become a note saying so.
import type { HarnessLogLevel } from '../protocol.js';
import { currentCapture, ownedBy, record } from './capture.js';
import type { Capture } from './capture.js';
import { safeMessage } from './errors.js';
import { bufferFrom, captureStackTrace, format, inspect, stringOf } from './primordials.js';
import { trimStack } from './stack-text.js';

/** Node's console.group indentation width. */
const GROUP_INDENT = 2;

function formatArgs(args: unknown[]): string {
  try {
    return format(...args);
  } catch (err) {
    return `[unformattable log arguments: ${safeMessage(err)}]`;
  }
}

/** The run in progress, when the calling code belongs to it (else null: its console.group is ignored). */
function ownRun(): Capture | null {
  const cap = currentCapture();
  return cap !== null && ownedBy(cap) ? cap : null;
}

function changeGroupDepth(by: number): void {
  const cap = ownRun();
  if (cap === null) return;
  const depth = cap.groupDepth + by;
  cap.groupDepth = depth > 0 ? depth : 0;
}

/** A console line, indented (every line of it) as console.group has it now, like Node's. */
function recordConsole(level: HarnessLogLevel, text: string): void {
  const depth = ownRun()?.groupDepth ?? 0;
  if (depth === 0) return record(level, text);
  const indent = ' '.repeat(depth * GROUP_INDENT);
  record(level, indent + (text.includes('\n') ? text.split('\n').join(`\n${indent}`) : text));
}

/**
 * console.trace's text, as Node writes it: "Trace: <message>" (or "Trace"), then the frames of
 * the code that called it, kept to the function's own modules as a thrown error's are.
 */
function traceText(args: unknown[], caller: (...args: unknown[]) => void): string {
  const message = formatArgs(args);
  const head = message === '' ? 'Trace' : `Trace: ${message}`;
  try {
    const site: { name: string; message: string; stack?: unknown } = { name: 'Trace', message };
    captureStackTrace(site, caller);
    // A tenant's Error.prepareStackTrace may make `stack` anything: then the message alone.
    return typeof site.stack === 'string' && site.stack.startsWith(head) ? trimStack(site.stack) : head;
  } catch {
    return head;
  }
}

function inspectForDir(obj: unknown, options: unknown): string {
  try {
    // As Node's console.dir: an object's custom inspect is not used unless the options ask for it.
    return inspect(obj, { customInspect: false, ...(options !== null && typeof options === 'object' ? options : {}) });
  } catch (err) {
    return `[uninspectable console.dir argument: ${safeMessage(err)}]`;
  }
}

/** Replaces console's methods and process.stdout/stderr.write with recorders (at boot). */
export function installConsole(): void {
  const levels: Record<string, HarnessLogLevel> = {
    log: 'info',
    info: 'info',
    // Node writes dirxml straight to stdout; it is console.log by another name.
    dirxml: 'info',
    debug: 'debug',
    warn: 'warn',
    error: 'error',
  };
  const target = console as unknown as Record<string, unknown>;
  for (const [method, level] of Object.entries(levels)) {
    target[method] = (...args: unknown[]) => recordConsole(level, formatArgs(args));
  }
  target.trace = function trace(...args: unknown[]): void {
    recordConsole('debug', traceText(args, trace));
  };
  target.dir = (obj: unknown, options?: unknown) => recordConsole('info', inspectForDir(obj, options));
  const group = (...label: unknown[]): void => {
    if (label.length > 0) recordConsole('info', formatArgs(label));
    changeGroupDepth(1);
  };
  target.group = group;
  target.groupCollapsed = group;
  target.groupEnd = () => changeGroupDepth(-1);
  const writer = (level: HarnessLogLevel) =>
    function write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
      const text =
        typeof chunk === 'string'
          ? chunk
          : chunk instanceof Uint8Array
            ? bufferFrom(chunk).toString('utf8')
            : stringOf(chunk);
      // A zero-length write (execSync hands the child's empty stderr to process.stderr.write)
      // is no line; a write of '\n' alone is a blank line and is kept.
      if (text !== '') record(level, text.endsWith('\n') ? text.slice(0, -1) : text);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    };
  (process.stdout as unknown as { write: unknown }).write = writer('stdout');
  (process.stderr as unknown as { write: unknown }).write = writer('stderr');
  blockingRawOutput();
}

/**
 * Raw writes to fd 1 and 2 (fs.writeSync, a child process's inherited output) wait for room, as
 * on a pipe: creating process.stdout and process.stderr made those fds non-blocking (libuv), and a
 * writer faster than the host's reads then failed with EAGAIN. The host reads them continuously;
 * what is over the log budget is left out, never thrown back at the function.
 */
function blockingRawOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const handle = (stream as unknown as { _handle?: { setBlocking?: (blocking: boolean) => number } })._handle;
    handle?.setBlocking?.(true);
  }
}

/** ctx.log: one shared object; like console, it records into the run in progress. */
export const ctxLog = Object.freeze({
  debug: (...args: unknown[]) => record('debug', formatArgs(args)),
  info: (...args: unknown[]) => record('info', formatArgs(args)),
  warn: (...args: unknown[]) => record('warn', formatArgs(args)),
  error: (...args: unknown[]) => record('error', formatArgs(args)),
});
