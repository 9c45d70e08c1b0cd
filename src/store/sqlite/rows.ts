// Converts between domain objects and SQLite rows. JSON columns are written with JSON.stringify
// and read back with secure-json-parse (prototype-poisoning keys are dropped, never applied).
import { parseJsonSafely } from '../../core/json.js';
import { AirlockError } from '../../core/errors.js';
import type {
  ExecutionError,
  ExecutionRecord,
  ExecutionStatus,
  FunctionLimits,
  FunctionVersion,
  EgressPolicy,
  EgressRequestRecord,
  IsolationScope,
  LogLine,
  Runtime,
  SecurityLayer,
  StartKind,
} from '../../core/types.js';
import type { ApiKeyRecord, FunctionSummary, VersionSummary } from '../port.js';

export interface FunctionVersionRow {
  tenant: string;
  name: string;
  version: string;
  runtime: string;
  source: string;
  code: string;
  limits: string;
  isolation: string;
  egress: string | null;
  created_at: number;
}

/** A row of LIST_FUNCTION_VERSIONS: a version without its source. */
export type VersionSummaryRow = Pick<FunctionVersionRow, 'version' | 'runtime' | 'limits' | 'isolation' | 'egress' | 'created_at'>;

export interface FunctionSummaryRow {
  tenant: string;
  name: string;
  latest_version: string;
  runtime: string;
  updated_at: number;
  versions: number;
}

export interface ExecutionRow {
  id: string;
  tenant: string;
  function: string;
  version: string;
  status: string;
  start: string | null;
  isolation: string;
  queued_at: number;
  started_at: number | null;
  finished_at: number;
  duration_ms: number;
  result: string | null;
  error: string | null;
  logs: string;
  layers: string;
  egress: string | null;
  job_id?: string | null;
}

export interface ApiKeyRow {
  id: string;
  tenant: string | null;
  hash: string;
  created_at: number;
  name: string | null;
  prefix: string | null;
}

const parseJson = parseJsonSafely;

export function versionToRow(v: FunctionVersion): FunctionVersionRow {
  return {
    tenant: v.tenant,
    name: v.name,
    version: v.version,
    runtime: v.runtime,
    source: v.source,
    code: v.code,
    limits: JSON.stringify(v.limits),
    isolation: v.isolation,
    egress: v.egress === undefined ? null : JSON.stringify(v.egress),
    created_at: v.createdAt,
  };
}

export function rowToVersion(row: FunctionVersionRow): FunctionVersion {
  const v: FunctionVersion = {
    tenant: row.tenant,
    name: row.name,
    version: row.version,
    runtime: row.runtime as Runtime,
    source: row.source,
    code: row.code,
    limits: parseJson(row.limits) as FunctionLimits,
    isolation: row.isolation as IsolationScope,
    createdAt: row.created_at,
  };
  if (row.egress !== null) v.egress = parseJson(row.egress) as EgressPolicy;
  return v;
}

export function rowToVersionSummary(row: VersionSummaryRow): VersionSummary {
  const v: VersionSummary = {
    version: row.version,
    runtime: row.runtime as Runtime,
    limits: parseJson(row.limits) as FunctionLimits,
    isolation: row.isolation as IsolationScope,
    createdAt: row.created_at,
  };
  if (row.egress !== null) v.egress = parseJson(row.egress) as EgressPolicy;
  return v;
}

export function rowToSummary(row: FunctionSummaryRow): FunctionSummary {
  return {
    tenant: row.tenant,
    name: row.name,
    latestVersion: row.latest_version,
    runtime: row.runtime as Runtime,
    versions: row.versions,
    updatedAt: row.updated_at,
  };
}

/** JSON text of a value, or null when there is nothing to store (undefined, functions). */
function jsonOrNull(rec: ExecutionRecord, field: 'result' | 'error' | 'logs' | 'egress', value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return JSON.stringify(value) ?? null;
  } catch (err) {
    throw new AirlockError(
      'VALIDATION_FAILED',
      `execution ${rec.id} cannot be stored: its ${field} is not JSON-serializable (${(err as Error).message})`,
      { executionId: rec.id, field },
    );
  }
}

/** INSERT_EXECUTION's parameters, in EXECUTION_COLUMNS order. */
export type ExecutionValues = [
  id: string,
  tenant: string,
  fn: string,
  version: string,
  status: string,
  start: string | null,
  isolation: string,
  queuedAt: number,
  startedAt: number | null,
  finishedAt: number,
  durationMs: number,
  result: string | null,
  error: string | null,
  logs: string,
  layers: string,
  egress: string | null,
  jobId: string | null,
];

/** Values for INSERT_EXECUTION. Throws VALIDATION_FAILED (with details.executionId). */
export function executionToValues(rec: ExecutionRecord): ExecutionValues {
  return [
    rec.id,
    rec.tenant,
    rec.function,
    rec.version,
    rec.status,
    rec.start,
    rec.isolation,
    rec.queuedAt,
    rec.startedAt,
    rec.finishedAt,
    rec.durationMs,
    rec.resultJson ?? jsonOrNull(rec, 'result', rec.result),
    jsonOrNull(rec, 'error', rec.error),
    jsonOrNull(rec, 'logs', rec.logs) ?? '[]',
    JSON.stringify(rec.layers),
    jsonOrNull(rec, 'egress', rec.egress),
    rec.jobId ?? null,
  ];
}

export function rowToExecution(row: ExecutionRow): ExecutionRecord {
  const rec: ExecutionRecord = {
    id: row.id,
    tenant: row.tenant,
    function: row.function,
    version: row.version,
    status: row.status as ExecutionStatus,
    start: row.start as StartKind | null,
    isolation: row.isolation,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    logs: parseJson(row.logs) as LogLine[],
    layers: parseJson(row.layers) as SecurityLayer[],
  };
  if (row.result !== null) rec.result = parseJson(row.result);
  if (row.error !== null) rec.error = parseJson(row.error) as ExecutionError;
  if (row.egress !== null) rec.egress = parseJson(row.egress) as EgressRequestRecord[];
  if (row.job_id !== null && row.job_id !== undefined) rec.jobId = row.job_id;
  return rec;
}

export function rowToApiKey(row: ApiKeyRow): ApiKeyRecord {
  const key: ApiKeyRecord = { id: row.id, tenant: row.tenant, hash: row.hash, createdAt: row.created_at };
  if (row.name !== null) key.name = row.name;
  if (row.prefix !== null) key.prefix = row.prefix;
  return key;
}
