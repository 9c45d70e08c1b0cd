// Jobs: submit (durable, idempotent), read, list and cancel. A job is a background-lane queue
// item whose payload is a JobPayload; the JobWorker runs it in slices. Everything here is
// tenant-scoped: a job id of another tenant is simply not found.
import type { Config } from '../../core/config.js';
import { AirlockError, isAirlockError } from '../../core/errors.js';
import { checkedInput, serializeInput } from '../../core/json.js';
import type { PageBudget } from '../../core/page-budget.js';
import { REQUEUEABLE_STATUSES } from '../../queue/port.js';
import type { QueueItem, QueueStatus, QueueStore } from '../../queue/port.js';
import type { InputBodyParser } from '../../core/json-thread/parser.js';
import type { FunctionCache } from '../function-cache.js';
import { sameInput } from './resubmission.js';
import { jobSource, readJobPayload } from './payload.js';
import type { JobPayload } from './payload.js';
import { API_SOURCE } from './source.js';
import type { JobSource } from './source.js';
import type { LiveRun, StopReason } from './slice.js';
import { listHint } from '../names.js';
import { countBacklogRefusal } from './backlog-refusals.js';
import type { BacklogRefusalMetrics } from './backlog-refusals.js';

export interface SubmitJobRequest {
  input?: unknown;
  idempotencyKey?: string;
  /** Slice cap, ms (default AIRLOCK_JOB_RUN_MS, at most AIRLOCK_JOB_MAX_RUN_MS). */
  maxRunMs?: number;
  /** Failed attempts allowed before the job is dead (default AIRLOCK_QUEUE_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** Total time from submission, ms (default and maximum AIRLOCK_JOB_DEADLINE_MS). */
  deadlineMs?: number;
  /**
   * What starts the job (ctx.job.source): default `api`. Set by the schedule runner; the API
   * never takes it from a request (its body schema refuses unknown fields).
   */
  source?: JobSource;
}

export interface RetryJobRequest {
  /** The function version to run; default the latest now (e.g. a fix deployed since). */
  version?: string;
  /** Total time from the retry, ms (default and maximum AIRLOCK_JOB_DEADLINE_MS). */
  deadlineMs?: number;
  /** Failed attempts allowed from the retry on (default: the job's own). */
  maxAttempts?: number;
  /** Slice cap of its runs from the retry on, ms (default: the job's own; at most AIRLOCK_JOB_MAX_RUN_MS). */
  maxRunMs?: number;
}

/** Many jobs of one function retried at once (after a fix, or once a third party is back). */
export interface RetryManyRequest extends RetryJobRequest {
  function: string;
  /** Which jobs: dead (the default), failed or cancelled. */
  status: QueueStatus;
  /** Most jobs retried by this call, newest first; `more` says whether others are left. */
  limit: number;
}

/** What a retry of many did: the jobs queued again, those that changed under it, and whether more are left. */
export interface RetryManyResult {
  retried: string[];
  skipped: { id: string; code: string; message: string }[];
  more: boolean;
}

export interface ListJobsRequest {
  function?: string;
  status?: QueueStatus;
  limit: number;
  before?: string;
  /** Only the job submitted with this idempotency key. */
  idempotencyKey?: string;
  /** A byte bound on the page (the list's items as sent); `budget.spent` then says it was cut by size. */
  budget?: PageBudget<QueueItem>;
}

/** What the service needs from the worker: a nudge after a submission, a stop on cancel, the run in progress. */
export interface JobRunner {
  wake(): void;
  stopRun(id: string, reason: StopReason): boolean;
  stopFunction?(tenant: string, name: string): number;
  currentRun?(id: string): LiveRun | undefined;
}

export interface JobServiceDeps {
  config: Config;
  queue: QueueStore;
  functions: FunctionCache;
  runner?: JobRunner;
  /** Reads a large stored input off the event loop when a resubmission's input is compared. */
  jsonThread?: InputBodyParser;
  /** Counts submissions refused by their tenant's backlog cap (api and schedule ones). */
  metrics?: BacklogRefusalMetrics;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
}

/** Why retryMany skips one job and goes on: it changed under the call, or its own input no longer fits. */
const SKIPPABLE: ReadonlySet<string> = new Set(['JOB_NOT_RETRYABLE', 'JOB_NOT_FOUND', 'INPUT_TOO_LARGE', 'INPUT_TOO_DEEP', 'BAD_REQUEST']);

export class JobService {
  private readonly deps: JobServiceDeps;
  private readonly now: () => number;

  constructor(deps: JobServiceDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
  }

  /**
   * Stores the job durably; the same idempotency key with the same input returns the first job
   * (created: false). The key with another function, or (for an API submission) another input,
   * is IDEMPOTENCY_CONFLICT.
   */
  async submit(tenant: string, name: string, req: SubmitJobRequest): Promise<{ job: QueueItem; created: boolean }> {
    const { config, queue, functions } = this.deps;
    const fn = await functions.get(tenant, name);
    // Checked and serialized once: the queue stores this text as the payload's input.
    const input = checkedInput(req.input ?? null, config.maxJsonDepth, fn.limits.inputBytes, config.maxLimits.inputBytes);
    const maxRunMs = this.maxRunMs(req.maxRunMs ?? config.jobs.defaultRunMs);
    const deadlineMs = this.deadlineMs(req.deadlineMs);
    // Every slice runs the version that was latest at submission, even if the function is redeployed meanwhile.
    const submittedAt = this.now();
    const payload: JobPayload = {
      input,
      version: fn.version,
      maxRunMs,
      deadlineAt: submittedAt + deadlineMs,
      submittedAt,
      source: req.source ?? API_SOURCE,
    };
    const { item, created } = await queue
      .enqueue({
        tenant,
        function: name,
        lane: 'background',
        payload,
        ...(req.idempotencyKey === undefined ? {} : { idempotencyKey: req.idempotencyKey }),
        ...(req.maxAttempts === undefined ? {} : { maxAttempts: req.maxAttempts }),
      })
      .catch((err: unknown) => {
        countBacklogRefusal(err, payload.source?.kind ?? 'api', this.deps.metrics);
        throw err;
      });
    if (created) this.deps.runner?.wake();
    if (!created && item.function !== name) {
      // The key is per tenant: reused for another function, it is a client's mistake, not a retry.
      throw new AirlockError(
        'IDEMPOTENCY_CONFLICT',
        `idempotency key ${JSON.stringify(req.idempotencyKey)} already names job ${item.id} of function ${item.function} ` +
          `(keys are per tenant); use another key for ${name}`,
        { jobId: item.id, function: item.function },
      );
    }
    // A schedule occurrence fired again after its schedule's input changed is still that occurrence.
    if (!created && req.source === undefined && !(await sameInput(item, req.input ?? null, this.deps.jsonThread))) {
      throw new AirlockError(
        'IDEMPOTENCY_CONFLICT',
        `idempotency key ${JSON.stringify(req.idempotencyKey)} already names job ${item.id}, submitted with another input; ` +
          'a retried submission must send the same input as the first, so use a new key for new work',
        { jobId: item.id, function: item.function },
      );
    }
    return { job: item, created };
  }

  /**
   * Runs a failed, dead or cancelled job again in place: same id, input and idempotency key, from
   * its last checkpoint, on the function's latest version (or `req.version`), with its attempts
   * counted from 0 and a new total deadline. JOB_NOT_RETRYABLE for a job in any other status.
   */
  async retry(tenant: string, id: string, req: RetryJobRequest): Promise<QueueItem> {
    const { config, queue, functions } = this.deps;
    const job = await this.get(tenant, id);
    if (!REQUEUEABLE_STATUSES.includes(job.status)) throw notRetryable(tenant, job);
    const payload = readJobPayload(job.payload, id);
    const deadlineMs = this.deadlineMs(req.deadlineMs);
    const fn = await functions.get(tenant, job.function, req.version);
    serializeInput(payload.input, config.maxJsonDepth, fn.limits.inputBytes, config.maxLimits.inputBytes);
    // A job that ran "the latest at each run" (a webhook delivery) keeps doing so unless a version is named.
    const version = payload.version === undefined && req.version === undefined ? undefined : fn.version;
    const now = this.now();
    const next: JobPayload = {
      input: payload.input,
      maxRunMs: this.maxRunMs(req.maxRunMs ?? payload.maxRunMs),
      deadlineAt: now + deadlineMs,
      retriedAt: now,
      // Still the same webhook delivery or schedule occurrence (a job stored without a source gets its own now).
      source: jobSource(payload, job),
    };
    if (version !== undefined) next.version = version;
    const answer = await queue.requeue(tenant, id, {
      payload: next,
      ...(req.maxAttempts === undefined ? {} : { maxAttempts: req.maxAttempts }),
    });
    if (answer === undefined) throw notFound(tenant, id);
    // Another caller retried it (or its retention ended it) meanwhile.
    if (!answer.requeued) throw notRetryable(tenant, answer.item);
    this.deps.runner?.wake();
    return answer.item;
  }

  private maxRunMs(asked: number): number {
    const max = this.deps.config.jobs.maxRunMs;
    if (asked > max) {
      throw new AirlockError('LIMIT_ABOVE_MAXIMUM', `maxRunMs ${asked} is above the operator maximum ${max} (AIRLOCK_JOB_MAX_RUN_MS); ask for less`);
    }
    return asked;
  }

  private deadlineMs(asked: number | undefined): number {
    const max = this.deps.config.jobs.deadlineMs;
    const deadlineMs = asked ?? max;
    if (deadlineMs > max) {
      throw new AirlockError(
        'LIMIT_ABOVE_MAXIMUM',
        `deadlineMs ${deadlineMs} is above the operator maximum ${max} (AIRLOCK_JOB_DEADLINE_MS); ask for less`,
      );
    }
    return deadlineMs;
  }

  async get(tenant: string, id: string): Promise<QueueItem> {
    const item = await this.deps.queue.get(tenant, id);
    if (item === undefined) throw notFound(tenant, id);
    return item;
  }

  /**
   * The slice of a running job in progress on this server (its execution id, start and logs so
   * far); undefined when the job is not running here (another server's slices are not seen).
   */
  currentRun(item: QueueItem): LiveRun | undefined {
    return item.status === 'running' ? this.deps.runner?.currentRun?.(item.id) : undefined;
  }

  /** A page of jobs; `before` must name one of the tenant's jobs (a page's `next`), else 400. */
  /**
   * Retries up to `limit` of the function's jobs in `status`, newest first, each as retry() does.
   * An unknown function or version refuses the whole call before any job changes; a job that
   * changed under it (retried or cancelled meanwhile, its input now over the limit) is skipped
   * and said. Call again while `more` is true.
   */
  async retryMany(tenant: string, req: RetryManyRequest): Promise<RetryManyResult> {
    if (!REQUEUEABLE_STATUSES.includes(req.status)) {
      throw new AirlockError('VALIDATION_FAILED', `status must be one of ${REQUEUEABLE_STATUSES.join(', ')} (only jobs that ended can run again)`);
    }
    await this.deps.functions.get(tenant, req.function, req.version);
    const { function: fn, status, limit, ...each } = req;
    const page = await this.deps.queue.list({ tenant, function: fn, status, limit: limit + 1 });
    const result: RetryManyResult = { retried: [], skipped: [], more: page.length > limit };
    for (const job of page.slice(0, limit)) {
      try {
        await this.retry(tenant, job.id, each);
        result.retried.push(job.id);
      } catch (err) {
        if (!isAirlockError(err) || !SKIPPABLE.has(err.code)) throw err;
        result.skipped.push({ id: job.id, code: err.code, message: err.message });
      }
    }
    return result;
  }

  async list(tenant: string, req: ListJobsRequest): Promise<QueueItem[]> {
    const page = await this.deps.queue.list({ tenant, ...req });
    // An unknown cursor lists nothing: only an empty page needs telling apart from the list's end.
    if (page.length === 0 && req.before !== undefined && (await this.deps.queue.get(tenant, req.before)) === undefined) {
      throw new AirlockError(
        'VALIDATION_FAILED',
        `before=${req.before} names no job of tenant ${tenant}; pass the "next" value of the previous page, or leave before out for the first page`,
      );
    }
    return page;
  }

  /**
   * Stops this server's running slices of a function just deleted (webhook deliveries included):
   * their sandboxes are stopped and their jobs fail FUNCTION_NOT_FOUND, as queued ones do when they
   * start. Answers how many it stopped.
   */
  stopFunction(tenant: string, name: string): number {
    return this.deps.runner?.stopFunction?.(tenant, name) ?? 0;
  }

  /** Cancels a queued or running job (a running slice's sandbox is stopped); a finished job is returned unchanged. */
  async cancel(tenant: string, id: string): Promise<QueueItem> {
    const item = await this.deps.queue.cancel(tenant, id);
    if (item === undefined) throw notFound(tenant, id);
    if (item.status === 'cancelled') this.deps.runner?.stopRun(id, 'cancelled');
    return item;
  }
}

function notRetryable(tenant: string, job: QueueItem): AirlockError {
  const why =
    job.status === 'succeeded'
      ? 'it succeeded; submit a new job to run its work again'
      : job.status === 'queued'
        ? 'it is queued and will run (only failed, dead and cancelled jobs are retried)'
        : 'it is running (only failed, dead and cancelled jobs are retried); cancel it first to run it again from its last checkpoint';
  return new AirlockError('JOB_NOT_RETRYABLE', `job ${job.id} of tenant ${tenant} cannot be retried: ${why}`, { status: job.status });
}

function notFound(tenant: string, id: string): AirlockError {
  return new AirlockError('JOB_NOT_FOUND', `no job ${id} for tenant ${tenant}; ${listHint(`airlock jobs list ${tenant}`, `/v1/tenants/${tenant}/jobs`)}`);
}
