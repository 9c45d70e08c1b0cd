// The ways tenant code writes logs, all recorded into the run in progress (capture.ts): console's
// methods, writes to process.stdout and process.stderr (which never reach fd 1 and 2; a
// zero-length write adds no line), and ctx.log. Nothing a tenant logs can break the harness: arguments that cannot be formatted
// become a note saying so.
import type { HarnessLogLevel } from '../protocol.js';
import { record } from './capture.js';
import { safeMessage } from './errors.js';
import { bufferFrom, format, inspect, stringOf } from './primordials.js';

function formatArgs(args: unknown[]): string {
  try {
    return format(...args);
  } catch (err) {
    return `[unformattable log arguments: ${safeMessage(err)}]`;
  }
}

/** Replaces console's methods and process.stdout/stderr.write with recorders (at boot). */
export function installConsole(): void {
  const levels: Record<string, HarnessLogLevel> = {
    log: 'info',
    info: 'info',
    debug: 'debug',
    trace: 'debug',
    warn: 'warn',
    error: 'error',
  };
  const target = console as unknown as Record<string, unknown>;
  for (const [method, level] of Object.entries(levels)) {
    target[method] = (...args: unknown[]) => record(level, formatArgs(args));
  }
  target.dir = (obj: unknown) => record('info', inspect(obj));
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
}

/** ctx.log: one shared object; like console, it records into the run in progress. */
export const ctxLog = Object.freeze({
  debug: (...args: unknown[]) => record('debug', formatArgs(args)),
  info: (...args: unknown[]) => record('info', formatArgs(args)),
  warn: (...args: unknown[]) => record('warn', formatArgs(args)),
  error: (...args: unknown[]) => record('error', formatArgs(args)),
});
