// The background work this server holds back: AIRLOCK_JOBS=paused (no job run starts) and
// AIRLOCK_SCHEDULES=paused (no occurrence fires), each meant for a restored copy of a database
// that must not repeat production's work (README, Backup and restore). Said by a warning at the
// start, and for as long as it runs by GET /healthz (`paused`) and the gauge airlock_paused, so a
// server left paused by mistake (a copy promoted to production) is noticed.
import type { Config } from '../core/config.js';

export const PAUSABLE_WORK = ['jobs', 'schedules'] as const;
export type PausableWork = (typeof PAUSABLE_WORK)[number];

/** What this server holds back, in PAUSABLE_WORK's order; empty when nothing is paused. */
export function pausedWork(config: Pick<Config, 'jobs' | 'schedules'>): PausableWork[] {
  return PAUSABLE_WORK.filter((work) => config[work].paused);
}

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
