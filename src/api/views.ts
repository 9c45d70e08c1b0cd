// Converts stored records to the API's JSON shapes (ISO dates, no internal fields such as code).
import type { ExecutionRecord, FunctionVersion } from '../core/types.js';
import type { FunctionSummary } from '../store/port.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function functionView(fn: FunctionVersion, created?: boolean) {
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
