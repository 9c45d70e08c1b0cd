// Structured JSON logs (pino) for the server. One factory so every component logs alike.
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

export function createLogger(level: Config['logLevel']): Logger {
  return pino({ level, base: { service: 'airlock' } });
}
