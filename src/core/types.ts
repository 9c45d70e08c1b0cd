// Domain types shared by every layer: functions, versions, executions, limits.

export type Runtime = 'javascript' | 'typescript';

/** Which callers may share a warm sandbox: every function of a tenant, one function, or nobody. */
export type IsolationScope = 'tenant' | 'function' | 'execution';

export type ExecutionStatus = 'succeeded' | 'failed' | 'timeout' | 'oom' | 'killed' | 'rejected';

/** How the sandbox that ran an execution was obtained. */
export type StartKind = 'warm' | 'pool' | 'spawn';

/** Per-function limits (all optional at deploy time, resolved against operator maxima). */
export interface FunctionLimits {
  /** Wall-clock timeout of one invocation, milliseconds. */
  timeoutMs: number;
  /** V8 heap ceiling for the sandbox, MiB. */
  memoryMiB: number;
  /** Maximum serialized JSON size of the input, bytes. */
  inputBytes: number;
  /** Maximum serialized JSON size of the result, bytes. */
  resultBytes: number;
  /** Maximum captured log bytes per execution. */
  logBytes: number;
}

/**
 * Isolation layers a sandbox can have in force (attestation, see docs/security.md):
 * namespaces (bwrap), a seccomp allowlist, cgroup limits, and an unprivileged host uid.
 */
export type SecurityLayer = 'namespaces' | 'seccomp' | 'cgroups' | 'unprivileged-uid';

/** One host a function may call through the egress broker. */
export interface EgressRule {
  /** Exact host name (`api.example.com`) or one-label wildcard (`*.example.com`). */
  host: string;
  /** Allowed ports; default [443] for https and [80] for http URLs. */
  ports?: number[];
  /** Allowed methods (upper case); default: all. */
  methods?: string[];
  /** Allowed path prefixes (each starts with `/`); default: all paths. */
  pathPrefixes?: string[];
}

/** Per-execution caps on brokered requests (resolved against operator maxima). */
export interface EgressLimits {
  /** Requests per execution. */
  requests: number;
  /** Largest request body, bytes. */
  requestBytes: number;
  /** Largest response body, bytes (streamed and cut off above this). */
  responseBytes: number;
  /** Wall-clock time of one request including redirects, ms. */
  timeoutMs: number;
}

/** What a function may reach through `ctx.fetch`. Absent: no egress at all. */
export interface EgressPolicy {
  allow: EgressRule[];
  limits?: Partial<EgressLimits>;
}

/** One brokered request, recorded on the execution. Never holds secret values or bodies. */
export interface EgressRequestRecord {
  method: string;
  host: string;
  port: number;
  /** Path without the query string. */
  path: string;
  /** HTTP status of the final response; null when no response (refused, failed). */
  status: number | null;
  /** Request body bytes sent. */
  bytesOut: number;
  /** Response body bytes received. */
  bytesIn: number;
  durationMs: number;
  /** Error code when the request was refused or failed (e.g. EGRESS_DENIED). */
  error?: string;
}

export interface FunctionVersion {
  tenant: string;
  name: string;
  /** Content hash (sha256 hex of the runtime, source and settings): the version id. */
  version: string;
  runtime: Runtime;
  /** The source as deployed. */
  source: string;
  /** JavaScript ESM actually loaded in the sandbox (type-stripped for TypeScript). */
  code: string;
  limits: FunctionLimits;
  isolation: IsolationScope;
  /** Egress grant; absent means the function has no network at all. */
  egress?: EgressPolicy;
  createdAt: number;
}

export interface LogLine {
  /** Epoch milliseconds as observed by the host. */
  ts: number;
  level: 'debug' | 'info' | 'warn' | 'error' | 'stdout' | 'stderr';
  msg: string;
}

export interface ExecutionError {
  type: string;
  message: string;
  stack?: string;
}

export interface ExecutionRecord {
  id: string;
  tenant: string;
  function: string;
  version: string;
  status: ExecutionStatus;
  start: StartKind | null;
  /** Isolation in force: 'bwrap' (namespaces) or 'none' for the development process isolator. */
  isolation: string;
  /** Isolation layers in force for the sandbox that ran it; [] when it never ran. */
  layers: SecurityLayer[];
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number;
  durationMs: number;
  result?: unknown;
  /** `result` as JSON text when it was already made (the sandbox's outcome): stored as it is. */
  resultJson?: string;
  error?: ExecutionError;
  logs: LogLine[];
  /** Requests made through the egress broker, in order; absent when none. */
  egress?: EgressRequestRecord[];
  /** The job (queue item id) this execution ran a slice of; absent for invocations. */
  jobId?: string;
}

/**
 * What one purge call did (retention, src/services/retention.ts): it deleted at most the rows it
 * was asked for, in one transaction. `more`: the pass over the table is not over (rows may be
 * left), call again; false: it reached the end, and the next call starts a new pass. Shared by
 * the store, queue and schedule ports.
 */
export interface PurgeBatch {
  deleted: number;
  more: boolean;
}
