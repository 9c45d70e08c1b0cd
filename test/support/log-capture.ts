// A real pino logger whose JSON lines the test can read: what the server logs, as it logs it.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/core/logger.js';

export interface LogEntry {
  /** pino's numeric level: 30 info, 40 warn, 50 error. */
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface CapturedLog {
  logger: Logger;
  /** Every line so far, parsed. */
  lines(): LogEntry[];
  /** Every line so far, as written. */
  text(): string;
  /** Waits (polling, with a deadline) until a line satisfies `match`; answers it. */
  waitFor(match: (line: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function captureLog(level: pino.Level = 'info'): CapturedLog {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = pino({ level, base: { service: 'airlock' } }, sink);
  const lines = (): LogEntry[] => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LogEntry);
  return {
    logger,
    lines,
    text: () => text,
    async waitFor(match, what, timeoutMs = 5_000) {
      for (const end = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 10))) {
        const found = lines().find(match);
        if (found !== undefined) return found;
        if (Date.now() > end) throw new Error(`no log line ${what} within ${timeoutMs} ms; the log:\n${text}`);
      }
    },
  };
}
