// When a schedule fires: validation of its timing (cron expression with an IANA time zone, or a
// fixed interval in seconds), the first occurrence after an instant, and the plan for a schedule
// that is due (which occurrence fires, how many earlier ones were missed, when it is next due).
// Pure apart from croner; every instant is epoch ms.
import { Cron } from 'croner';
import { AirlockError } from '../core/errors.js';

export interface Timing {
  /** Cron expression (5 fields, or 6 with seconds first); exclusive with everySeconds. */
  cron?: string;
  /** Fixed interval; occurrences at anchorAt + k × everySeconds s (k ≥ 1). */
  everySeconds?: number;
  /** IANA time zone a cron expression is read in (default UTC). */
  timezone: string;
  /** Start of an interval schedule's occurrences (its creation, or the last change of its timing). */
  anchorAt: number;
}

/** What a due schedule does now. */
export interface DuePlan {
  /** The occurrence that fires: the latest one at or before now. */
  occurrenceAt: number;
  /** Occurrences between the one that was due and the one that fires, skipped as missed. */
  missed: number;
  /** First occurrence after now. */
  nextAt: number;
}

/** Past this many missed cron occurrences the count stops (the plan jumps to the latest one). */
const MAX_COUNTED_MISSES = 10_000;
/** Longest interval: 10 years (occurrence times stay far inside the range of Date). */
export const MAX_EVERY_SECONDS = 10 * 366 * 24 * 3600;
/** How many upcoming occurrences are checked against the minimum interval. */
const INTERVAL_CHECKS = 10;

function invalid(message: string, field: string): AirlockError {
  return new AirlockError('VALIDATION_FAILED', message, { field });
}

/** Throws VALIDATION_FAILED unless `tz` is a time zone this Node knows (e.g. Europe/Paris, UTC). */
export function checkTimezone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw invalid(`unknown time zone ${JSON.stringify(tz)}; use an IANA name such as "UTC", "Europe/Paris" or "America/New_York"`, 'timezone');
  }
}

function cronOf(timing: Timing): Cron {
  return new Cron(timing.cron ?? '', { timezone: timing.timezone, paused: true });
}

/** The shorthands taken for a whole expression (as in crontab), midnight and hour starts in the schedule's time zone. */
const NICKNAMES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** Parses a cron expression in a time zone; VALIDATION_FAILED with croner's reason when it is not one. */
function parseCron(expression: string, timezone: string): Cron {
  const usage =
    'use 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "0 9 * * 1-5", ' +
    `or one of ${NICKNAMES.join(', ')}`;
  // croner also takes a 7th field (the year); schedules keep to the 5 or 6 this documents.
  const fields = expression.trim().split(/\s+/).length;
  const nickname = NICKNAMES.includes(expression.trim().toLowerCase());
  if (!nickname && fields !== 5 && fields !== 6) {
    throw invalid(`invalid cron expression ${JSON.stringify(expression)}: it has ${fields} field${fields === 1 ? '' : 's'}; ${usage}`, 'cron');
  }
  try {
    return new Cron(expression, { timezone, paused: true });
  } catch (err) {
    const reason = (err as Error).message.replace(/[.\s]+$/, '');
    throw invalid(`invalid cron expression ${JSON.stringify(expression)}: ${reason}; ${usage}`, 'cron');
  }
}

/**
 * Checks a timing as a client sent it: exactly one of cron and everySeconds, a known time zone, a
 * cron expression that parses and fires again, and no two occurrences closer than
 * `minIntervalSeconds` (checked over the next few occurrences of a cron expression).
 */
export function validateTiming(timing: Timing, minIntervalSeconds: number, now: number): void {
  const hasCron = timing.cron !== undefined;
  const hasEvery = timing.everySeconds !== undefined;
  if (hasCron === hasEvery) {
    throw invalid('give exactly one of "cron" (e.g. "*/15 * * * *") or "everySeconds" (e.g. 3600)', hasCron ? 'everySeconds' : 'cron');
  }
  checkTimezone(timing.timezone);
  if (hasEvery) {
    const every = timing.everySeconds!;
    if (!Number.isSafeInteger(every) || every < minIntervalSeconds || every > MAX_EVERY_SECONDS) {
      throw invalid(
        `everySeconds must be a whole number >= ${minIntervalSeconds} (AIRLOCK_SCHEDULE_MIN_INTERVAL_SECONDS) and <= ${MAX_EVERY_SECONDS} (10 years), got ${every}`,
        'everySeconds',
      );
    }
    return;
  }
  const cron = parseCron(timing.cron!, timing.timezone);
  const runs = cron.nextRuns(INTERVAL_CHECKS + 1, new Date(now));
  if (runs.length === 0) {
    throw invalid(`cron expression ${JSON.stringify(timing.cron)} never fires after ${new Date(now).toISOString()}; check its day and month fields`, 'cron');
  }
  for (let i = 1; i < runs.length; i++) {
    const gap = (runs[i]!.getTime() - runs[i - 1]!.getTime()) / 1000;
    if (gap < minIntervalSeconds) {
      throw invalid(
        `cron expression ${JSON.stringify(timing.cron)} fires ${gap} s apart; schedules may fire at most every ` +
          `${minIntervalSeconds} s (AIRLOCK_SCHEDULE_MIN_INTERVAL_SECONDS)`,
        'cron',
      );
    }
  }
}

/** The first occurrence strictly after `after`; undefined when a cron expression never fires again. */
export function nextAfter(timing: Timing, after: number): number | undefined {
  if (timing.everySeconds !== undefined) {
    const every = timing.everySeconds * 1000;
    const k = Math.max(1, Math.floor((after - timing.anchorAt) / every) + 1);
    return timing.anchorAt + k * every;
  }
  const next = cronOf(timing).nextRun(new Date(after));
  return next === null ? undefined : next.getTime();
}

/**
 * The plan for a schedule whose next occurrence `dueAt` is at or before `now`: the latest
 * occurrence at or before now fires (once, however many were missed while no server ran), the
 * ones before it count as missed, and the schedule is next due at the first occurrence after now
 * (undefined: a cron expression that never fires again).
 */
export function planDue(timing: Timing, dueAt: number, now: number): Omit<DuePlan, 'nextAt'> & { nextAt: number | undefined } {
  if (timing.everySeconds !== undefined) {
    const every = timing.everySeconds * 1000;
    const behind = Math.max(0, Math.floor((now - dueAt) / every));
    const occurrenceAt = dueAt + behind * every;
    return { occurrenceAt, missed: behind, nextAt: occurrenceAt + every };
  }
  const cron = cronOf(timing);
  let occurrenceAt = dueAt;
  let missed = 0;
  for (;;) {
    const following = cron.nextRun(new Date(occurrenceAt));
    if (following === null || following.getTime() > now) {
      return { occurrenceAt, missed, nextAt: following?.getTime() };
    }
    if (missed >= MAX_COUNTED_MISSES) break;
    occurrenceAt = following.getTime();
    missed++;
  }
  // A very long outage: jump to the latest occurrence without counting the rest one by one.
  const latest = cron.previousRuns(1, new Date(now + 1))[0]?.getTime() ?? occurrenceAt;
  return { occurrenceAt: Math.max(latest, occurrenceAt), missed, nextAt: cron.nextRun(new Date(now))?.getTime() };
}
