// The start's warnings about background work this server holds back: AIRLOCK_JOBS=paused (no job
// run starts) and AIRLOCK_SCHEDULES=paused (no occurrence fires), each meant for a restored copy
// of a database that must not repeat production's work (README, Backup and restore).
import type { Config } from '../core/config.js';

export interface PausedWorkLogger {
  warn(msg: string): void;
}

export function warnAboutPausedWork(config: Pick<Config, 'jobs' | 'schedules'>, logger: PausedWorkLogger): void {
  if (config.jobs.paused) {
    logger.warn(
      'AIRLOCK_JOBS=paused: this server starts no job run; jobs, webhook deliveries and scheduled runs stay queued ' +
        '(they can still be submitted, read and cancelled) until a server without it starts (docs/jobs.md)',
    );
  }
  if (config.schedules.paused) {
    logger.warn(
      'AIRLOCK_SCHEDULES=paused: this server fires no schedule occurrence (schedules can still be read and changed). ' +
        'Occurrences that come due meanwhile fire once when a server without it starts (docs/schedules.md)',
    );
  }
}
