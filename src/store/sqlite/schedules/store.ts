// SqliteSchedules: the ScheduleStore port on better-sqlite3, on its own connection to the shared
// database file (like the queue). claimDue runs in one IMMEDIATE transaction, so two servers on
// one file never plan from the same state, and the occurrence row's primary key makes a second
// claim of the same occurrence a no-op in any case.
import type { Database as Db } from 'better-sqlite3';
import { AirlockError } from '../../../core/errors.js';
import type { ClaimedRun, DuePlanOrEnd, PutResult, Schedule, ScheduleRun, ScheduleStore, SettleRequest } from '../../../schedules/port.js';
import type { PurgeBatch } from '../../port.js';
import { PreparedConnection } from '../prepared-connection.js';
import { GroupWalk } from '../purge-walk.js';
import {
  ADVANCE_SCHEDULE,
  COUNT_OUTCOME,
  COUNT_SCHEDULES,
  DELETE_SCHEDULE,
  DELETE_SCHEDULE_RUNS,
  DUE_SCHEDULES,
  EARLIEST_DUE,
  GET_SCHEDULE,
  LIST_SCHEDULES,
  UPSERT_SCHEDULE,
} from '../statements/schedules/definitions.js';
import { NEXT_RUNS_SCHEDULE, PURGE_SCHEDULE_RUNS } from '../statements/schedules/purge.js';
import { CLAIM_OCCURRENCE, EXPIRED_PENDING, GET_RUN, LIST_RUNS, RELEASE_PENDING, SETTLE_RUN } from '../statements/schedules/runs.js';
import { rowToRun, rowToSchedule } from './rows.js';
import type { ScheduleRow, ScheduleRunRow } from './rows.js';

/** Most schedules (and most expired pending runs) one claimDue acts on; the rest wait for the next. */
const CLAIM_BATCH = 100;

/** A schedule's own columns; the counters, last job and timestamps are the store's to keep. */
type UpsertParams = Omit<ScheduleRow, 'last_job_id' | 'fired' | 'skipped' | 'created_at' | 'updated_at'> & { now: number };

interface CountParams {
  tenant: string;
  schedule: string;
  fired: number;
  skipped: number;
  fired_job: string | null;
  now: number;
}

interface PurgeParams {
  tenant: string;
  schedule: string;
  cutoff: number;
  max: number;
}

/** A schedule's occurrence rows: [tenant, schedule]. */
type RunsKey = readonly [string, string];

function prepareAll(db: Db) {
  return {
    upsert: db.prepare<[UpsertParams], ScheduleRow>(UPSERT_SCHEDULE),
    get: db.prepare<[string, string], ScheduleRow>(GET_SCHEDULE),
    list: db.prepare<[string], ScheduleRow>(LIST_SCHEDULES),
    count: db.prepare<[string], { n: number }>(COUNT_SCHEDULES),
    delete: db.prepare<[string, string]>(DELETE_SCHEDULE),
    deleteRuns: db.prepare<[string, string]>(DELETE_SCHEDULE_RUNS),
    due: db.prepare<[number, number], ScheduleRow>(DUE_SCHEDULES),
    earliest: db.prepare<[], { at: number | null }>(EARLIEST_DUE),
    advance: db.prepare<[number | null, number, string, string, number]>(ADVANCE_SCHEDULE),
    countOutcome: db.prepare<[CountParams]>(COUNT_OUTCOME),
    claim: db.prepare<[string, string, number, number, number, number, number]>(CLAIM_OCCURRENCE),
    expired: db.prepare<[number, number], ScheduleRunRow>(EXPIRED_PENDING),
    release: db.prepare<[number, number, string, string, number, number]>(RELEASE_PENDING),
    getRun: db.prepare<[string, string, number], ScheduleRunRow>(GET_RUN),
    settle: db.prepare<[string, string | null, string | null, number, string, string, number]>(SETTLE_RUN),
    listRuns: db.prepare<[string, string, number, number], ScheduleRunRow>(LIST_RUNS),
    nextRunsSchedule: db.prepare<[string, string], { tenant: string; schedule: string }>(NEXT_RUNS_SCHEDULE),
    purgeRuns: db.prepare<[PurgeParams]>(PURGE_SCHEDULE_RUNS),
  };
}

type Prepared = ReturnType<typeof prepareAll>;

export class SqliteSchedules implements ScheduleStore {
  readonly file: string;
  private readonly conn: PreparedConnection<Prepared>;
  /** Schedules with occurrence rows, in key order; retention resumes where its previous batch stopped. */
  private readonly purgeWalk = new GroupWalk<RunsKey>(['', ''], ([tenant, schedule]) => {
    const row = this.stmts().nextRunsSchedule.get(tenant, schedule);
    return row === undefined ? undefined : [row.tenant, row.schedule];
  });

  constructor(file: string, options: { busyTimeoutMs?: number } = {}) {
    this.file = file;
    this.conn = new PreparedConnection(
      file,
      options.busyTimeoutMs,
      prepareAll,
      'SqliteSchedules used before migrate() or after close(); call await schedules.migrate() first',
    );
  }

  private get db(): Db {
    return this.conn.db;
  }

  private stmts(): Prepared {
    return this.conn.stmts();
  }

  async migrate(): Promise<void> {
    this.conn.migrate();
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  async put(s: Omit<Schedule, 'fired' | 'skipped' | 'createdAt' | 'lastJobId'>): Promise<PutResult> {
    const st = this.stmts();
    const tx = this.db.transaction((): PutResult => {
      const existed = st.get.get(s.tenant, s.name) !== undefined;
      const row = st.upsert.get({
        tenant: s.tenant,
        name: s.name,
        function: s.function,
        cron: s.cron ?? null,
        every_s: s.everySeconds ?? null,
        timezone: s.timezone,
        input: JSON.stringify(s.input ?? null),
        overlap: s.overlap,
        anchor_at: s.anchorAt,
        next_at: s.nextAt ?? null,
        now: s.updatedAt,
      });
      if (row === undefined) throw new AirlockError('INTERNAL', `schedule ${s.tenant}/${s.name} vanished right after it was stored`);
      return { schedule: rowToSchedule(row), created: !existed };
    });
    return tx.immediate();
  }

  async get(tenant: string, name: string): Promise<Schedule | undefined> {
    const row = this.stmts().get.get(tenant, name);
    return row === undefined ? undefined : rowToSchedule(row);
  }

  async list(tenant: string): Promise<Schedule[]> {
    return this.stmts().list.all(tenant).map(rowToSchedule);
  }

  async count(tenant: string): Promise<number> {
    return this.stmts().count.get(tenant)?.n ?? 0;
  }

  async delete(tenant: string, name: string): Promise<boolean> {
    const st = this.stmts();
    const tx = this.db.transaction((): boolean => {
      st.deleteRuns.run(tenant, name);
      return st.delete.run(tenant, name).changes > 0;
    });
    return tx.immediate();
  }

  async nextDueAt(): Promise<number | undefined> {
    return this.stmts().earliest.get()?.at ?? undefined;
  }

  async claimDue(now: number, plan: (schedule: Schedule) => DuePlanOrEnd, leaseMs: number): Promise<ClaimedRun[]> {
    const st = this.stmts();
    const leaseUntil = now + leaseMs;
    const tx = this.db.transaction((): ClaimedRun[] => {
      const out: ClaimedRun[] = [];
      for (const row of st.due.all(now, CLAIM_BATCH)) {
        const schedule = rowToSchedule(row);
        const p = plan(schedule);
        if (st.advance.run(p.nextAt ?? null, now, row.tenant, row.name, row.next_at!).changes === 0) continue;
        const claimed = st.claim.run(row.tenant, row.name, p.occurrenceAt, p.missed, leaseUntil, now, now).changes > 0;
        if (!claimed) continue; // this occurrence was acted on already
        schedule.nextAt = p.nextAt;
        if (p.nextAt === undefined) delete schedule.nextAt;
        const run = st.getRun.get(row.tenant, row.name, p.occurrenceAt);
        if (run !== undefined) out.push({ schedule, run: rowToRun(run) });
      }
      // Occurrences claimed by a server that died before it settled them.
      for (const row of st.expired.all(now, CLAIM_BATCH)) {
        if (st.release.run(leaseUntil, now, row.tenant, row.schedule, row.occurrence_at, now).changes === 0) continue;
        const def = st.get.get(row.tenant, row.schedule);
        if (def === undefined) continue;
        out.push({ schedule: rowToSchedule(def), run: rowToRun({ ...row, lease_until: leaseUntil }) });
      }
      return out;
    });
    return tx.immediate();
  }

  async settle(req: SettleRequest, now: number): Promise<boolean> {
    const st = this.stmts();
    const tx = this.db.transaction((): boolean => {
      const changed =
        st.settle.run(req.outcome, req.jobId ?? null, req.reason ?? null, now, req.tenant, req.schedule, req.occurrenceAt).changes > 0;
      if (!changed) return false;
      st.countOutcome.run({
        tenant: req.tenant,
        schedule: req.schedule,
        fired: req.outcome === 'fired' ? 1 : 0,
        skipped: req.outcome === 'skipped' ? 1 : 0,
        fired_job: req.outcome === 'fired' ? (req.jobId ?? null) : null,
        now,
      });
      return true;
    });
    return tx.immediate();
  }

  async listRuns(tenant: string, schedule: string, limit: number, before?: number): Promise<ScheduleRun[]> {
    const rows = this.stmts().listRuns.all(tenant, schedule, before ?? Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(limit)));
    return rows.map(rowToRun);
  }

  async purgeRuns(occurredBefore: number, max: number): Promise<PurgeBatch> {
    const st = this.stmts();
    const tx = this.db.transaction((): PurgeBatch =>
      this.purgeWalk.step(max, ([tenant, schedule], n) => st.purgeRuns.run({ tenant, schedule, cutoff: occurredBefore, max: n }).changes),
    );
    return tx.immediate();
  }
}
