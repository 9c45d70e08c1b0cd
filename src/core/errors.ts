// Typed errors with stable codes. Every error that reaches a client carries a `code` that
// callers can switch on and a message that says how to fix the problem.

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'FUNCTION_NOT_FOUND'
  | 'VERSION_NOT_FOUND'
  | 'VERSION_AMBIGUOUS'
  | 'EXECUTION_NOT_FOUND'
  | 'JOB_NOT_FOUND'
  | 'SCHEDULE_NOT_FOUND'
  | 'TENANT_NOT_FOUND'
  | 'SOURCE_TOO_LARGE'
  | 'INPUT_TOO_LARGE'
  | 'INPUT_TOO_DEEP'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'SYNTAX_ERROR'
  | 'UNSUPPORTED_SYNTAX'
  | 'UNRESOLVABLE_IMPORT'
  | 'MISSING_HANDLER'
  | 'LIMIT_ABOVE_MAXIMUM'
  | 'TOO_MANY_REQUESTS'
  | 'TENANT_BACKLOG_FULL'
  | 'BATCH_RESULTS_FULL'
  | 'SHUTTING_DOWN'
  | 'CLIENT_CLOSED_REQUEST'
  | 'ISOLATION_UNAVAILABLE'
  | 'CONFIG_INVALID'
  | 'LISTEN_FAILED'
  | 'SANDBOX_FAILED'
  | 'SYNTAX_CHECK_FAILED'
  | 'EGRESS_DENIED'
  | 'EGRESS_LIMIT'
  | 'EGRESS_FAILED'
  | 'SECRET_NOT_FOUND'
  | 'SECRET_UNREADABLE'
  | 'LEASE_LOST'
  | 'IDEMPOTENCY_CONFLICT'
  | 'JOB_NOT_RETRYABLE'
  | 'CHECKPOINT_TOO_LARGE'
  | 'HEADERS_TOO_LARGE'
  | 'WEBHOOK_SIGNATURE_INVALID'
  | 'WEBHOOK_SECRET_UNAVAILABLE'
  | 'URI_TOO_LONG'
  | 'REQUEST_TIMEOUT'
  | 'STORAGE_FULL'
  | 'DATABASE_CORRUPT'
  | 'INTERNAL';

const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  FUNCTION_NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
  // A prefix of a version hash that several of the function's versions start with.
  VERSION_AMBIGUOUS: 400,
  EXECUTION_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  // Nothing is stored under the tenant's name (never used, or already deleted).
  TENANT_NOT_FOUND: 404,
  SOURCE_TOO_LARGE: 413,
  INPUT_TOO_LARGE: 413,
  INPUT_TOO_DEEP: 400,
  // A request body of a content-type the route does not take (the API takes application/json).
  UNSUPPORTED_MEDIA_TYPE: 415,
  SYNTAX_ERROR: 400,
  UNSUPPORTED_SYNTAX: 400,
  // Deploy-time checks of a module's imports and exports (services/module-shape.ts).
  UNRESOLVABLE_IMPORT: 400,
  MISSING_HANDLER: 400,
  LIMIT_ABOVE_MAXIMUM: 400,
  TOO_MANY_REQUESTS: 429,
  // A job, webhook delivery or schedule occurrence of a tenant that already holds
  // AIRLOCK_QUEUE_TENANT_BACKLOG unfinished queue items: nothing was stored; send it again later.
  TENANT_BACKLOG_FULL: 429,
  // A batch input not run because the tenant's running batches already hold
  // AIRLOCK_BATCH_RESULT_BYTES of answers (answered in its place, never as a status).
  BATCH_RESULTS_FULL: 429,
  SHUTTING_DOWN: 503,
  // nginx's code for a client that went away before its answer; nobody reads this one.
  CLIENT_CLOSED_REQUEST: 499,
  ISOLATION_UNAVAILABLE: 500,
  CONFIG_INVALID: 500,
  // The server could not open its port (startup only; never an HTTP answer).
  LISTEN_FAILED: 500,
  SANDBOX_FAILED: 500,
  // The deploy-time V8 parse (a sandbox of its own) gave no verdict: nothing was deployed.
  SYNTAX_CHECK_FAILED: 500,
  // Egress errors reach the function as fetch rejections; the statuses apply if one ever
  // surfaces through the API.
  EGRESS_DENIED: 403,
  EGRESS_LIMIT: 429,
  EGRESS_FAILED: 502,
  SECRET_NOT_FOUND: 404,
  SECRET_UNREADABLE: 500,
  // Queue: a run whose lease expired or was superseded (fencing token) may not act on its item.
  LEASE_LOST: 409,
  // A job's idempotency key already names a job of another function of the tenant.
  IDEMPOTENCY_CONFLICT: 409,
  // A retry of a job that is queued, running or succeeded (only failed, dead and cancelled jobs run again).
  JOB_NOT_RETRYABLE: 409,
  CHECKPOINT_TOO_LARGE: 413,
  // Webhook deliveries with too many or too large headers (nothing is stored), and any request
  // whose header section is over Node's parser limit.
  HEADERS_TOO_LARGE: 431,
  // A webhook delivery whose provider signature is missing, malformed, wrong or too old (the
  // function's webhook verifies signatures; nothing is stored).
  WEBHOOK_SIGNATURE_INVALID: 401,
  // The signing secret a webhook's verification names cannot be used (deleted, bound to hosts,
  // undecryptable, not a key of the scheme): nothing is stored and the sender retries later.
  WEBHOOK_SECRET_UNAVAILABLE: 503,
  // A path segment over the router's length limit (protocol-errors.ts).
  URI_TOO_LONG: 414,
  // A request not received within Node's request timeout.
  REQUEST_TIMEOUT: 408,
  // The disk that holds the database is full: nothing was stored; the request can be sent again
  // once the operator frees space (no restart needed).
  STORAGE_FULL: 507,
  // The database file is damaged: the start refuses it (or an emptied one); a request that reads
  // a damaged part found later answers with it.
  DATABASE_CORRUPT: 500,
  INTERNAL: 500,
};

/** The HTTP status an error of `code` answers with. */
export function httpStatus(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

export class AirlockError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra machine-readable fields returned to the client next to code and message. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AirlockError';
    this.code = code;
    this.status = HTTP_STATUS[code];
    this.details = details;
  }

  toJSON(): { error: { code: ErrorCode; message: string } & Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...(this.details ?? {}) } };
  }
}

export function isAirlockError(err: unknown): err is AirlockError {
  return err instanceof AirlockError;
}
