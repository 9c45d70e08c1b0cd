// What the server says when requests are refused because the disk of its data dir is full
// (507 STORAGE_FULL): one error line that names the data dir and how to make room, then, while
// the disk stays full, one line per window with how many more were refused (core/log-window.ts),
// instead of a stack trace per request.
import { LogWindow } from '../core/log-window.js';
import type { LogWindowOptions } from '../core/log-window.js';

export interface StorageFullLogger {
  error(obj: object, msg: string): void;
}

export class StorageFullLog {
  private readonly logger: StorageFullLogger;
  private readonly dataDir: string;
  private readonly window: LogWindow<null>;

  constructor(logger: StorageFullLogger, dataDir: string, options: LogWindowOptions = {}) {
    this.logger = logger;
    this.dataDir = dataDir;
    this.window = new LogWindow<null>(
      {
        summary: ({ more, seconds, lastId }) =>
          this.logger.error(
            { storageFull: true, suppressed: more, seconds, lastUrl: lastId },
            `${more} more requests were refused in the last ${seconds} s because the disk of the data dir ${this.dataDir} is full (507 STORAGE_FULL)`,
          ),
        overflow: () => {},
      },
      { maxKeys: 1, ...options },
    );
  }

  /** One refused request (`url` without secrets): logged whole, or counted for the window's line. */
  note(err: unknown, url: string): void {
    if (!this.window.admit('full', () => null, url)) return;
    const message = err instanceof Error ? err.message : String(err);
    this.logger.error(
      { storageFull: true, dataDir: this.dataDir, url, cause: message },
      `the disk of the data dir ${this.dataDir} is full (${message}): requests that write answer 507 STORAGE_FULL and store ` +
        `nothing until there is space. Free space on that disk (df -h ${this.dataDir}) or grow it; writes succeed again as ` +
        'soon as there is space, without a restart, and the execution records of calls answered meanwhile, kept in memory ' +
        '(up to 100,000), are written then',
    );
  }

  /** Logs what the window has left (at shutdown). */
  close(): void {
    this.window.close();
  }
}
