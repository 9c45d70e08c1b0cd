// One slice of a claimed job: wait for an admission slot (so job runs share AIRLOCK_CONCURRENCY
// with invocations and never take all of it), lease a sandbox from the pool, run the function
// with ctx.checkpoint and ctx.job for at most the slice cap, record the run as an execution
// linked to the job, and settle the queue item: complete, continue later (the cap hit after a
// checkpoint was saved, or not long since the last one: no attempt counted), or fail an attempt
// (a throw, a crash, an OOM, or the cap hit without a checkpoint after STALL_SLICES such runs in a
// row, NO_PROGRESS; retried with backoff, then dead). The lease is heartbeated all along; a lost
// lease, a cancel or a shutdown stops the slice (`stop`).
import type { Config } from '../../core/config.js';
import { isAirlockError } from '../../core/errors.js';
import { executionId } from '../../core/ids.js';
import { inputJsonOf } from '../../core/json.js';
import type { SandboxFunctions } from '../sandbox-functions.js';
import type { InputBodyParser } from '../../core/json-thread/parser.js';
import type { ExecutionRecord, FunctionVersion, LogLine } from '../../core/types.js';
import { maskJson, maskOutcome, maskedLogs } from '../../egress/mask.js';
import type { EgressBroker, EgressSession } from '../../egress/types.js';
import type { Claimed, Lane, Lease, QueueStore, RunRecord } from '../../queue/port.js';
import type { Admission, Permit } from '../../scheduler/admission.js';
import type { SandboxPool } from '../../sandbox/pool.js';
import type { CheckpointSink, SandboxRunOutcome } from '../../sandbox/port.js';
import { carryResult } from '../../sandbox/run-outcome.js';
import type { FunctionCache } from '../function-cache.js';
import type { ExecutionRecorder } from '../recorder.js';
import { jobInfoOf } from './job-info.js';
import { deadlineStart } from './payload.js';
import { readClaimedPayload } from './payload-reader.js';
import type { JobPayload } from './payload.js';
import { attemptError, cappedError, deadlineError, failure, noProgressError, STALL_SLICES, STOPPED } from './slice-errors.js';
import type { SliceCap, StopReason } from './slice-errors.js';

export type { StopReason } from './slice-errors.js';

export interface SliceDeps {
  config: Config;
  queue: QueueStore;
  functions: FunctionCache;
  admission: Admission;
  pool: SandboxPool;
  recorder: ExecutionRecorder;
  /** Recorded on every execution: 'bwrap' or 'none'. */
  isolation: string;
  egress?: EgressBroker;
  /** Counts every claim by how it was settled. */
  metrics?: JobRunMetrics;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
  /** Large stored payloads are split there, off the event loop (payload-reader.ts); without it, parsed here. */
  jsonThread?: InputBodyParser;
  /** Which functions ran in each sandbox, for out-of-memory errors (shared with invocations). */
  sandboxFunctions?: SandboxFunctions;
}

/** How a claimed job run was settled: done, to go on later, a failure, or taken away (cancelled, lease lost). */
export type JobRunOutcome = 'succeeded' | 'continued' | 'failed' | 'stopped';

/** A slice in progress as a reader of the job sees it (GET /v1/tenants/{t}/jobs/{id}). */
export interface LiveRun {
  executionId: string;
  /** Epoch ms: when its sandbox run started. */
  startedAt: number;
  /** Its log lines so far (empty until the run has started). */
  logs(): LogLine[];
}

export interface JobRunMetrics {
  recordJobRun(outcome: JobRunOutcome): void;
  /** A claimed run starts, `waitMs` after it became ready to run (submitted, continued, or its backoff over). */
  recordJobStart(lane: Lane, waitMs: number): void;
}

/** Settles the item; a lost lease means another run or a cancel owns it now: nothing to do. */
async function settleQuietly(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (!(isAirlockError(err) && err.code === 'LEASE_LOST')) throw err;
  }
}

export class JobSlice {
  private readonly deps: SliceDeps;
  private readonly claimed: Claimed;
  private readonly stop: AbortSignal;
  private readonly now: () => number;
  /** When the slice began (its claim): the execution's queuedAt, so admission waits show. */
  private readonly claimedAt: number;
  /** Saves in flight: the slice waits for them before it acts on the outcome. */
  private readonly saving = new Set<Promise<unknown>>();
  /** A checkpoint was saved during this slice: a slice cut by its cap made progress. */
  private saved = false;
  /** The run in progress, once its sandbox run has started. */
  private live: LiveRun | undefined;
  /** The run as noted in the queue (markRun), and how many log lines and egress requests that note holds. */
  private noted: { run: RunRecord; lines: number; requests: number } | undefined;
  /** The egress session of the run in progress, if it was granted egress: its requests so far go into the note. */
  private liveEgress: EgressSession | undefined;

  constructor(deps: SliceDeps, claimed: Claimed, stop: AbortSignal) {
    this.deps = deps;
    this.claimed = claimed;
    this.stop = stop;
    this.now = deps.now ?? Date.now;
    this.claimedAt = this.now();
  }

  private get lease(): Lease {
    return this.claimed.lease;
  }

  /** The run in progress (its execution id, start and logs so far); undefined before it starts. */
  current(): LiveRun | undefined {
    return this.live;
  }

  /**
   * The run's note with its log lines (masked) and brokered egress requests so far, when it has
   * printed lines or made requests since the last note: the worker saves it at a heartbeat, so a
   * run lost with this server keeps what it had printed and which requests it had made by then.
   * Undefined when there is nothing new.
   */
  noteSoFar(): RunRecord | undefined {
    const noted = this.noted;
    const live = this.live;
    if (noted === undefined || live === undefined || live.executionId !== noted.run.id) return undefined;
    const logs = live.logs();
    const requests = this.liveEgress?.records ?? [];
    if (logs.length === noted.lines && requests.length === noted.requests) return undefined;
    noted.lines = logs.length;
    noted.requests = requests.length;
    return { ...noted.run, logs, ...(requests.length === 0 ? {} : { egress: [...requests] }) };
  }

  private stopReason(): StopReason | undefined {
    return this.stop.aborted ? (this.stop.reason as StopReason) : undefined;
  }

  /** Runs the slice to its end; never rejects for a tenant's reason. */
  async run(): Promise<void> {
    const { queue } = this.deps;
    const { item } = this.claimed;
    let payload: JobPayload;
    try {
      payload = await readClaimedPayload(item, this.deps.jsonThread);
    } catch (err) {
      return this.settle('failed', () => queue.fail(this.lease, failure('INTERNAL', (err as Error).message), { retryable: false, attempt: false }));
    }
    if (this.now() >= payload.deadlineAt) {
      return this.settle('failed', () => queue.fail(this.lease, deadlineError(payload.deadlineAt, deadlineStart(payload, item), item.lastError), { retryable: false, attempt: false }));
    }
    let fn: FunctionVersion;
    try {
      fn = await this.deps.functions.get(item.tenant, item.function, payload.version);
    } catch (err) {
      const code = isAirlockError(err) ? err.code : 'INTERNAL';
      const permanent = code === 'FUNCTION_NOT_FOUND' || code === 'VERSION_NOT_FOUND';
      return this.settle('failed', () => queue.fail(this.lease, failure(code, (err as Error).message), { retryable: !permanent, attempt: !permanent }));
    }
    let permit: Permit;
    try {
      permit = await this.deps.admission.acquire(item.tenant, this.stop);
    } catch (err) {
      if (this.stop.aborted) return this.afterStop();
      if (isAirlockError(err) && err.code === 'TOO_MANY_REQUESTS') {
        // The tenant's invocations hold its slots: try again shortly, without counting an attempt.
        return this.settle('continued', () => queue.continueLater(this.lease, { delayMs: this.deps.config.jobs.pollMs }));
      }
      if (isAirlockError(err) && err.code === 'SHUTTING_DOWN') return this.settle('continued', () => queue.continueLater(this.lease));
      throw err;
    }
    try {
      await this.runInSandbox(fn, payload);
    } finally {
      permit.release();
    }
  }

  private async afterStop(): Promise<void> {
    // Cancelled or superseded: the item is not ours any more. Shutdown: resume in a later slice.
    // Function deleted: the job ends as it would at its next start, without counting an attempt.
    const reason = this.stopReason();
    if (reason === 'shutdown') await this.settle('continued', () => this.deps.queue.continueLater(this.lease));
    else if (reason === 'function-deleted') {
      const { tenant, function: name } = this.claimed.item;
      const error = failure('FUNCTION_NOT_FOUND', `function ${tenant}/${name} was deleted while this job ran; deploy it again and retry the job`);
      await this.settle('failed', () => this.deps.queue.fail(this.lease, error, { retryable: false, attempt: false }));
    } else this.deps.metrics?.recordJobRun('stopped');
  }

  /** The tenant and function of the job this slice runs. */
  get job(): { tenant: string; function: string } {
    return this.claimed.item;
  }

  /** Settles the claim with `action`, counted as `outcome` (see WorkMetrics). */
  private settle(outcome: JobRunOutcome, action: () => Promise<unknown>): Promise<void> {
    this.deps.metrics?.recordJobRun(outcome);
    return settleQuietly(action);
  }

  private async runInSandbox(fn: FunctionVersion, payload: JobPayload): Promise<void> {
    const { queue, pool, recorder, isolation } = this.deps;
    const { item } = this.claimed;
    const id = executionId();
    const queuedAt = this.claimedAt;
    let poolLease;
    try {
      poolLease = await pool.acquire({ tenant: item.tenant, functionName: item.function, scope: fn.isolation, memoryMiB: fn.limits.memoryMiB });
    } catch (err) {
      if (this.stop.aborted) return this.afterStop();
      if (isAirlockError(err) && err.code === 'SHUTTING_DOWN') return this.settle('continued', () => queue.continueLater(this.lease));
      return this.settle('failed', () => queue.fail(this.lease, failure('SANDBOX_FAILED', (err as Error).message)));
    }
    const sandbox = poolLease.sandbox;
    if (this.stop.aborted) {
      poolLease.release(true);
      return this.afterStop();
    }
    const onStop = (): void => void sandbox.destroy();
    this.stop.addEventListener('abort', onStop, { once: true });
    const startedAt = this.now();
    const timeoutMs = Math.max(1, Math.min(payload.maxRunMs, payload.deadlineAt - startedAt));
    const egress =
      fn.egress === undefined || this.deps.egress === undefined
        ? undefined
        : this.deps.egress.open({ tenant: item.tenant, functionName: item.function, executionId: id, policy: fn.egress, deadline: startedAt + timeoutMs, jobSlice: true });
    this.liveEgress = egress;
    await this.noteRun({
      id, tenant: item.tenant, function: item.function, version: fn.version, start: poolLease.start,
      isolation, layers: [...sandbox.layers], queuedAt, startedAt, jobId: item.id,
    });
    this.deps.sandboxFunctions?.note(sandbox, item.function);
    let outcome: SandboxRunOutcome;
    try {
      outcome = await sandbox.run({
        executionId: id,
        tenant: item.tenant,
        functionName: item.function,
        version: fn.version,
        code: fn.code,
        inputJson: inputJsonOf(payload.input ?? null),
        timeoutMs,
        resultBytes: fn.limits.resultBytes,
        logBytes: fn.limits.logBytes,
        checkpoint: this.sink(egress),
        job: jobInfoOf(item, payload),
        watch: (logs) => {
          // Masked like the record will be: a secret the run got back must not show meanwhile.
          this.live = { executionId: id, startedAt, logs: () => maskedLogs(logs(), egress) };
        },
        ...(egress === undefined ? {} : { egress }),
      });
    } finally {
      this.stop.removeEventListener('abort', onStop);
      this.live = undefined;
      this.liveEgress = undefined;
    }
    poolLease.release(outcome.reusable);
    if (outcome.status === 'oom' && outcome.error !== undefined && this.deps.sandboxFunctions !== undefined) {
      outcome.error = this.deps.sandboxFunctions.explainOom(outcome.error, sandbox, item.function);
    }
    const cap = this.capOf(outcome, egress, startedAt, timeoutMs, payload);
    await Promise.allSettled([...this.saving]);
    maskOutcome(outcome, egress);
    const record: ExecutionRecord = {
      id, tenant: item.tenant, function: item.function, version: fn.version, status: outcome.status, start: poolLease.start,
      isolation, layers: [...sandbox.layers], queuedAt, startedAt, finishedAt: this.now(), durationMs: outcome.durationMs,
      logs: outcome.logs, jobId: item.id,
    };
    carryResult(outcome, record);
    if (outcome.error !== undefined) record.error = outcome.error;
    if (cap !== undefined) record.error = cappedError(cap, this.saved);
    const stopped = this.stopReason();
    if (stopped !== undefined && outcome.status === 'killed') record.error = STOPPED[stopped];
    if (egress !== undefined && egress.records.length > 0) record.egress = [...egress.records];
    // A slice at its cap that saved progress, or handed back at a stop, goes on: not a failure to log.
    const continued = (cap !== undefined && cap.kind !== 'deadline' && this.saved) || (stopped === 'shutdown' && outcome.status === 'killed');
    recorder.record(record, outcome.exit, continued);
    await this.settleOutcome(outcome, payload, cap);
  }

  /**
   * Tells the queue which run has started, so a run lost with this server still gets an
   * execution record (QueueStore.markRun). Best effort: if it fails, such a run has none.
   */
  private async noteRun(run: RunRecord): Promise<void> {
    this.noted = { run, lines: 0, requests: 0 };
    try {
      await this.deps.queue.markRun(this.lease, run);
    } catch {
      // a lost lease shows when the run settles; anything else only costs the lost-run record
    }
  }

  /**
   * What capped the run, if anything, with `outcome.status` set to `timeout` for every cap (the
   * job continues): its slice time or the job's deadline; a run that failed at that moment (the
   * egress broker ends a ctx.fetch in flight at the same deadline, and the function throws a
   * moment before the host stops it); or a run that failed after it used up its egress requests
   * (each slice has its own budget: a long sync continues from its checkpoint, it does not fail).
   */
  private capOf(outcome: SandboxRunOutcome, egress: EgressSession | undefined, startedAt: number, timeoutMs: number, payload: JobPayload): SliceCap | undefined {
    if (outcome.status === 'failed' && this.stopReason() === undefined) {
      if (this.now() >= startedAt + timeoutMs) outcome.status = 'timeout';
      else if (egress?.requestCapReached === true) {
        outcome.status = 'timeout';
        return { kind: 'requests', requests: egress.limits.requests };
      }
    }
    if (outcome.status !== 'timeout') return undefined;
    // The job's deadline, not maxRunMs, set this slice's cap.
    return payload.deadlineAt - startedAt < payload.maxRunMs ? { kind: 'deadline', capMs: timeoutMs } : { kind: 'time', capMs: timeoutMs };
  }

  private async settleOutcome(outcome: SandboxRunOutcome, payload: JobPayload, cap: SliceCap | undefined): Promise<void> {
    const { queue } = this.deps;
    // A run that had answered when its function was deleted completes: its result is not dropped.
    const finishedFirst = this.stopReason() === 'function-deleted' && outcome.status === 'succeeded';
    if (this.stop.aborted && !finishedFirst) return this.afterStop();
    if (outcome.status === 'succeeded') {
      // The result's checked text when the outcome has one (never read as a value here).
      const { resultJson } = outcome;
      return this.settle('succeeded', () => queue.complete(this.lease, resultJson === undefined ? (outcome.result ?? null) : undefined, resultJson));
    }
    if (outcome.status === 'timeout') {
      if (this.now() >= payload.deadlineAt) {
        return this.settle('failed', () => queue.fail(this.lease, deadlineError(payload.deadlineAt, deadlineStart(payload, this.claimed.item), this.claimed.item.lastError), { retryable: false, attempt: false }));
      }
      if (this.saved) return this.settle('continued', () => queue.continueLater(this.lease));
      if (this.claimed.item.stalledRuns >= STALL_SLICES) {
        return this.settle('failed', () => queue.fail(this.lease, noProgressError(cap ?? { kind: 'time', capMs: payload.maxRunMs })));
      }
      return this.settle('continued', () => queue.continueLater(this.lease, { stalled: true }));
    }
    return this.settle('failed', () => queue.fail(this.lease, attemptError(outcome)));
  }

  /**
   * ctx.checkpoint for this run: saves go to the queue with this slice's fencing token, with any
   * secret value the run got back masked (a checkpoint is stored and readable through the API).
   */
  private sink(egress: EgressSession | undefined): CheckpointSink {
    const { item } = this.claimed;
    const sink: CheckpointSink = {
      maxBytes: this.deps.config.queue.checkpointBytes,
      save: (state) => {
        const stored = egress?.usedSecrets === true ? maskJson(state, (text) => egress.mask(text)) : state;
        const saving = this.deps.queue.saveCheckpoint(this.lease, stored);
        void saving.then(() => (this.saved = true), () => {});
        this.saving.add(saving);
        void saving.finally(() => this.saving.delete(saving)).catch(() => {});
        return saving;
      },
    };
    if (item.checkpoint !== undefined) sink.stateJson = JSON.stringify(item.checkpoint);
    return sink;
  }
}
