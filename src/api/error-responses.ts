// The error answers a route declares: for /openapi.json, and to serialize them with the Error
// schema. A route names the error codes it produces itself (an unknown function, a conflict, a
// body too large, admission's refusal); they are grouped by their HTTP status (core/errors.ts),
// next to the 4XX and 5XX that every route can answer (validation, authentication, a stopping
// server). A 429 documents its Retry-After header.
import { httpStatus } from '../core/errors.js';
import type { ErrorCode } from '../core/errors.js';

/** The API's error body, by reference (the shared schema ErrorBody, $id Error). */
const ERROR = { content: { 'application/json': { schema: { $ref: 'Error#' } } } };

const RETRY_AFTER = {
  'retry-after': { type: 'integer', minimum: 1, description: 'seconds to wait before trying again' },
};

/** What an answer with this code carries beyond {error: {code, message}}. */
const NOTES: Partial<Record<ErrorCode, string>> = {
  TOO_MANY_REQUESTS:
    'admission refused the call: the tenant or the server is at its concurrency and the wait ran out ' +
    '(error also has executionId of the rejected record, retryAfterSeconds, tenant, limit, reason); retry after Retry-After seconds',
  TENANT_BACKLOG_FULL:
    'the tenant already holds AIRLOCK_QUEUE_TENANT_BACKLOG unfinished jobs, webhook deliveries and scheduled runs; nothing was stored ' +
    '(error also has retryAfterSeconds, tenant, backlog, limit); send it again after Retry-After seconds, once the backlog has drained',
  IDEMPOTENCY_CONFLICT: 'error also has jobId and function of the job the key names',
  JOB_NOT_RETRYABLE: 'error also has the status of the job',
  VERSION_AMBIGUOUS: 'a prefix of a version hash that several versions start with; error also has candidates, their whole hashes (the first 5)',
  SYNTAX_ERROR: 'error also has line and column (1-based) of the problem in the source, when known',
  UNSUPPORTED_SYNTAX: 'TypeScript that type stripping cannot erase (an enum, a namespace, a parameter property, …); error also has line and column',
  MISSING_HANDLER: 'the module exports neither a default function nor a handler function; error also has line and column when an export is at fault',
  SYNTAX_CHECK_FAILED: 'the sandboxed syntax check itself failed (not the source): deploy again',
};

/** Response entries for `codes` plus the generic 4XX and 5XX, each with the Error body. */
export function errorResponses(...codes: ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(httpStatus(code), [...(byStatus.get(httpStatus(code)) ?? []), code]);
  const responses: Record<string, unknown> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const notes = list.flatMap((code) => NOTES[code] ?? []);
    responses[status] = {
      description: [`error.code ${list.join(' or ')}`, ...notes].join('; '),
      ...(list.includes('TOO_MANY_REQUESTS') || list.includes('TENANT_BACKLOG_FULL') ? { headers: RETRY_AFTER } : {}),
      ...ERROR,
    };
  }
  responses['4xx'] = { description: 'another refusal of the request (e.g. VALIDATION_FAILED): see error.code and error.message', ...ERROR };
  responses['5xx'] = {
    description: 'a server error (INTERNAL), SHUTTING_DOWN (503, with Retry-After for a call that was waiting for its turn) while the server stops, or STORAGE_FULL (507, with Retry-After) when the disk of the server\'s data dir is full: nothing was stored, send it again later',
    ...ERROR,
  };
  return responses;
}
