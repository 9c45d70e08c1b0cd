// Request and response schemas of the schedule routes (docs/schedules.md), and the conversion of
// stored schedules and occurrences to their JSON shapes (ISO dates).
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { Schedule, ScheduleRun } from '../schedules/port.js';
import { MAX_EVERY_SECONDS } from '../schedules/timing.js';
import { Name } from './schemas.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export const ScheduleParams = Type.Object({ tenant: Name, name: Name });

export const ScheduleBody = Type.Object(
  {
    function: Name,
    cron: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'cron expression: 5 fields, or 6 with seconds first (e.g. "0 9 * * 1-5")' }),
    ),
    everySeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_EVERY_SECONDS, description: 'fixed interval, seconds (at least AIRLOCK_SCHEDULE_MIN_INTERVAL_SECONDS, at most 10 years)' }),
    ),
    input: Type.Optional(Type.Unknown({ description: 'JSON value passed to every run' })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone the cron expression is read in (default UTC)' })),
    overlap: Type.Optional(
      Type.Unsafe<'skip' | 'allow'>({
        type: 'string',
        enum: ['skip', 'allow'],
        description: 'skip (default): an occurrence is skipped while the previous run is still queued or running',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ScheduleBody = Static<typeof ScheduleBody>;

const Outcome = Type.Unsafe<string>({ type: 'string', enum: ['pending', 'fired', 'skipped', 'error'] });

export const ScheduleRunView = Type.Object({
  occurrenceAt: Type.String({ format: 'date-time' }),
  outcome: Outcome,
  jobId: Type.Optional(Type.String({ description: 'the job it fired, or the running job that made it skip' })),
  reason: Type.Optional(Type.String()),
  missed: Type.Integer({ description: 'earlier occurrences folded into this one because no server was running' }),
});

export const ScheduleView = Type.Object({
  tenant: Type.String(),
  name: Type.String(),
  function: Type.String(),
  cron: Type.Optional(Type.String()),
  everySeconds: Type.Optional(Type.Integer()),
  timezone: Type.String(),
  input: Type.Unknown(),
  overlap: Type.String(),
  nextRunAt: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time', description: 'null: the cron expression never fires again' }),
  lastJobId: Type.Optional(Type.String()),
  fired: Type.Integer(),
  skipped: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  created: Type.Optional(Type.Boolean()),
});

export const RunsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    before: Type.Optional(Type.String({ format: 'date-time', description: 'page: only occurrences before this time' })),
  },
  { additionalProperties: false },
);
export type RunsQuery = Static<typeof RunsQuery>;

export function scheduleView(s: Schedule, created?: boolean) {
  return {
    tenant: s.tenant,
    name: s.name,
    function: s.function,
    ...(s.cron === undefined ? {} : { cron: s.cron }),
    ...(s.everySeconds === undefined ? {} : { everySeconds: s.everySeconds }),
    timezone: s.timezone,
    input: s.input,
    overlap: s.overlap,
    nextRunAt: s.nextAt === undefined ? null : iso(s.nextAt),
    ...(s.lastJobId === undefined ? {} : { lastJobId: s.lastJobId }),
    fired: s.fired,
    skipped: s.skipped,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    ...(created === undefined ? {} : { created }),
  };
}

export function scheduleRunView(r: ScheduleRun) {
  return {
    occurrenceAt: iso(r.occurrenceAt),
    outcome: r.outcome,
    ...(r.jobId === undefined ? {} : { jobId: r.jobId }),
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    missed: r.missed,
  };
}
