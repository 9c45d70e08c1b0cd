// Retention (AIRLOCK_RETENTION_HOURS): deletes execution records, finished jobs (webhook
// deliveries included) and settled schedule occurrences older than the retention period. A
// round runs at start and then every minute: each kind in batches of a few hundred rows, one
// transaction each, the event loop free between two batches, at most a few thousand rows per kind
// per round (a backlog, say after lowering the setting, is worked off in rounds a second apart).
// Several servers on one database each run rounds; a row another server deleted is just not
// counted. Each round that deleted something logs one line with the counts per kind.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { PollingLoop } from '../core/polling-loop.js';
import type { QueueStore } from '../queue/port.js';
import type { ScheduleStore } from '../schedules/port.js';
import type { PurgeBatch, Store } from '../store/port.js';

export type PurgeKind = 'executions' | 'jobs' | 'schedule_runs';
export const PURGE_KINDS: readonly PurgeKind[] = ['executions', 'jobs', 'schedule_runs'];

export type PurgeCounts = Record<PurgeKind, number>;

export interface RetentionLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RetentionMetrics {
  recordPurged(kind: PurgeKind, rows: number): void;
}

export interface RetentionDeps {
  /** Rows older than this are deleted, hours (> 0). */
  hours: number;
  store: Pick<Store, 'purgeExecutions'>;
  queue: Pick<QueueStore, 'purgeFinished'>;
  schedules: Pick<ScheduleStore, 'purgeRuns'>;
  logger: RetentionLogger;
  metrics?: RetentionMetrics;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
  /** The schedules' clock, which occurrence times are in (tests move their own). Default `now`. */
  scheduleNow?: () => number;
  /** Pause between rounds, ms. Default 60 s. */
  intervalMs?: number;
  /** Pause after a round that stopped at its budget with rows left, ms. Default 1 s. */
  backlogPauseMs?: number;
  /** Most rows per transaction. Default 200. */
  batchRows?: number;
  /** Most transactions per kind and round. Default 20. */
  roundBatches?: number;
}

/** What one round did: rows deleted per kind, and whether it stopped at its budget with rows left. */
export interface RoundResult {
  purged: PurgeCounts;
  backlog: boolean;
}

const HOUR_MS = 3_600_000;

export class RetentionPurger {
  private readonly deps: RetentionDeps;
  private readonly now: () => number;
  private readonly poll: PollingLoop;

  constructor(deps: RetentionDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    const { intervalMs = 60_000, backlogPauseMs = 1_000 } = deps;
    this.poll = new PollingLoop(async () => ((await this.round()).backlog ? backlogPauseMs : intervalMs), { unref: true });
  }

  /** Runs a round at once, then one every interval. */
  start(): void {
    this.poll.start();
  }

  /** Stops after the batch under way; resolves once the loop has ended. */
  stop(): Promise<void> {
    return this.poll.stop();
  }

  /** One round now; rounds never overlap within one purger. */
  round(): Promise<RoundResult> {
    return this.poll.serial(() => this.roundOnce());
  }

  private async roundOnce(): Promise<RoundResult> {
    const { hours, store, queue, schedules } = this.deps;
    const cutoff = this.now() - hours * HOUR_MS;
    const occurrenceCutoff = this.deps.scheduleNow === undefined ? cutoff : this.deps.scheduleNow() - hours * HOUR_MS;
    const purged: PurgeCounts = { executions: 0, jobs: 0, schedule_runs: 0 };
    let backlog = false;
    const kinds: [PurgeKind, (max: number) => Promise<PurgeBatch>][] = [
      ['executions', (max) => store.purgeExecutions(cutoff, max)],
      ['jobs', (max) => queue.purgeFinished(cutoff, max)],
      ['schedule_runs', (max) => schedules.purgeRuns(occurrenceCutoff, max)],
    ];
    for (const [kind, purge] of kinds) {
      try {
        backlog = (await this.purgeKind(kind, purge, purged)) || backlog;
      } catch (err) {
        this.deps.logger.warn({ err, kind }, 'could not delete rows past the retention period; trying again at the next round');
      }
    }
    if (PURGE_KINDS.some((k) => purged[k] > 0)) {
      this.deps.logger.info(
        { purged, olderThan: new Date(Math.max(0, cutoff)).toISOString(), retentionHours: hours },
        'deleted rows past the retention period',
      );
    }
    return { purged, backlog };
  }

  /** Batches of one kind until its pass ends or the round's budget is spent; true: it stopped with rows left. */
  private async purgeKind(kind: PurgeKind, purge: (max: number) => Promise<PurgeBatch>, purged: PurgeCounts): Promise<boolean> {
    const { batchRows = 200, roundBatches = 20 } = this.deps;
    let deletedLast = 0;
    for (let batch = 0; batch < roundBatches && !this.poll.stopping; batch++) {
      const { deleted, more } = await purge(batchRows);
      purged[kind] += deleted;
      if (deleted > 0) this.deps.metrics?.recordPurged(kind, deleted);
      if (!more) return false;
      deletedLast = deleted;
      await nextTurn(); // requests that arrived during the batch go first
    }
    // Out of budget: come back soon only if it was still finding rows (not only live ones).
    return deletedLast > 0;
  }
}
