// What the server says when requests fail because of the database file itself: its disk is full
// (507 STORAGE_FULL: one error line naming the data dir and how to make room) or the file is
// damaged (500 DATABASE_CORRUPT: one error line saying how to check and repair it). While it
// lasts, one line per window says how many more requests failed that way (core/log-window.ts),
// instead of a stack trace per request.
import { LogWindow } from '../core/log-window.js';
import type { LogWindowOptions } from '../core/log-window.js';
import { REPAIR_ADVICE, makeRoomAdvice } from '../store/storage-errors.js';

export interface StoreFailureLogger {
  error(obj: object, msg: string): void;
}

export type StoreFailure = 'full' | 'damaged';

export class StoreFailureLog {
  private readonly logger: StoreFailureLogger;
  private readonly dataDir: string;
  private readonly window: LogWindow<StoreFailure>;

  constructor(logger: StoreFailureLogger, dataDir: string, options: LogWindowOptions = {}) {
    this.logger = logger;
    this.dataDir = dataDir;
    this.window = new LogWindow<StoreFailure>(
      {
        summary: ({ subject, more, seconds, lastId }) =>
          this.logger.error(
            { storeFailure: subject, suppressed: more, seconds, lastUrl: lastId },
            subject === 'full'
              ? `${more} more requests were refused in the last ${seconds} s because the disk of the data dir ${this.dataDir} is full (507 STORAGE_FULL)`
              : `${more} more requests failed in the last ${seconds} s because the database in ${this.dataDir} is damaged (500 DATABASE_CORRUPT)`,
          ),
        overflow: () => {},
      },
      { maxKeys: 2, ...options },
    );
  }

  /** One failed request (`url` without secrets): logged whole, or counted for the window's line. */
  note(kind: StoreFailure, err: unknown, url: string): void {
    if (!this.window.admit(kind, () => kind, url)) return;
    const cause = err instanceof Error ? err.message : String(err);
    const dir = this.dataDir;
    this.logger.error(
      { storeFailure: kind, dataDir: dir, url, cause },
      kind === 'full'
        ? `the disk of the data dir ${dir} is full (${cause}): requests that write answer 507 STORAGE_FULL and store ` +
            `nothing until there is space. ${makeRoomAdvice(dir)}; writes succeed again as ` +
            'soon as there is space, without a restart, and the execution records of calls answered meanwhile, kept in ' +
            'memory (up to 100,000), are written then'
        : `the database ${dir}/airlock.db is damaged (${cause}): requests that read the damaged part answer 500 ` +
            `DATABASE_CORRUPT. ${REPAIR_ADVICE}`,
    );
  }

  /** Logs what the window has left (at shutdown). */
  close(): void {
    this.window.close();
  }
}
