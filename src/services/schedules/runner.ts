// The schedule runner: on start and then whenever the next schedule is due (at most every
// AIRLOCK_SCHEDULE_POLL_MS), claims due occurrences in the store (one row per schedule and
// occurrence time: an occurrence is acted on once across restarts and servers), then settles
// each: skipped while the schedule's previous job is still queued or running (overlap "skip"),
// otherwise submitted as a background job whose idempotency key names the occurrence, so even a
// claim retaken after a crash between claim and submission cannot start a second job. An
// occurrence refused by its tenant's backlog cap (TENANT_BACKLOG_FULL) is skipped, logged and
// counted, not retried.
import type { Config } from '../../core/config.js';
import { isAirlockError } from '../../core/errors.js';
import type { AirlockError } from '../../core/errors.js';
import { isBacklogFull } from '../jobs/backlog-refusals.js';
import { PollingLoop } from '../../core/polling-loop.js';
import type { QueueItem, QueueStore } from '../../queue/port.js';
import { TERMINAL_STATUSES } from '../../queue/port.js';
import type { ClaimedRun, RunOutcome, ScheduleStore } from '../../schedules/port.js';
import { planDue } from '../../schedules/timing.js';
import type { SubmitJobRequest } from '../jobs/service.js';
import { timingOf } from './service.js';

/** What the runner needs from the jobs service. */
export interface ScheduleJobs {
  submit(tenant: string, name: string, req: SubmitJobRequest): Promise<{ job: QueueItem; created: boolean }>;
}

export interface ScheduleRunnerLogger {
  warn(obj: object, msg: string): void;
}

export interface ScheduleRunnerDeps {
  config: Config;
  store: ScheduleStore;
  queue: Pick<QueueStore, 'get'>;
  jobs: ScheduleJobs;
  logger?: ScheduleRunnerLogger;
  /** Epoch ms; the same clock as the ScheduleService's. Default Date.now. */
  now?: () => number;
}

/** One occurrence this runner settled in a tick. */
export interface Settled {
  tenant: string;
  schedule: string;
  occurrenceAt: number;
  outcome: Exclude<RunOutcome, 'pending'>;
  jobId?: string;
  missed: number;
}

/** Errors of a submission that will not go away by trying again: the occurrence is recorded as an error. */
const PERMANENT = new Set(['FUNCTION_NOT_FOUND', 'VERSION_NOT_FOUND', 'INPUT_TOO_LARGE', 'INPUT_TOO_DEEP', 'VALIDATION_FAILED', 'LIMIT_ABOVE_MAXIMUM']);

/** The idempotency key of the job an occurrence fires (shown on the job). */
export function occurrenceKey(schedule: string, occurrenceAt: number): string {
  return `schedule:${schedule}:${new Date(occurrenceAt).toISOString()}`;
}

export class ScheduleRunner {
  private readonly deps: ScheduleRunnerDeps;
  private readonly now: () => number;
  private readonly poll: PollingLoop;

  constructor(deps: ScheduleRunnerDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.poll = new PollingLoop(() => this.pollOnce());
  }

  /**
   * Ticks at once (occurrences missed while no server ran fire now), then whenever one is due.
   * With AIRLOCK_SCHEDULES=paused it never starts: nothing fires on this server.
   */
  start(): void {
    if (this.deps.config.schedules.paused) return;
    this.poll.start();
  }

  /** Look again now (a schedule was created or changed). */
  wake(): void {
    this.poll.wake();
  }

  /** Stops looking; resolves once the tick in progress has settled what it claimed. */
  stop(): Promise<void> {
    return this.poll.stop();
  }

  /** Claims and settles every due occurrence now; ticks never overlap within one runner. */
  tick(): Promise<Settled[]> {
    return this.poll.serial(() => this.tickOnce());
  }

  /** One pass of the loop: a tick, then how long until the next occurrence is due (at most pollMs). */
  private async pollOnce(): Promise<number> {
    const { config, store } = this.deps;
    let waitMs = config.schedules.pollMs;
    try {
      await this.tick();
      const due = await store.nextDueAt();
      if (due !== undefined) waitMs = Math.max(1, Math.min(waitMs, due - this.now()));
    } catch (err) {
      this.deps.logger?.warn({ err }, 'could not check schedules; trying again at the next poll');
    }
    return waitMs;
  }

  private async tickOnce(): Promise<Settled[]> {
    const { store, config } = this.deps;
    if (config.schedules.paused) return []; // nothing claimed: a server without the pause fires them later
    const now = this.now();
    const claimed = await store.claimDue(now, (s) => planDue(timingOf(s), s.nextAt ?? now, now), config.schedules.claimLeaseMs);
    const out: Settled[] = [];
    for (const c of claimed) {
      try {
        const settled = await this.settle(c);
        if (settled !== undefined) out.push(settled);
      } catch (err) {
        // Left pending: its claim lease runs out and a later tick (here or on another server) retries it.
        this.deps.logger?.warn({ err, tenant: c.run.tenant, schedule: c.run.schedule }, 'could not fire a schedule occurrence; it is retried later');
      }
    }
    return out;
  }

  private async settle(c: ClaimedRun): Promise<Settled | undefined> {
    const { store, queue, jobs } = this.deps;
    const { tenant, schedule: name, occurrenceAt, missed } = c.run;
    // Read again: an earlier occurrence of this tick may have fired a job since the claim.
    const schedule = await store.get(tenant, name);
    if (schedule === undefined) return undefined; // deleted since the claim (its occurrence rows went with it)
    const base = { tenant, schedule: name, occurrenceAt, missed };
    const record = async (outcome: Settled['outcome'], jobId?: string, reason?: string): Promise<Settled | undefined> => {
      const ok = await store.settle(
        { tenant, schedule: name, occurrenceAt, outcome, ...(jobId === undefined ? {} : { jobId }), ...(reason === undefined ? {} : { reason }) },
        this.now(),
      );
      return ok ? { ...base, outcome, ...(jobId === undefined ? {} : { jobId }) } : undefined;
    };
    if (schedule.overlap === 'skip' && schedule.lastJobId !== undefined) {
      const previous = await queue.get(tenant, schedule.lastJobId);
      if (previous !== undefined && !TERMINAL_STATUSES.includes(previous.status)) {
        return record('skipped', previous.id, `the previous run (job ${previous.id}) was still ${previous.status}; overlap is "skip"`);
      }
    }
    let job: QueueItem;
    try {
      ({ job } = await jobs.submit(tenant, schedule.function, {
        input: schedule.input,
        idempotencyKey: occurrenceKey(name, occurrenceAt),
        source: { kind: 'schedule', schedule: name, occurrenceAt },
      }));
    } catch (err) {
      if (isAirlockError(err) && PERMANENT.has(err.code)) return record('error', undefined, `${err.code}: ${err.message}`);
      if (isBacklogFull(err)) return this.skipForBacklog(err as AirlockError, c, record);
      throw err;
    }
    return record('fired', job.id);
  }

  /**
   * The tenant's backlog is full (TENANT_BACKLOG_FULL): the occurrence is skipped, recorded with
   * the reason and logged (the jobs service counted it), not retried: a retry would only add to a
   * backlog that is already more than the tenant can work off, and the next occurrence covers the
   * same ground once there is room.
   */
  private skipForBacklog(
    err: AirlockError,
    c: ClaimedRun,
    record: (outcome: Settled['outcome'], jobId?: string, reason?: string) => Promise<Settled | undefined>,
  ): Promise<Settled | undefined> {
    const { tenant, schedule, occurrenceAt } = c.run;
    this.deps.logger?.warn(
      { tenant, schedule, occurrenceAt: new Date(occurrenceAt).toISOString(), backlog: err.details?.backlog, limit: err.details?.limit },
      "skipped a schedule occurrence: its tenant's queue backlog is at AIRLOCK_QUEUE_TENANT_BACKLOG; the next occurrence fires once there is room",
    );
    // The refusal's own message advises a sender to send it again after Retry-After: not what a
    // schedule does, so the record says what happens instead.
    const reason =
      `${err.code}: tenant ${tenant} already has ${String(err.details?.backlog)} unfinished queue items, the most ` +
      `AIRLOCK_QUEUE_TENANT_BACKLOG allows (${String(err.details?.limit)}); this occurrence was skipped and is not retried, and the ` +
      `next one fires once there is room (cancel jobs that are no longer needed, or ask the operator to raise AIRLOCK_QUEUE_TENANT_BACKLOG)`;
    return record('skipped', undefined, reason);
  }
}
