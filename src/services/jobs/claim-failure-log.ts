// What the job worker says when it cannot claim work. A full disk (claiming is a write) or a
// damaged database file fails every claim until the operator acts, and the worker tries again
// every AIRLOCK_JOB_POLL_MS: the first failure of a kind in a window is logged once, without a
// stack, with what to do (as the API's store-failure-log.ts does for requests), and one line per
// window counts the rest. Any other failure keeps its stack, bounded the same way.
import { LogWindow } from '../../core/log-window.js';
import type { LogWindowOptions } from '../../core/log-window.js';
import { REPAIR_ADVICE, isDatabaseDamaged, isStorageFull, makeRoomAdvice } from '../../store/storage-errors.js';

export interface ClaimFailureLogger {
  warn(obj: object, msg: string): void;
  error?(obj: object, msg: string): void;
}

type Kind = 'full' | 'damaged' | 'other';

export class ClaimFailureLog {
  private readonly logger: ClaimFailureLogger;
  private readonly dataDir: string;
  private readonly window: LogWindow<Kind>;
  private failures = 0;
  /** Failed claims since the last one that worked (GET /healthz), and the last one's cause. */
  private failingNow = 0;
  private lastCause = '';

  constructor(logger: ClaimFailureLogger, dataDir: string, options: LogWindowOptions = {}) {
    this.logger = logger;
    this.dataDir = dataDir;
    this.window = new LogWindow<Kind>(
      {
        summary: ({ subject, more, seconds }) =>
          this.line(subject, { claimFailure: subject, suppressed: more, seconds }, `${more} more job claims failed in the last ${seconds} s (${this.what(subject)})`),
        overflow: () => {},
      },
      { maxKeys: 3, ...options },
    );
  }

  /** Why claims are failing, while the last one failed; undefined when it worked. */
  get problem(): string | undefined {
    if (this.failingNow === 0) return undefined;
    return `claiming jobs failed ${this.failingNow} time${this.failingNow === 1 ? '' : 's'} in a row (${this.lastCause}): no job, webhook ` +
      'delivery or scheduled run starts (the server log says why and what to do)';
  }

  /** A claim worked. */
  claimed(): void {
    this.failingNow = 0;
  }

  /** One failed claim: logged whole when it is the first of its kind in the window, else counted. */
  note(err: unknown): void {
    this.failingNow++;
    this.lastCause = err instanceof Error ? err.message : String(err);
    const kind: Kind = isStorageFull(err) ? 'full' : isDatabaseDamaged(err) ? 'damaged' : 'other';
    if (!this.window.admit(kind, () => kind, String(++this.failures))) return;
    const cause = err instanceof Error ? err.message : String(err);
    const dir = this.dataDir;
    if (kind === 'other') {
      this.logger.warn({ err, claimFailure: kind }, 'could not claim jobs; retrying at the next poll');
    } else if (kind === 'full') {
      this.line(kind, { claimFailure: kind, dataDir: dir, cause },
        `the disk of the data dir ${dir} is full (${cause}): no job, webhook delivery or scheduled run starts until there is ` +
          `space (claiming one is a write); they stay queued. ${makeRoomAdvice(dir)}: ` +
          'claims succeed again at the next poll, without a restart');
    } else {
      this.line(kind, { claimFailure: kind, dataDir: dir, cause },
        `the database ${dir}/airlock.db is damaged where the job queue reads it (${cause}): no job, webhook delivery or ` +
          `scheduled run starts. ${REPAIR_ADVICE}`);
    }
  }

  /** Logs what the window has left (at stop). */
  close(): void {
    this.window.close();
  }

  private what(kind: Kind): string {
    return kind === 'full' ? `the disk of the data dir ${this.dataDir} is full` : kind === 'damaged' ? `the database in ${this.dataDir} is damaged` : 'see the first failure above';
  }

  private line(kind: Kind, obj: object, msg: string): void {
    if (kind !== 'other' && this.logger.error !== undefined) this.logger.error(obj, msg);
    else this.logger.warn(obj, msg);
  }
}
