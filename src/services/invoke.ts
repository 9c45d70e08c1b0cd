// The invoke pipeline: resolve the function, check the input, wait for an admission slot, get a
// sandbox from the pool, run, record, answer. Every failure ends as an execution status or a
// typed error; nothing here trusts what the sandbox said beyond what the sandbox layer checked.
import type { Config } from '../core/config.js';
import { AirlockError, isAirlockError } from '../core/errors.js';
import { executionId } from '../core/ids.js';
import { serializeInput } from '../core/json.js';
import type { ExecutionError, ExecutionRecord, ExecutionStatus, FunctionVersion, LogLine, StartKind } from '../core/types.js';
import { maskOutcome } from '../egress/mask.js';
import type { EgressBroker, EgressSession } from '../egress/types.js';
import type { Admission, WaitSignal } from '../scheduler/admission.js';
import type { SandboxPool } from '../sandbox/pool.js';
import { carryResult } from '../sandbox/run-outcome.js';
import type { FunctionCache } from './function-cache.js';
import { callTimeout, callTimeoutName } from './call-timeout.js';
import { withContention } from './timeout-context.js';
import type { ExecutionRecorder } from './recorder.js';
import type { SandboxFunctions } from './sandbox-functions.js';

/** Largest input (JSON characters) of a call that may queue in a busy sandbox. */
const QUEUEABLE_INPUT_CHARS = 64 * 1024;

/** Refusals of a call before it ran that get a record: the reason counted in metrics, the record's error type. */
const REFUSALS: Partial<Record<string, { metric: string; type: string }>> = {
  TOO_MANY_REQUESTS: { metric: 'admission', type: 'TooManyRequests' },
  SHUTTING_DOWN: { metric: 'shutting_down', type: 'ShuttingDown' },
  CLIENT_CLOSED_REQUEST: { metric: 'client_gone', type: 'ClientClosedRequest' },
  BATCH_RESULTS_FULL: { metric: 'batch_results', type: 'BatchResultsFull' },
};

export interface InvokeRequest {
  input: unknown;
  version?: string;
  /** This call's wall-clock limit, ms: at most the function's limits.timeoutMs (the default). */
  timeoutMs?: number;
}

export interface InvokeResult {
  executionId: string;
  /** Never rejected: admission's refusal is thrown (TOO_MANY_REQUESTS). */
  status: Exclude<ExecutionStatus, 'rejected'>;
  result?: unknown;
  /** `result` as JSON text, when made already (see SandboxRunOutcome.resultJson): not part of the view. */
  resultJson?: string;
  error?: ExecutionError;
  logs: LogLine[];
  durationMs: number;
  start: StartKind | null;
  /** The function version that ran. */
  version: string;
}

/** What the invoke pipeline reports to the server's metrics (api/metrics.ts implements it). */
export interface InvokeMetrics {
  recordInvocation(status: ExecutionStatus, start: StartKind | null, durationMs: number): void;
  recordQueueWait(ms: number): void;
  /** How long an admitted call waited for its sandbox, by how it got one. */
  recordSandboxWait(start: StartKind, ms: number): void;
  recordRejection(reason: string): void;
  /** A call queued in a busy sandbox is run again elsewhere (that sandbox ended, or took too long; see invoke). */
  recordRerun(): void;
}

export interface InvokeDeps {
  config: Config;
  functions: FunctionCache;
  admission: Admission;
  pool: SandboxPool;
  recorder: ExecutionRecorder;
  metrics: InvokeMetrics;
  /** Recorded on every execution: 'bwrap' or 'none'. */
  isolation: string;
  /** Opens a session per execution of a function granted egress; without it, such calls fail. */
  egress?: EgressBroker;
  /** Which functions ran in each sandbox, for out-of-memory errors (shared with the job worker). */
  sandboxFunctions?: SandboxFunctions;
}

export class InvokeService {
  private readonly deps: InvokeDeps;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(deps: InvokeDeps) {
    this.deps = deps;
  }

  get running(): number {
    return this.inFlight;
  }

  /** `signal` ends a wait for an admission slot early (e.g. the caller went away): the call is refused, not run. */
  async invoke(tenant: string, name: string, req: InvokeRequest, signal?: WaitSignal): Promise<InvokeResult> {
    const { config, functions, admission, pool, recorder, metrics, isolation } = this.deps;
    const fn = await functions.get(tenant, name, req.version);
    const inputJson = serializeInput(req.input, config.maxJsonDepth, fn.limits.inputBytes, config.maxLimits.inputBytes);
    const timeoutMs = callTimeout(req.timeoutMs, fn);
    const timeoutName = callTimeoutName(req.timeoutMs, fn);
    if (fn.egress !== undefined && this.deps.egress === undefined) {
      throw new AirlockError('INTERNAL', 'this function is granted egress but the server has no egress broker configured');
    }
    const id = executionId();
    const queuedAt = Date.now();

    let permit;
    try {
      permit = await admission.acquire(tenant, signal);
    } catch (err) {
      throw this.refused(err, { id, tenant, name, version: fn.version, queuedAt });
    }
    metrics.recordQueueWait(permit.waitedMs);
    this.inFlight++;
    try {
      const run = async (queueable: boolean) => {
        const asked = performance.now();
        const lease = await pool.acquire({
          tenant,
          functionName: name,
          scope: fn.isolation,
          memoryMiB: fn.limits.memoryMiB,
          queueable,
        });
        metrics.recordSandboxWait(lease.start, performance.now() - asked);
        this.deps.sandboxFunctions?.note(lease.sandbox, name);
        const startedAt = Date.now();
        const egress = this.openEgress(fn, id, startedAt, timeoutMs);
        const outcome = await lease.sandbox.run({
          executionId: id,
          tenant,
          functionName: name,
          version: fn.version,
          code: fn.code,
          inputJson,
          timeoutMs,
          ...(timeoutName === undefined ? {} : { timeoutName }),
          resultBytes: fn.limits.resultBytes,
          logBytes: fn.limits.logBytes,
          ...(egress === undefined ? {} : { egress }),
          ...(lease.maxQueueWaitMs === undefined ? {} : { maxQueueWaitMs: lease.maxQueueWaitMs }),
        });
        // Its sandbox still counts as busy here, as the others running when it ran out of time.
        if (outcome.status === 'timeout' && outcome.error !== undefined) outcome.error = withContention(outcome.error, pool.stats().busy);
        if (outcome.status === 'oom' && outcome.error !== undefined && this.deps.sandboxFunctions !== undefined) {
          outcome.error = this.deps.sandboxFunctions.explainOom(outcome.error, lease.sandbox, name);
        }
        lease.release(outcome.reusable);
        return { lease, startedAt, egress, outcome };
      };
      // A call with no egress may queue behind a short run in a busy warm sandbox (nobody could
      // tell if it ran twice), if its input is small (a queued input sits in the sandbox's
      // memory while it waits). If that sandbox ends before the call's turn, or the run ahead
      // goes on too long, it runs once more, in a sandbox of its own.
      let attempt;
      try {
        attempt = await run(fn.egress === undefined && inputJson.length <= QUEUEABLE_INPUT_CHARS);
        if (attempt.outcome.notStarted === true) {
          metrics.recordRerun();
          attempt = await run(false);
        }
      } catch (err) {
        throw this.refused(err, { id, tenant, name, version: fn.version, queuedAt }); // the pool closed while the call waited
      }
      const { lease, startedAt, egress, outcome } = attempt;
      maskOutcome(outcome, egress);
      const record: ExecutionRecord = {
        id, tenant, function: name, version: fn.version, status: outcome.status, start: lease.start,
        isolation, layers: [...lease.sandbox.layers], queuedAt, startedAt, finishedAt: Date.now(),
        durationMs: outcome.durationMs, logs: outcome.logs,
      };
      carryResult(outcome, record);
      if (outcome.error !== undefined) record.error = outcome.error;
      if (egress !== undefined && egress.records.length > 0) record.egress = [...egress.records];
      recorder.record(record, outcome.exit);
      metrics.recordInvocation(outcome.status, lease.start, outcome.durationMs);
      const answer: InvokeResult = {
        executionId: id, status: outcome.status, logs: outcome.logs, durationMs: outcome.durationMs, start: lease.start, version: fn.version,
      };
      carryResult(outcome, answer);
      if (outcome.error !== undefined) answer.error = outcome.error;
      return answer;
    } finally {
      permit.release();
      this.inFlight--;
      if (this.inFlight === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }

  /**
   * Records a call refused before it asked for a slot (a batch input past the tenant's
   * AIRLOCK_BATCH_RESULT_BYTES) like any refused call: answers the refusal with its record's id.
   */
  refuse(tenant: string, name: string, version: string, err: AirlockError): AirlockError {
    const refusal = this.refused(err, { id: executionId(), tenant, name, version, queuedAt: Date.now() });
    return isAirlockError(refusal) ? refusal : err;
  }

  /**
   * A call refused before it ran (admission's limit, or the server stopping while it waited for a
   * slot or a sandbox): counted like every other finished call (status rejected, start none) and
   * by reason, recorded, and returned to be thrown with the id of its record. Other errors are
   * returned as they are.
   */
  private refused(err: unknown, call: { id: string; tenant: string; name: string; version: string; queuedAt: number }): unknown {
    if (!isAirlockError(err)) return err;
    const reason = REFUSALS[err.code];
    if (reason === undefined) return err;
    const { metrics, recorder, isolation } = this.deps;
    metrics.recordRejection(reason.metric);
    metrics.recordInvocation('rejected', null, 0);
    recorder.record({
      id: call.id, tenant: call.tenant, function: call.name, version: call.version, status: 'rejected', start: null, isolation,
      layers: [], queuedAt: call.queuedAt, startedAt: null, finishedAt: Date.now(), durationMs: 0, logs: [],
      error: { type: reason.type, message: err.message },
    });
    return new AirlockError(err.code, err.message, { ...err.details, executionId: call.id });
  }

  private openEgress(fn: FunctionVersion, executionId: string, startedAt: number, timeoutMs: number): EgressSession | undefined {
    const broker = this.deps.egress;
    if (fn.egress === undefined || broker === undefined) return undefined; // checked before admission
    return broker.open({
      tenant: fn.tenant, functionName: fn.name, executionId, policy: fn.egress, deadline: startedAt + timeoutMs,
    });
  }

  /**
   * Resolves when no execution is in flight, or after `timeoutMs` or once `cut` aborts (a forced
   * stop), whichever comes first (returns false then).
   */
  drain(timeoutMs: number, cut?: AbortSignal): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    if (cut?.aborted === true) return Promise.resolve(false);
    return new Promise((resolve) => {
      const settle = (drained: boolean): void => {
        clearTimeout(timer);
        cut?.removeEventListener('abort', onCut);
        resolve(drained);
      };
      const onCut = (): void => settle(false);
      const timer = setTimeout(onCut, timeoutMs);
      cut?.addEventListener('abort', onCut, { once: true });
      this.idleWaiters.push(() => settle(true));
    });
  }
}
