// Schedule and occurrence rows ↔ the port's Schedule and ScheduleRun (JSON input read with
// prototype-poisoning protection).
import { parseJsonSafely } from '../../../core/json.js';
import type { Overlap, RunOutcome, Schedule, ScheduleRun } from '../../../schedules/port.js';

export interface ScheduleRow {
  tenant: string;
  name: string;
  function: string;
  cron: string | null;
  every_s: number | null;
  timezone: string;
  input: string;
  overlap: string;
  anchor_at: number;
  next_at: number | null;
  last_job_id: string | null;
  fired: number;
  skipped: number;
  created_at: number;
  updated_at: number;
}

export interface ScheduleRunRow {
  tenant: string;
  schedule: string;
  occurrence_at: number;
  outcome: string;
  job_id: string | null;
  reason: string | null;
  missed: number;
  lease_until: number | null;
  created_at: number;
  updated_at: number;
}

export function rowToSchedule(row: ScheduleRow): Schedule {
  const s: Schedule = {
    tenant: row.tenant,
    name: row.name,
    function: row.function,
    timezone: row.timezone,
    input: parseJsonSafely(row.input),
    overlap: row.overlap as Overlap,
    anchorAt: row.anchor_at,
    fired: row.fired,
    skipped: row.skipped,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.cron !== null) s.cron = row.cron;
  if (row.every_s !== null) s.everySeconds = row.every_s;
  if (row.next_at !== null) s.nextAt = row.next_at;
  if (row.last_job_id !== null) s.lastJobId = row.last_job_id;
  return s;
}

export function rowToRun(row: ScheduleRunRow): ScheduleRun {
  const run: ScheduleRun = {
    tenant: row.tenant,
    schedule: row.schedule,
    occurrenceAt: row.occurrence_at,
    outcome: row.outcome as RunOutcome,
    missed: row.missed,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.job_id !== null) run.jobId = row.job_id;
  if (row.reason !== null) run.reason = row.reason;
  return run;
}
