// Converts stored records to the API's JSON shapes (ISO dates, no internal fields such as code).
import type { ExecutionRecord, FunctionVersion } from '../core/types.js';
import type { QueueItem } from '../queue/port.js';
import type { FunctionSummary, VersionSummary } from '../store/port.js';
import type { WebhookView } from '../services/hooks/tokens.js';
import type { VerifyView } from '../services/hooks/verifier.js';
import { verifyView } from './hook-verify-schemas.js';
import { jobSource, readJobPayload } from '../services/jobs/payload.js';
import type { LiveRun } from '../services/jobs/slice.js';
import type { JobSource } from '../services/jobs/source.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A webhook's token and path (and, given the server's public base URL, the full URL), and its
 * signature verification when it has one.
 */
export function webhookView(hook: WebhookView, verify?: VerifyView, publicUrl?: string) {
  return {
    token: hook.token,
    path: hook.path,
    ...(publicUrl === undefined ? {} : { url: hook.path === null ? null : publicUrl + hook.path }),
    createdAt: iso(hook.createdAt),
    ...(verify === undefined ? {} : { verify: verifyView(verify) }),
  };
}

export function functionView(fn: FunctionVersion, created?: boolean, webhook?: WebhookView, verify?: VerifyView, publicUrl?: string) {
  return {
    tenant: fn.tenant,
    name: fn.name,
    version: fn.version,
    runtime: fn.runtime,
    limits: fn.limits,
    isolation: fn.isolation,
    ...(fn.egress === undefined ? {} : { egress: fn.egress }),
    createdAt: iso(fn.createdAt),
    ...(created === undefined ? {} : { created }),
    ...(webhook === undefined ? {} : { webhook: webhookView(webhook, verify, publicUrl) }),
  };
}

/** One version in a function's version list: what its hash covers besides the source. */
export function versionSummaryView(v: VersionSummary) {
  return {
    version: v.version,
    runtime: v.runtime,
    limits: v.limits,
    isolation: v.isolation,
    ...(v.egress === undefined ? {} : { egress: v.egress }),
    createdAt: iso(v.createdAt),
  };
}

export function functionSummaryView(fn: FunctionSummary) {
  return {
    name: fn.name,
    latestVersion: fn.latestVersion,
    runtime: fn.runtime,
    versions: fn.versions,
    updatedAt: iso(fn.updatedAt),
  };
}

export function executionView(rec: ExecutionRecord) {
  return {
    id: rec.id,
    tenant: rec.tenant,
    function: rec.function,
    version: rec.version,
    status: rec.status,
    start: rec.start,
    isolation: rec.isolation,
    layers: rec.layers,
    queuedAt: iso(rec.queuedAt),
    startedAt: rec.startedAt === null ? null : iso(rec.startedAt),
    finishedAt: iso(rec.finishedAt),
    durationMs: rec.durationMs,
    ...(rec.result === undefined ? {} : { result: rec.result }),
    ...(rec.error === undefined ? {} : { error: rec.error }),
    logs: rec.logs,
    ...(rec.egress === undefined ? {} : { egress: rec.egress }),
    ...(rec.jobId === undefined ? {} : { jobId: rec.jobId }),
  };
}

/** What started a job, as the API shows it (the occurrence as an ISO time; the function gets epoch ms). */
export function jobSourceView(source: JobSource) {
  return source.kind === 'schedule' ? { kind: source.kind, schedule: source.schedule, occurrenceAt: iso(source.occurrenceAt) } : source;
}

/**
 * One job read on its own: its view plus what it was submitted with (its payload), and its slice
 * in progress when that runs on this server (`live`).
 */
export function jobDetailView(item: QueueItem, live?: LiveRun) {
  const payload = readJobPayload(item.payload, item.id);
  return {
    ...jobView(item),
    input: payload.input,
    ...(payload.version === undefined ? {} : { version: payload.version }),
    maxRunMs: payload.maxRunMs,
    deadlineAt: iso(payload.deadlineAt),
    ...(payload.retriedAt === undefined ? {} : { retriedAt: iso(payload.retriedAt) }),
    source: jobSourceView(jobSource(payload, item)),
    ...(item.checkpoint === undefined ? {} : { checkpoint: item.checkpoint }),
    ...(live === undefined ? {} : { currentRun: { executionId: live.executionId, startedAt: iso(live.startedAt), logs: live.logs() } }),
  };
}

const ENDED_IN_ERROR: ReadonlySet<string> = new Set(['failed', 'dead']);

/** A job as the API shows it: the queue item without its payload, lease or fencing token. */
export function jobView(item: QueueItem) {
  return {
    id: item.id,
    tenant: item.tenant,
    function: item.function,
    status: item.status,
    ...(item.status === 'succeeded' ? { result: item.result ?? null } : {}),
    // `error` is why a job ended failed or dead; on any other job it is `lastError` (an earlier
    // attempt's failure, retried or recovered from), so `if (job.error)` means the job failed.
    ...(item.lastError === undefined ? {} : ENDED_IN_ERROR.has(item.status) ? { error: item.lastError } : { lastError: item.lastError }),
    attempts: item.attempts,
    maxAttempts: item.maxAttempts,
    runs: item.runs,
    ...(item.checkpointAt === undefined ? {} : { checkpointAt: iso(item.checkpointAt) }),
    ...(item.status === 'queued' ? { readyAt: iso(item.runAfter) } : {}),
    ...(item.idempotencyKey === undefined ? {} : { idempotencyKey: item.idempotencyKey }),
    createdAt: iso(item.createdAt),
    ...(item.startedAt === undefined ? {} : { startedAt: iso(item.startedAt) }),
    ...(item.finishedAt === undefined ? {} : { finishedAt: iso(item.finishedAt) }),
    updatedAt: iso(item.updatedAt),
  };
}
