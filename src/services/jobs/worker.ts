// The job worker: claims ready queue items with the fair planner (QueueStore.claim: stride
// scheduling across tenants, per-tenant caps, the background lane's share) and runs each as a
// JobSlice, at most `config.jobs.concurrency` at once plus room for webhook deliveries (and one
// slice per lane under foreground pressure: lane-room.ts), heartbeating each lease while it runs.
// Idle, it polls every `config.jobs.pollMs`; a submission (wake) or a finished slice makes it
// claim at once.
// stop(): no more claims; running slices get the grace period, then are ended and queued again
// as continuations (no attempt lost, nothing lost but work after the last checkpoint). Webhook
// deliveries and schedules enqueue the same payload and reuse this worker.
import { isAirlockError } from '../../core/errors.js';
import { WakeTimer } from '../../core/wake-timer.js';
import type { Claimed, Lane } from '../../queue/port.js';
import { laneRoom } from './lane-room.js';
import { leaseOwnerName, ownerIsGoneHere } from './lease-owner.js';
import { ClaimFailureLog } from './claim-failure-log.js';
import { JobSlice } from './slice.js';
import type { LiveRun, SliceDeps, StopReason } from './slice.js';

/** The part of a pino logger the worker uses. */
export interface WorkerLogger {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
  error?(obj: object, msg: string): void;
}

export interface JobWorkerDeps extends SliceDeps {
  logger?: WorkerLogger;
  /** Lease owner name stored on claimed items. Default: leaseOwnerName() (lease-owner.ts). */
  owner?: string;
  /** Told after each slice settled its item (done, queued again or failed): `?wait` deliveries listen. */
  onSettled?: (id: string) => void;
  /** Whether job slices yield to foreground requests now (pacer.ts); default never. */
  pacer?: { readonly isYielding: boolean };
}

/**
 * After a claim that came back short (nothing more was claimable: no ready work, or its tenants at
 * their caps), wakes from new work wait this long before the next claim, so a burst of
 * submissions for a capped tenant does not cost one claim transaction each. A finished slice
 * frees a slot and claims at once.
 */
const SHORT_CLAIM_GAP_MS = 10;

interface Running {
  controller: AbortController;
  done: Promise<void>;
  slice: JobSlice;
  lane: Lane;
}

export class JobWorker {
  private readonly deps: JobWorkerDeps;
  readonly owner: string;
  private readonly running = new Map<string, Running>();
  private started = false;
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private readonly alarm = new WakeTimer();
  /** A slice finished since the last claim. */
  private freed = false;
  /** When the last claim came back short (0: it did not). */
  private shortClaimAt = 0;
  /** Failed claims (a full disk, a damaged database): logged once per window, not once per poll. */
  private readonly claimFailures: ClaimFailureLog | undefined;

  constructor(deps: JobWorkerDeps) {
    this.deps = deps;
    this.owner = deps.owner ?? leaseOwnerName();
    this.claimFailures = deps.logger === undefined ? undefined : new ClaimFailureLog(deps.logger, deps.config.dataDir);
  }

  /** Slices running now. */
  get active(): number {
    return this.running.size;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.loopDone = this.loop();
  }

  /** Claim now instead of at the next poll (a job was just submitted). */
  wake(): void {
    this.alarm.wake();
  }

  /** The run in progress of job `id` on this server, if its sandbox run has started. */
  currentRun(id: string): LiveRun | undefined {
    return this.running.get(id)?.slice.current();
  }

  /** Resolves once this worker's slice of job `id` (if any) has settled its item. */
  settled(id: string): Promise<void> {
    return this.running.get(id)?.done ?? Promise.resolve();
  }

  /** Why claiming jobs is failing now, or undefined (GET /healthz). */
  get claimProblem(): string | undefined {
    return this.claimFailures?.problem;
  }

  /**
   * Stops the slices of `tenant`'s function `name` this worker runs (its sandboxes are destroyed,
   * the jobs fail FUNCTION_NOT_FOUND): the function was deleted. Answers how many it stopped.
   */
  stopFunction(tenant: string, name: string): number {
    let stopped = 0;
    for (const run of this.running.values()) {
      const job = run.slice.job;
      if (job.tenant !== tenant || job.function !== name || run.controller.signal.aborted) continue;
      run.controller.abort('function-deleted' satisfies StopReason);
      stopped++;
    }
    return stopped;
  }

  /** Stops the slice of job `id` if this worker runs it (its sandbox is destroyed). */
  stopRun(id: string, reason: StopReason): boolean {
    const run = this.running.get(id);
    if (run === undefined) return false;
    run.controller.abort(reason);
    return true;
  }

  /**
   * Stops claiming, gives running slices up to `graceMs` to finish (less if `cut` aborts first: a
   * forced stop), then ends the rest; they are queued again as continuations, claimable at once.
   * Resolves when every slice has settled its item.
   */
  async stop(graceMs: number, cut?: AbortSignal): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loopDone;
    this.claimFailures?.close();
    const all = Promise.allSettled([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    let onCut: (() => void) | undefined;
    const graceOver = new Promise<'grace'>((resolve) => {
      timer = setTimeout(() => resolve('grace'), graceMs);
      onCut = () => resolve('grace');
      if (cut?.aborted === true) onCut();
      else cut?.addEventListener('abort', onCut, { once: true });
    });
    const first = await Promise.race([all, graceOver]);
    clearTimeout(timer);
    if (onCut !== undefined) cut?.removeEventListener('abort', onCut);
    if (first === 'grace') {
      if (this.running.size > 0) {
        const why = cut?.aborted === true ? 'forced stop' : 'grace period over';
        this.deps.logger?.warn({ running: this.running.size }, `${why}: ending job slices; they resume later`);
      }
      for (const run of this.running.values()) run.controller.abort('shutdown' satisfies StopReason);
      await Promise.allSettled([...this.running.values()].map((r) => r.done));
    }
  }

  /**
   * Ends at once the leases of workers that ran on this machine and are dead (a server killed with
   * SIGKILL, restarted): their items are retried now instead of after the lease length, and no
   * longer hold their tenants' concurrency slots meanwhile.
   */
  private async expireDeadLocalLeases(): Promise<void> {
    const { queue } = this.deps;
    try {
      const gone = (await queue.runningOwners()).filter((owner) => owner !== this.owner && ownerIsGoneHere(owner));
      if (gone.length === 0) return;
      const items = await queue.expireLeases(gone);
      this.deps.logger?.info?.({ items, owners: gone }, 'ended the leases of a server on this machine that is gone; its runs count a crashed attempt (SERVER_GONE) and are retried after backoff');
    } catch (err) {
      this.deps.logger?.warn({ err }, 'could not check for leases of a dead server; they expire on their own');
    }
  }

  private async loop(): Promise<void> {
    const { queue, config } = this.deps;
    await this.expireDeadLocalLeases();
    while (!this.stopping) {
      this.alarm.reset();
      const gap = this.shortClaimAt + SHORT_CLAIM_GAP_MS - Date.now();
      if (!this.freed && gap > 0) {
        await this.alarm.sleep(gap);
        continue;
      }
      this.freed = false;
      const room = laneRoom(config.jobs.concurrency, config.jobs.interactiveExtra, this.runningByLane(), this.deps.pacer?.isYielding === true);
      const free = room.max;
      let claimed: Claimed[] = [];
      if (free > 0) {
        try {
          claimed = await queue.claim({ owner: this.owner, max: free, laneMax: room.laneMax });
          this.claimFailures?.claimed();
        } catch (err) {
          this.claimFailures?.note(err);
        }
        for (const c of claimed) this.launch(c);
        this.shortClaimAt = claimed.length < free ? Date.now() : 0;
      }
      if (this.stopping) break;
      if (claimed.length > 0 && claimed.length < free) {
        this.shortClaimAt = 0; // there may be more ready: claim again at once
        continue;
      }
      if (!this.alarm.woken) await this.alarm.sleep(config.jobs.pollMs);
    }
  }

  private runningByLane(): Record<Lane, number> {
    const byLane: Record<Lane, number> = { interactive: 0, background: 0 };
    for (const run of this.running.values()) byLane[run.lane]++;
    return byLane;
  }

  private launch(claimed: Claimed): void {
    const { queue, config } = this.deps;
    this.deps.metrics?.recordJobStart(claimed.item.lane, Math.max(0, Date.now() - claimed.item.runAfter));
    const controller = new AbortController();
    const id = claimed.item.id;
    const slice = new JobSlice(this.deps, claimed, controller.signal);
    // Heartbeat well inside the lease; a lost lease (expired, cancelled elsewhere) stops the slice.
    const every = Math.max(50, Math.floor(config.queue.leaseMs / 3));
    const heartbeat = setInterval(() => {
      // The run's logs and egress requests so far, for its record should this server die before the run ends.
      const note = slice.noteSoFar();
      if (note !== undefined) queue.markRun(claimed.lease, note).catch(() => {});
      queue.heartbeat(claimed.lease).catch((err: unknown) => {
        if (isAirlockError(err) && err.code === 'LEASE_LOST') {
          if (!controller.signal.aborted) controller.abort('lease-lost' satisfies StopReason);
        } else {
          this.deps.logger?.warn({ err, job: id }, 'job heartbeat failed; retrying at the next beat');
        }
      });
    }, every);
    const done = slice
      .run()
      .catch((err: unknown) => {
        this.deps.logger?.warn({ err, job: id }, 'a job slice failed inside the worker; its lease will expire and it will be retried');
      })
      .finally(() => {
        clearInterval(heartbeat);
        this.running.delete(id);
        this.deps.onSettled?.(id);
        this.freed = true;
        this.wake();
      });
    this.running.set(id, { controller, done, slice, lane: claimed.item.lane });
  }
}
