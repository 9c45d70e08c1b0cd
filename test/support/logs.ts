// A pino logger whose JSON lines the test can read back, for asserting what a server logged (and
// at which level) without parsing stdout.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/core/logger.js';

export interface LogEntry {
  /** pino's numeric level: 30 info, 40 warn, 50 error. */
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface CapturedLogs {
  logger: Logger;
  /** Every line logged so far, parsed. */
  entries(): LogEntry[];
}

export function captureLogs(level: pino.Level = 'info'): CapturedLogs {
  const lines: string[] = [];
  let partial = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop()!;
      lines.push(...parts.filter((line) => line !== ''));
      done();
    },
  });
  // pino writes each line to the sink during the logging call, and the sink takes it at once.
  const logger = pino({ level, base: { service: 'airlock' } }, sink);
  return { logger, entries: () => lines.map((line) => JSON.parse(line) as LogEntry) };
}
