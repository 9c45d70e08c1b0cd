// Batch invoke: many inputs for one function in one request, each run as its own execution
// (record, limits, metrics, admission) by the invoke pipeline, with the answers in input order.
// Every item runs the same version, the latest when the batch starts unless one is named, even
// if a deploy lands meanwhile. Every input is checked before any runs, so a bad one refuses the
// whole batch (400 naming its index) with nothing run. The batch keeps at most the tenant's
// concurrency limit of its items in flight, so it takes no more than that many slots and other
// tenants' calls are served between its items as between any calls; an item admission refuses
// (its wait ran out, the server is stopping) is answered `rejected` in its place, and once the
// client has gone no further item starts. Finished items' answers stay in memory until the batch
// is answered: once the tenant's running batches hold AIRLOCK_BATCH_RESULT_BYTES of them, no
// further item starts and each is answered `rejected` (BATCH_RESULTS_FULL, with a record) in place.
import { setMaxListeners } from 'node:events';
import type { Config } from '../core/config.js';
import { AirlockError, isAirlockError } from '../core/errors.js';
import { checkedInput } from '../core/json.js';
import type { ExecutionError, ExecutionStatus, LogLine, StartKind } from '../core/types.js';
import type { Admission, WaitSignal } from '../scheduler/admission.js';
import type { FunctionCache } from './function-cache.js';
import type { InvokeService } from './invoke.js';
import { BatchResultBudget, heldChars } from './batch-result-budget.js';

export interface BatchRequest {
  inputs: readonly unknown[];
  version?: string;
  timeoutMs?: number;
}

/** One input's answer: an invoke's, or `rejected` with the refusal and the id of its record. */
export interface BatchItem {
  executionId: string;
  status: ExecutionStatus;
  result?: unknown;
  /** `result` as JSON text, when made already (see InvokeResult.resultJson). */
  resultJson?: string;
  error?: ExecutionError;
  logs: LogLine[];
  durationMs: number;
  start: StartKind | null;
}

export interface BatchResult {
  /** The version every item ran. */
  version: string;
  results: BatchItem[];
  /** When admission refused an item: the longest wait its refusals asked for, seconds (the answer's Retry-After). */
  retryAfterSeconds?: number;
}

/** Refusals of one item (each recorded as a rejected execution): the batch answers them in place. */
const ITEM_REFUSALS: ReadonlySet<string> = new Set(['TOO_MANY_REQUESTS', 'SHUTTING_DOWN', 'CLIENT_CLOSED_REQUEST']);

export interface InvokeBatchDeps {
  config: Pick<Config, 'maxJsonDepth' | 'maxLimits' | 'maxBatchInputs' | 'batchResultBytes'>;
  functions: FunctionCache;
  admission: Pick<Admission, 'capOf'>;
  invoke: Pick<InvokeService, 'invoke' | 'refuse'>;
}

export class InvokeBatch {
  readonly #deps: InvokeBatchDeps;
  /** What each tenant's running batches hold of finished answers. */
  readonly #budget: BatchResultBudget;

  constructor(deps: InvokeBatchDeps) {
    this.#deps = deps;
    this.#budget = new BatchResultBudget(deps.config.batchResultBytes);
  }

  /**
   * `signal` ends an input's wait for an admission slot when the caller goes away; `callerGone`
   * says it has, so that no further input starts even when none has to wait.
   */
  async run(tenant: string, name: string, req: BatchRequest, signal?: WaitSignal, callerGone: () => boolean = () => false): Promise<BatchResult> {
    const { config, functions, admission, invoke } = this.#deps;
    const fn = await functions.get(tenant, name, req.version);
    if (req.inputs.length === 0 || req.inputs.length > config.maxBatchInputs) {
      throw new AirlockError(
        'VALIDATION_FAILED',
        `a batch carries 1 to ${config.maxBatchInputs} inputs (AIRLOCK_MAX_BATCH_INPUTS), not ${req.inputs.length}; split it`,
      );
    }
    const inputs = req.inputs.map((input, index) => {
      try {
        return checkedInput(input, config.maxJsonDepth, fn.limits.inputBytes, config.maxLimits.inputBytes);
      } catch (err) {
        if (!isAirlockError(err)) throw err;
        throw new AirlockError(err.code, `inputs[${index}]: ${err.message}; nothing in the batch was run`, { ...err.details, index });
      }
    });
    const results = new Array<BatchItem>(inputs.length);
    let retryAfterSeconds: number | undefined;
    const width = Math.min(inputs.length, admission.capOf(tenant));
    const signalOf = shared(signal, width);
    let next = 0;
    let gone = false;
    /** An error that fails the whole batch: the other workers start no further input. */
    let failed = false;
    /** What this batch's finished answers hold of the tenant's budget, given back when it ends. */
    let held = 0;
    const budget = this.#budget;
    const worker = async (): Promise<void> => {
      while (!gone && !failed && next < inputs.length) {
        if (callerGone()) {
          gone = true;
          break;
        }
        const index = next++;
        const full = budget.refusal(tenant);
        if (full !== undefined) {
          results[index] = rejectedItem(invoke.refuse(tenant, name, fn.version, full));
          continue;
        }
        const call = { input: inputs[index], version: fn.version, ...(req.timeoutMs === undefined ? {} : { timeoutMs: req.timeoutMs }) };
        try {
          const { version: _version, ...answer } = await invoke.invoke(tenant, name, call, signalOf);
          results[index] = answer;
          const chars = heldChars(answer);
          held += chars;
          budget.hold(tenant, chars);
        } catch (err) {
          if (!isAirlockError(err) || !ITEM_REFUSALS.has(err.code)) {
            failed = true;
            throw err;
          }
          if (err.code === 'CLIENT_CLOSED_REQUEST') gone = true;
          const retry = err.details?.retryAfterSeconds;
          if (typeof retry === 'number') retryAfterSeconds = Math.max(retryAfterSeconds ?? 0, retry);
          results[index] = rejectedItem(err);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: width }, worker));
    } finally {
      budget.release(tenant, held);
    }
    if (gone) throw new AirlockError('CLIENT_CLOSED_REQUEST', 'the client closed the connection; the rest of the batch was not run');
    return { version: fn.version, results, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
  }
}

/** A refused item's answer, with the id of its record (InvokeService records each refusal). */
function rejectedItem(refusal: AirlockError): BatchItem {
  const id = refusal.details?.executionId;
  const executionId = typeof id === 'string' ? id : '';
  return { executionId, status: 'rejected', error: { type: refusal.code, message: refusal.message }, logs: [], durationMs: 0, start: null };
}

/**
 * The caller's signal, made at most once for the whole batch (a factory is called only when an
 * item waits). Up to `width` items wait on it at once, each with a listener of its own: Node
 * warns past 10 listeners on one signal, as if they leaked.
 */
function shared(signal: WaitSignal | undefined, width: number): WaitSignal | undefined {
  if (typeof signal !== 'function') return signal;
  let made: AbortSignal | undefined;
  return () => {
    if (made === undefined) {
      made = signal();
      setMaxListeners(width + 1, made);
    }
    return made;
  };
}
