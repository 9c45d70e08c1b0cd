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
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number;
  durationMs: number;
  result?: unknown;
  error?: ExecutionError;
  logs: LogLine[];
}
