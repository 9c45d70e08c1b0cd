// Debug-level access lines, one per answered request: method, route pattern (never the URL:
// webhook URLs carry a token), status, duration, the key id, and the tenant and function the
// route names, with the execution id an answer carried (an invoke's, a refusal's record). The
// hooks exist only when the logger is at debug or trace when the server is built, so at the
// default level a request does no extra work at all.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../core/logger.js';
import { isAirlockError } from '../core/errors.js';
import { keyIdOf } from './audit.js';

/** The execution id an answer carried, noted on its request (debug level only). */
const EXECUTION_ID = Symbol('executionId');
type Noted = FastifyRequest & { [EXECUTION_ID]?: string };

/**
 * Notes the execution id of an answer sent as JSON text (no serialization hook sees it: an invoke
 * whose large result is spliced in, src/api/result-json.ts).
 */
export function noteExecutionId(request: FastifyRequest, id: string): void {
  (request as Noted)[EXECUTION_ID] = id;
}

function executionIdIn(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as { executionId?: unknown }).executionId;
  return typeof id === 'string' ? id : undefined;
}

export function registerAccessLog(app: FastifyInstance, logger: Pick<Logger, 'isLevelEnabled'>): void {
  if (!logger.isLevelEnabled('debug')) return;
  app.addHook('preSerialization', (request, _reply, payload, done) => {
    const id = executionIdIn(payload);
    if (id !== undefined) noteExecutionId(request, id);
    done(null, payload);
  });
  app.addHook('onError', (request, _reply, error, done) => {
    const id = isAirlockError(error) ? error.details?.executionId : undefined;
    if (typeof id === 'string') (request as Noted)[EXECUTION_ID] = id;
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const params = request.params as { tenant?: unknown; name?: unknown; function?: unknown } | undefined;
    const route = request.routeOptions.url ?? null;
    // `:name` is a function's only under /functions/ (secrets and schedules have names too).
    const fn = route?.includes('/functions/:name') === true ? params?.name : params?.function;
    request.log.debug(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 1000) / 1000,
        keyId: keyIdOf(request) ?? null,
        tenant: typeof params?.tenant === 'string' ? params.tenant : null,
        function: typeof fn === 'string' ? fn : null,
        executionId: (request as Noted)[EXECUTION_ID] ?? null,
      },
      'request',
    );
    done();
  });
}
