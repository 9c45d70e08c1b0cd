// Log lines for refused authentication (401 UNAUTHORIZED, 403 FORBIDDEN, and webhook deliveries
// refused for their signature, 401 WEBHOOK_SIGNATURE_INVALID): the route, the remote address, and
// the key id when the key was recognised (a 403), or the webhook's tenant and function and which
// header was wrong. Never the key, a signature or the URL (webhook URLs carry a token). Bounded: at most REFUSAL_LINES_PER_SECOND lines a second; the rest are
// counted and one line says how many were left out once the second is over.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isAirlockError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { keyIdOf } from './audit.js';

/** Refusal lines logged per second at most; further refusals in that second are only counted. */
export const REFUSAL_LINES_PER_SECOND = 10;
const WINDOW_MS = 1_000;

/**
 * Why a request was refused, for the log. A 403's message names only tenants; a 401's is reduced
 * to a fixed phrase, since a mangled Authorization header could have a key where a scheme goes.
 */
function reasonOf(code: 'UNAUTHORIZED' | 'FORBIDDEN', message: string): string {
  if (code === 'FORBIDDEN') return message;
  if (message.startsWith('unknown or revoked')) return 'unknown or revoked key';
  if (message.startsWith('missing API key')) return 'no Authorization header';
  return 'malformed Authorization header';
}

export class RefusalLog {
  private readonly logger: Pick<Logger, 'warn'>;
  private readonly now: () => number;
  private windowStart = 0;
  private logged = 0;
  private suppressed = 0;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(logger: Pick<Logger, 'warn'>, now: () => number = Date.now) {
    this.logger = logger;
    this.now = now;
  }

  /** An onError hook: notes the request if the error is a 401 or 403 of the API. */
  hook() {
    return (request: FastifyRequest, _reply: FastifyReply, error: FastifyError, done: () => void): void => {
      if (isAirlockError(error) && error.code === 'WEBHOOK_SIGNATURE_INVALID') {
        const params = request.params as { tenant?: string; function?: string } | undefined;
        this.note({
          status: error.status,
          code: error.code,
          // The header and what was wrong with it (missing, malformed, mismatch, expired): no value.
          reason: `${String(error.details?.header)} ${String(error.details?.reason)}`,
          tenant: params?.tenant ?? null,
          function: params?.function ?? null,
          remote: request.ip,
          method: request.method,
          route: request.routeOptions.url ?? null,
        });
      } else if (isAirlockError(error) && (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN')) {
        this.note({
          status: error.status,
          code: error.code,
          reason: reasonOf(error.code, error.message),
          keyId: keyIdOf(request) ?? null,
          remote: request.ip,
          method: request.method,
          route: request.routeOptions.url ?? null,
        });
      }
      done();
    };
  }

  note(fields: Record<string, string | number | null>): void {
    const now = this.now();
    if (now - this.windowStart >= WINDOW_MS) {
      this.flush();
      this.windowStart = now;
      this.logged = 0;
    }
    if (this.logged < REFUSAL_LINES_PER_SECOND) {
      this.logged++;
      this.logger.warn({ refused: fields.status, ...fields }, `refused ${fields.method} ${fields.route ?? '(no route)'}: ${fields.code}`);
      return;
    }
    this.suppressed++;
    // Said once the second is over even if no refusal follows (timer off the event loop's keep-alive).
    this.flushTimer ??= setTimeout(() => this.flush(), Math.max(0, this.windowStart + WINDOW_MS - now)).unref();
  }

  /** Logs how many refusals were left out, if any. */
  flush(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.suppressed === 0) return;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.logger.warn(
      { refusedSuppressed: suppressed, limitPerSecond: REFUSAL_LINES_PER_SECOND },
      `${suppressed} more refused requests (401/403, webhook signatures) in the same second were not logged`,
    );
  }
}
