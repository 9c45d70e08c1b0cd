// The schedule store port: schedule definitions, and one row per occurrence that a server claimed
// (unique per schedule and occurrence time, so an occurrence is acted on once however many
// servers share the database and however often they restart). SQLite implements it in
// src/store/sqlite/schedules/; a Postgres implementation keeps the same contract: claimDue is one
// transaction (SELECT … FOR UPDATE SKIP LOCKED over due schedules, INSERT … ON CONFLICT DO NOTHING
// of the occurrence).
import type { PurgeBatch } from '../core/types.js';
import type { DuePlan } from './timing.js';

export type Overlap = 'skip' | 'allow';
export const OVERLAPS: readonly Overlap[] = ['skip', 'allow'];

/** What became of one occurrence. `pending`: claimed, its job not yet submitted (or being submitted). */
export type RunOutcome = 'pending' | 'fired' | 'skipped' | 'error';

/** A schedule as a client defines it. */
export interface ScheduleDefinition {
  tenant: string;
  name: string;
  function: string;
  cron?: string;
  everySeconds?: number;
  timezone: string;
  input: unknown;
  overlap: Overlap;
}

export interface Schedule extends ScheduleDefinition {
  /** Start of an interval schedule's occurrences, epoch ms. */
  anchorAt: number;
  /** Next occurrence to act on, epoch ms; undefined: a cron expression that never fires again. */
  nextAt?: number;
  /** Job of the last occurrence that fired (overlap checks look at it). */
  lastJobId?: string;
  /** Occurrences that fired a job, and that were skipped (overlap or missed while down). */
  fired: number;
  skipped: number;
  createdAt: number;
  updatedAt: number;
}

export interface ScheduleRun {
  tenant: string;
  schedule: string;
  /** The occurrence, epoch ms: with the schedule, the unique key of the row. */
  occurrenceAt: number;
  outcome: RunOutcome;
  /** The job it fired (fired), or the job still running that made it skip (skipped). */
  jobId?: string;
  /** Why it was skipped or failed to fire. */
  reason?: string;
  /** Earlier occurrences folded into this one because no server ran at their time. */
  missed: number;
  createdAt: number;
  updatedAt: number;
}

/** A pending occurrence leased to the caller of claimDue: act on it, then settle it. */
export interface ClaimedRun {
  schedule: Schedule;
  run: ScheduleRun;
}

export interface PutResult {
  schedule: Schedule;
  created: boolean;
}

export interface SettleRequest {
  tenant: string;
  schedule: string;
  occurrenceAt: number;
  outcome: Exclude<RunOutcome, 'pending'>;
  jobId?: string;
  reason?: string;
}

export interface ScheduleStore {
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Creates or replaces a schedule. A replaced schedule keeps its createdAt, counters and last job;
   * its anchorAt and nextAt are the caller's (recomputed from the new timing).
   */
  put(schedule: Omit<Schedule, 'fired' | 'skipped' | 'createdAt' | 'lastJobId'>): Promise<PutResult>;
  get(tenant: string, name: string): Promise<Schedule | undefined>;
  /** A tenant's schedules by name. */
  list(tenant: string): Promise<Schedule[]>;
  count(tenant: string): Promise<number>;
  /** Removes the schedule and its occurrence rows (the jobs it fired stay); true if it existed. */
  delete(tenant: string, name: string): Promise<boolean>;

  /** Earliest nextAt of any schedule, or of a pending occurrence whose lease ran out. */
  nextDueAt(): Promise<number | undefined>;
  /**
   * In one transaction: for every schedule due at `now`, asks `plan` which occurrence fires,
   * inserts it as a `pending` run unless (schedule, occurrence) is already stored, and moves the
   * schedule's nextAt on; also takes over pending runs whose lease expired (their server died
   * between the claim and the submission). Returns the runs now leased to the caller until
   * now + leaseMs.
   */
  claimDue(now: number, plan: (schedule: Schedule) => DuePlanOrEnd, leaseMs: number): Promise<ClaimedRun[]>;
  /** Settles a pending run (first writer wins); updates the schedule's counters and last job. */
  settle(req: SettleRequest, now: number): Promise<boolean>;
  /** A schedule's occurrences, newest first. */
  listRuns(tenant: string, schedule: string, limit: number, before?: number): Promise<ScheduleRun[]>;
  /**
   * Deletes up to `max` settled occurrence rows (any outcome but `pending`) whose occurrence time
   * is before `occurredBefore` (epoch ms), in one transaction, walking schedules from where the
   * previous call stopped.
   */
  purgeRuns(occurredBefore: number, max: number): Promise<PurgeBatch>;
}

/** planDue's answer: nextAt undefined when a cron expression never fires again. */
export type DuePlanOrEnd = Omit<DuePlan, 'nextAt'> & { nextAt: number | undefined };
